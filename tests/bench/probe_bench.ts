/**
 * Probe benchmark: our pinger against fping, in the same network-namespace
 * lab and the same run. One target host holds 1,000 / 10,000 IPv6 addresses
 * (2001:db8:100::/64, routed via the host); both tools run in the agent
 * namespace one after the other on the same targets.
 *
 * Measures: sustained probes/s at interval 1 s, loss, RTT median vs fping,
 * CPU seconds per 1,000 probes, peak RSS, a 5,000-probe burst, RTT accuracy
 * against kernel wire timestamps (AF_PACKET capture), start → first probe.
 * `--soak` adds 10 minutes at 10,000 targets. Root only.
 * @module
 */

import { labUnavailable } from "../support/lab_exec.ts";
import { Lab } from "../support/netns.ts";
import {
  FPING,
  quantile,
  runFping,
  runOurs,
  type RunResult,
  target,
} from "./probe_bench_runs.ts";

// deno-lint-ignore no-console
const out = (line: string) => console.log(line);

const fmt = (n: number, d = 2) => Number.isFinite(n) ? n.toFixed(d) : "n/a";
const loss = (r: RunResult) =>
  r.sent ? (100 * (r.sent - r.received)) / r.sent : NaN;
const rate = (r: RunResult) => (r.sent * 1000) / r.activeMs;
const cpuPerK = (r: RunResult) => (r.cpuSeconds * 1000) / Math.max(1, r.sent);

function verdict(ok: boolean): string {
  return ok ? "MET" : "MISSED";
}

async function sustained(lab: Lab, dir: string, n: number, rounds: number) {
  const file = `${dir}/targets-${n}.txt`;
  await Deno.writeTextFile(
    file,
    Array.from({ length: n }, (_, i) => target(i)).join("\n") + "\n",
  );
  const ours = await runOurs(lab, [
    "--interval",
    "1000",
    "--timeout",
    "1000",
    "--duration",
    String(rounds * 1000),
    "--targets-file",
    file,
  ]);
  const fping = await runFping(lab, [
    "-C",
    String(rounds),
    "-q",
    "-p",
    "1000",
    "-t",
    "1000",
    "-i",
    String(Math.max(0.01, 1000 / n)),
    "-f",
    file,
  ], 1000);
  out(`\n## ${n} targets, interval 1 s, ${rounds} rounds`);
  out(`| metric | ours | fping | ours/fping |`);
  out(`| --- | --- | --- | --- |`);
  // The offered load caps both rates (n probes per second): this row says
  // whether each tool kept its schedule, not which is faster.
  out(
    `| probes/s (offered ${n}/s; share of schedule kept) | ${
      fmt(rate(ours), 0)
    } (${fmt((100 * rate(ours)) / n, 1)} %) | ${fmt(rate(fping), 0)} (${
      fmt((100 * rate(fping)) / n, 1)
    } %) | |`,
  );
  out(
    `| probes sent / replies | ${ours.sent} / ${ours.received} | ${fping.sent} / ${fping.received} | |`,
  );
  out(`| loss % | ${fmt(loss(ours))} | ${fmt(loss(fping))} | |`);
  out(
    `| RTT median µs | ${fmt(ours.rttMedianMicros ?? NaN, 0)} | ${
      fmt(fping.rttMedianMicros ?? NaN, 0)
    } | diff ${
      fmt((ours.rttMedianMicros ?? NaN) - (fping.rttMedianMicros ?? NaN), 0)
    } µs |`,
  );
  out(
    `| CPU s / 1,000 probes (whole process) | ${fmt(cpuPerK(ours), 4)} | ${
      fmt(cpuPerK(fping), 4)
    } | ${fmt(cpuPerK(ours) / cpuPerK(fping))} |`,
  );
  out(
    `| CPU s / 1,000 probes (ours, probing only) | ${
      fmt(((ours.summary?.cpuProbingSeconds ?? NaN) * 1000) / ours.sent, 4)
    } | | |`,
  );
  out(
    `| peak RSS MiB (VmHWM) | ${fmt(ours.hwmKiB / 1024, 1)} | ${
      fmt(fping.hwmKiB / 1024, 1)
    } | ${fmt(ours.hwmKiB / fping.hwmKiB)} |`,
  );
  return { ours, fping };
}

