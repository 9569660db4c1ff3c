/**
 * Runs one tool (our probe runner or fping) in the bench lab and measures
 * probes, replies, CPU (getrusage of waited children), peak RSS and time.
 * @module
 */

import { C, getrusage } from "../../ffi/libc.ts";
import type { Lab } from "../support/netns.ts";
import type { Summary } from "../support/probe_runner.ts";

const RUNNER = new URL("../support/probe_runner.ts", import.meta.url).pathname;
/** fping, run in the same namespace on the same targets. */
export const FPING = "/usr/bin/fping";

/** What one tool did in one run. */
export interface RunResult {
  sent: number;
  received: number;
  timeouts: number;
  elapsedMs: number;
  activeMs: number;
  cpuSeconds: number;
  hwmKiB: number;
  rttMedianMicros: number | null;
  summary?: Summary;
  spawnWallMs: number;
}

/**
 * @param i index from 0
 * @returns the i-th bench target in 2001:db8:100::/64
 */
export function target(i: number): string {
  return `2001:db8:100::${(i + 1).toString(16)}`;
}

/**
 * @param sorted ascending values
 * @param q quantile in [0, 1]
 * @returns the value at that quantile (NaN when empty)
 */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ??
    NaN;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
  }
  return text;
}

/** Samples VmHWM of a pid until it exits. */
function sampleHwm(pid: number, done: Promise<unknown>): Promise<number> {
  let hwm = 0;
  let finished = false;
  done.finally(() => finished = true);
  return (async () => {
    while (!finished) {
      try {
        const s = Deno.readTextFileSync(`/proc/${pid}/status`);
        const m = s.match(/^VmHWM:\s+(\d+)/m);
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch { /* exited */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    return hwm;
  })();
}

/**
 * Runs tests/support/probe_runner.ts in the lab's "agent" host.
 * @param lab the bench lab
 * @param args runner flags (must include `--duration`)
 * @returns counts, CPU, memory and the runner's summary
 */
export async function runOurs(lab: Lab, args: string[]): Promise<RunResult> {
  const cpu0 = getrusage(C.RUSAGE_CHILDREN).cpuSeconds;
  const spawnWallMs = performance.timeOrigin + performance.now();
  const child = lab.spawn("agent", [
    Deno.execPath(),
    "run",
    "-A",
    RUNNER,
    ...args,
  ]);
  const [stdout, stderr, status] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    child.status,
  ]);
  const elapsedMs = performance.timeOrigin + performance.now() - spawnWallMs;
  const last = stdout.trim().split("\n").pop() ?? "";
  if (!status.success || !last.includes('"summary"')) {
    throw new Error(`runner failed (${status.code}): ${stderr}`);
  }
  const summary = JSON.parse(last) as Summary;
  const duration = Number(args[args.indexOf("--duration") + 1]);
  return {
    sent: summary.stats.sent,
    received: summary.stats.received,
    timeouts: summary.stats.timeouts,
    elapsedMs,
    activeMs: duration,
    cpuSeconds: getrusage(C.RUSAGE_CHILDREN).cpuSeconds - cpu0,
    hwmKiB: summary.vmHwmKiB,
    rttMedianMicros: summary.rttMedianMicros,
    summary,
    spawnWallMs,
  };
}

/**
 * Runs fping with `-C N -q` in the lab's "agent" host and parses its
 * per-target RTT lists.
 * @param lab the bench lab
 * @param args fping flags and targets
 * @param tailMs time fping waits after its last send (excluded from the rate)
 * @returns counts, CPU, sampled peak RSS
 */
export async function runFping(
  lab: Lab,
  args: string[],
  tailMs: number,
): Promise<RunResult> {
  const cpu0 = getrusage(C.RUSAGE_CHILDREN).cpuSeconds;
  const spawnWallMs = performance.timeOrigin + performance.now();
  const child = lab.spawn("agent", [FPING, ...args]);
  const hwm = sampleHwm(child.pid, child.status);
  const [, stderr] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    child.status,
  ]);
  const elapsedMs = performance.timeOrigin + performance.now() - spawnWallMs;
  let sent = 0, received = 0;
  const rtts: number[] = [];
  for (const line of stderr.split("\n")) {
    const m = line.match(/^\S+\s+: (.*)$/);
    if (!m || !m[1] || m[1].includes("xmt")) continue;
    for (const v of m[1].trim().split(/\s+/)) {
      sent++;
      if (v !== "-") {
        received++;
        rtts.push(Number(v) * 1000);
      }
    }
  }
  rtts.sort((a, b) => a - b);
  return {
    sent,
    received,
    timeouts: sent - received,
    elapsedMs,
    activeMs: Math.max(1, elapsedMs - tailMs),
    cpuSeconds: getrusage(C.RUSAGE_CHILDREN).cpuSeconds - cpu0,
    hwmKiB: await hwm,
    rttMedianMicros: rtts.length ? quantile(rtts, 0.5) : null,
    spawnWallMs,
  };
}
