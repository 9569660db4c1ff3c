/**
 * Heartbeat cost: CPU (seal, open) and bytes per heartbeat at 1,000, 5,000
 * and 10,000 targets, in both view formats: the full view (one object per
 * IP, what older peers read) and the compact one (columns,
 * lib/cluster/compact_view.ts, sent to peers that say they read it), each
 * with a steady and a churning view, against the 64 KiB body limit.
 * Run: `deno run --allow-all tests/bench/cluster_bench.ts`.
 * @module
 */

import process from "node:process";
import {
  deriveKeyring,
  openHeartbeat,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import { compactView } from "../../lib/cluster/compact_view.ts";
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
  format: "full" | "compact";
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
  compact: boolean,
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
  const { view: _, ...rest } = hb;
  const plain = compact ? { ...rest, cols: compactView(view, hb.sentAt) } : hb;
  const jsonBytes = new TextEncoder().encode(JSON.stringify(plain)).length;
  const frame = await sealHeartbeat(hb, ring, compact);
  const iterations = Math.max(20, Math.round(200_000 / targets));
  for (let i = 0; i < 5; i++) await openHeartbeat(frame, FROM, ring); // warm-up
  let t = cpuMicros();
  for (let i = 0; i < iterations; i++) {
    await sealHeartbeat({ ...hb, seq: i + 2 }, ring, compact);
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
    format: compact ? "compact" : "full",
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
    for (const compact of [false, true]) {
      rows.push(await measure(n, "steady", steadyView(n), compact));
      rows.push(await measure(n, "churn", churnView(n), compact));
    }
  }
  const out = [
    `cluster heartbeat cost (one sealed heartbeat = the whole view; CPU = user+sys per op; limit ${MAX_BODY_BYTES} bytes)`,
    "targets shape   format  json_bytes frame_bytes fits_64KiB seal_cpu_us open_cpu_us",
    ...rows.map((r) =>
      [
        String(r.targets).padEnd(7),
        r.shape.padEnd(7),
        r.format.padEnd(7),
        String(r.jsonBytes).padStart(10),
        String(r.frameBytes).padStart(11),
        String(r.fits).padStart(10),
        String(r.sealCpuUs).padStart(11),
        String(r.openCpuUs).padStart(11),
      ].join(" ")
    ),
  ];
  for (const format of ["full", "compact"]) {
    const k = rows.find((r) =>
      r.targets === 1000 && r.shape === "steady" && r.format === format
    );
    if (!k) continue;
    out.push(
      `${format}: per agent per interval with P peers: 1 seal + P opens; 1,000 targets, 4 peers ≈ ${
        k.sealCpuUs + 4 * k.openCpuUs
      } µs CPU, ${4 * k.frameBytes} bytes sent`,
    );
  }
  const worst = rows.find((r) =>
    r.targets === 10_000 && r.shape === "churn" && r.format === "compact"
  );
  if (worst) {
    out.push(
      `goal (issue 12): 10,000 changing targets fit ${MAX_BODY_BYTES} bytes: ${worst.frameBytes} bytes compact, ${
        worst.fits ? "met" : "MISSED"
      }`,
    );
  }
  // deno-lint-ignore no-console
  console.log(out.join("\n"));
}

if (import.meta.main) await run();