async function burst(lab: Lab, dir: string) {
  const n = 5000;
  const file = `${dir}/targets-${n}.txt`;
  await Deno.writeTextFile(
    file,
    Array.from({ length: n }, (_, i) => target(i)).join("\n") + "\n",
  );
  const ours = await runOurs(lab, [
    "--burst",
    "--interval",
    "60000",
    "--timeout",
    "2000",
    "--duration",
    "2500",
    "--targets-file",
    file,
  ]);
  const fping = await runFping(lab, [
    "-C",
    "1",
    "-q",
    "-t",
    "2000",
    "-i",
    "0",
    "-f",
    file,
  ], 2000);
  out(`\n## Burst: ${n} probes at once (timeout 2 s)`);
  out(`| metric | ours | fping |`);
  out(`| --- | --- | --- |`);
  out(`| sent | ${ours.sent} | ${fping.sent} |`);
  out(
    `| replies lost | ${ours.sent - ours.received} | ${
      fping.sent - fping.received
    } |`,
  );
  out(
    `| false downs (timeouts of live targets) | ${ours.timeouts} | ${fping.timeouts} |`,
  );
  return { ours, fping };
}

async function accuracy(lab: Lab) {
  const r = await runOurs(lab, [
    "--interval",
    "5",
    "--timeout",
    "1000",
    "--duration",
    "30000",
    "--count",
    "2000",
    "--rtt-list",
    "--capture",
    "eth0",
    target(0),
  ]);
  const ours = r.summary?.rtts ?? [];
  const wire = r.summary?.wireRtts ?? [];
  out(
    `\n## RTT accuracy: one target, ${r.sent} probes, ours vs kernel wire timestamps`,
  );
  if (ours.length !== wire.length || ours.length === 0) {
    out(`| paired | no: ${ours.length} RTTs vs ${wire.length} captured |`);
    return { p50: NaN, p99: NaN };
  }
  const signed = ours.map((v, i) => v - (wire[i] ?? 0)).sort((a, b) => a - b);
  out(
    `| signed error p1/p50/p99 µs | ${fmt(quantile(signed, 0.01), 1)} / ${
      fmt(quantile(signed, 0.5), 1)
    } / ${fmt(quantile(signed, 0.99), 1)} |`,
  );
  const err = ours.map((v, i) => Math.abs(v - (wire[i] ?? 0))).sort((a, b) =>
    a - b
  );
  const p50 = quantile(err, 0.5), p99 = quantile(err, 0.99);
  out(
    `| error p50 µs | ${fmt(p50, 1)} | p99 µs | ${fmt(p99, 1)} | max µs | ${
      fmt(err[err.length - 1] ?? NaN, 1)
    } |`,
  );
  return { p50, p99 };
}

async function soak(lab: Lab, dir: string) {
  out(`\n## Soak: 10,000 targets for 10 minutes`);
  const r = await runOurs(lab, [
    "--interval",
    "1000",
    "--timeout",
    "1000",
    "--duration",
    "600000",
    "--targets-file",
    `${dir}/targets-10000.txt`,
  ]);
  out(
    `| sent | ${r.sent} | loss % | ${fmt(loss(r))} | peak RSS MiB | ${
      fmt(r.hwmKiB / 1024, 1)
    } | end RSS MiB | ${fmt((r.summary?.vmRssKiB ?? NaN) / 1024, 1)} |`,
  );
}

/**
 * Runs the probe benchmark and prints Markdown tables with ratios against
 * fping and the goals met or missed. Needs root and /usr/bin/fping.
 * @param args `--soak` adds the 10-minute soak
 */
