/**
 * Heartbeat cost: CPU and bytes per heartbeat carrying a full view, for
 * 1,000 targets (and 5,000 / 10,000 to show where the 64 KiB body limit
 * bites). Run: `deno run --allow-all tests/bench/cluster_bench.ts`.
 * @module
 */

import process from "node:process";
import {
  deriveKeyring,
  openHeartbeat,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import { MAX_BODY_BYTES } from "../../lib/cluster/membership.ts";
import type { Heartbeat, PeerView } from "../../lib/cluster/types.ts";

const FROM = "192.0.2.10:7947";
const NOW = 1_700_000_000_000;

/** "steady": long-running agent, most IPs up since boot, counts alike. */
function steadyView(n: number): PeerView {
  const view: PeerView = {};
  for (let i = 0; i < n; i++) {
    const down = i % 50 === 0;
    view[ipOf(i)] = {
      verdict: down ? "down" : "up",
      since: down ? NOW - 60_000 + i : NOW - 3_600_000,
      consecutive: down ? 60 : 3600 - (i % 7),
    };
  }
  return view;
}

/** "churn": every since and count different (worst case for gzip). */
function churnView(n: number): PeerView {
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const view: PeerView = {};
  for (let i = 0; i < n; i++) {
    view[ipOf(i)] = {
      verdict: rnd() % 10 === 0 ? "down" : "up",
      since: NOW - (rnd() % 86_400_000),
      consecutive: rnd() % 100_000,
    };
  }
  return view;
}

function ipOf(i: number): string {
  if (i < 65536) return `10.${(i >> 8) & 255}.${i & 255}.1`;
  return `2001:db8::${i.toString(16)}`;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Row {
  targets: number;
  shape: string;
  jsonBytes: number;
  frameBytes: number;
  fits: boolean;
  sealCpuUs: number;
  openCpuUs: number;
}

async function measure(
  targets: number,
  shape: string,
  view: PeerView,
): Promise<Row> {
  const ring = await deriveKeyring(["bench-key-0123456789abcdef"], false);
  const hb: Heartbeat = {
    from: FROM,
    boot: NOW,
    seq: 1,
    sentAt: NOW,
    view,
    isolated: false,
    writable: true,
    hears: [],
    acked: true,
    backs: [],
    snapshots: [],
  };
  const jsonBytes = new TextEncoder().encode(JSON.stringify(hb)).length;
  const frame = await sealHeartbeat(hb, ring);
  const iterations = Math.max(20, Math.round(200_000 / targets));
  for (let i = 0; i < 5; i++) await openHeartbeat(frame, FROM, ring); // warm-up
  let t = cpuMicros();
  for (let i = 0; i < iterations; i++) {
    await sealHeartbeat({ ...hb, seq: i + 2 }, ring);
  }
  const sealCpuUs = (cpuMicros() - t) / iterations;
  t = cpuMicros();
  for (let i = 0; i < iterations; i++) {
    const r = await openHeartbeat(frame, FROM, ring);
    if (!r.ok) throw new Error(`bench frame refused: ${r.error}`);
  }
  const openCpuUs = (cpuMicros() - t) / iterations;
  return {
    targets,
    shape,
    jsonBytes,
    frameBytes: frame.length,
    fits: frame.length <= MAX_BODY_BYTES,
    sealCpuUs: Math.round(sealCpuUs),
    openCpuUs: Math.round(openCpuUs),
  };
}

/** Runs the benchmark and prints one line per case plus a summary. */
export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const n of [1000, 5000, 10_000]) {
    rows.push(await measure(n, "steady", steadyView(n)));
    rows.push(await measure(n, "churn", churnView(n)));
  }
  const out = [
    "cluster heartbeat cost (one sealed heartbeat = full view; CPU = user+sys per op)",
    "targets shape   json_bytes frame_bytes fits_64KiB seal_cpu_us open_cpu_us",
    ...rows.map((r) =>
      [
        String(r.targets).padEnd(7),
        r.shape.padEnd(7),
        String(r.jsonBytes).padStart(10),
        String(r.frameBytes).padStart(11),
        String(r.fits).padStart(10),
        String(r.sealCpuUs).padStart(11),
        String(r.openCpuUs).padStart(11),
      ].join(" ")
    ),
  ];
  const k = rows.find((r) => r.targets === 1000 && r.shape === "steady");
  if (k) {
    out.push(
      `per agent per interval with P peers: 1 seal + P opens; 1,000 targets, 4 peers ≈ ${
        k.sealCpuUs + 4 * k.openCpuUs
      } µs CPU, ${4 * k.frameBytes} bytes sent`,
    );
  }
  // deno-lint-ignore no-console
  console.log(out.join("\n"));
}

if (import.meta.main) await run();