export async function run(args: string[] = Deno.args): Promise<void> {
  if (labUnavailable) {
    out(`probe bench skipped: ${labUnavailable}`);
    return;
  }
  const lab = await Lab.create({
    hosts: [
      { name: "agent", addresses: ["2001:db8::1/64"] },
      {
        name: "target",
        addresses: ["2001:db8::2/64"],
        sysctls: {
          "net.ipv6.icmp.ratelimit": "0",
          "net.ipv4.icmp_ratelimit": "0",
        },
      },
    ],
  });
  const dir = await Deno.makeTempDir({ prefix: "gap-bench-" });
  try {
    await lab.ip("agent", [
      "-6",
      "route",
      "add",
      "2001:db8:100::/64",
      "via",
      "2001:db8::2",
    ]);
    const t0 = performance.now();
    await lab.addAddresses(
      "target",
      Array.from({ length: 10_000 }, (_, i) => `${target(i)}/128`),
      "lo",
    );
    out(`# Probe benchmark (ours vs fping ${FPING}), lab ${lab.id}`);
    out(
      `setup: 10,000 addresses on the target host in ${
        fmt(performance.now() - t0, 0)
      } ms`,
    );
    await runOurs(lab, [
      "--interval",
      "100",
      "--timeout",
      "100",
      "--duration",
      "300",
      target(0),
    ]); // warm the module cache
    if (args.includes("--accuracy-only")) {
      await accuracy(lab);
      return;
    }
    if (args.includes("--10k-only")) {
      await sustained(lab, dir, 10_000, 10);
      return;
    }
    if (args.includes("--1k-only")) {
      await sustained(lab, dir, 1000, 10);
      return;
    }
    const k1 = await sustained(lab, dir, 1000, 10);
    const k10 = await sustained(lab, dir, 10_000, 10);
    const b = await burst(lab, dir);
    const acc = await accuracy(lab);
    const first = k1.ours.summary;
    const spawnToFirst = (first?.firstSendWallMs ?? NaN) - k1.ours.spawnWallMs;
    out(`\n## Start-up and memory`);
    out(
      `| time from spawn (ip netns exec + deno run) to first probe ms | ${
        fmt(spawnToFirst, 1)
      } |`,
    );
    out(
      `| time from process start (timeOrigin) to first probe ms | ${
        fmt(first?.firstSendSinceStartMs ?? NaN, 1)
      } |`,
    );
    out(
      `| RSS with 1,000 targets MiB (end / peak) | ${
        fmt((first?.vmRssKiB ?? NaN) / 1024, 1)
      } / ${fmt(k1.ours.hwmKiB / 1024, 1)} |`,
    );
    out(`\n## Goals`);
    const r10 = rate(k10.ours) / rate(k10.fping);
    out(
      `| 10k: rate ≥ 1.3× fping with 0 lost | ${fmt(r10)}×, lost ${
        k10.ours.sent - k10.ours.received
      } | ${verdict(r10 >= 1.3 && k10.ours.sent === k10.ours.received)} |`,
    );
    const c10 = cpuPerK(k10.ours) / cpuPerK(k10.fping);
    out(
      `| CPU/probe ≤ 1.0× fping (10k) | ${fmt(c10)}× | ${
        verdict(c10 <= 1.0)
      } |`,
    );
    out(
      `| RTT error p50 ≤ 20 µs, p99 ≤ 200 µs | ${fmt(acc.p50, 1)} / ${
        fmt(acc.p99, 1)
      } µs | ${verdict(acc.p50 <= 20 && acc.p99 <= 200)} |`,
    );
    out(
      `| first probe ≤ 150 ms (spawn → send) | ${fmt(spawnToFirst, 1)} ms | ${
        verdict(spawnToFirst <= 150)
      } |`,
    );
    out(
      `| RSS ≤ 80 MiB (peak, 10k) | ${fmt(k10.ours.hwmKiB / 1024, 1)} MiB | ${
        verdict(k10.ours.hwmKiB <= 80 * 1024)
      } |`,
    );
    out(
      `| burst: 0 lost, 0 false downs | ${
        b.ours.sent - b.ours.received
      } lost, ${b.ours.timeouts} down | ${
        verdict(b.ours.sent === b.ours.received && b.ours.timeouts === 0)
      } |`,
    );
    if (args.includes("--soak")) await soak(lab, dir);
  } finally {
    await lab.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await run();
