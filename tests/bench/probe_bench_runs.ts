/**
 * Runs one tool (our probe runner or fping) in the bench lab and measures
 * both the same way: wall ms from spawn to exit on the bench's monotonic
 * clock, CPU seconds from getrusage(RUSAGE_CHILDREN) around the wait (the
 * kernel's count for the reaped child; `ip netns exec` execs the tool, so
 * the child is the tool itself), peak RSS from /proc/PID/status VmHWM
 * sampled every 20 ms (plus, for ours, the runner's own VmHWM at exit).
 * @module
 */

import { C, getrusage } from "../../ffi/libc.ts";
import type { Lab } from "../support/netns.ts";
import type { Summary } from "../support/probe_runner.ts";

const RUNNER = new URL("../support/probe_runner.ts", import.meta.url).pathname;
/** fping, run in the same namespace on the same targets. */
export const FPING = "/usr/bin/fping";

/** What one tool did in one run, measured the same way for both. */
export interface RunResult {
  /** Probes sent. */
  sent: number;
  /** Replies in time. */
  received: number;
  /** Probes that timed out or failed to send. */
  lost: number;
  /** Wall ms from spawn to exit (bench clock). */
  wallMs: number;
  /** User + system CPU seconds of the child. */
  cpuSeconds: number;
  /** Peak RSS KiB. */
  hwmKiB: number;
  /** RTTs in µs, when asked for (ours: `--rtt-list`; fping: always). */
  rtts: number[];
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
  }
  return text;
}

/** Samples VmHWM of a pid until it exits. */
async function sampleHwm(pid: number, done: Promise<unknown>): Promise<number> {
  let hwm = 0;
  let finished = false;
  done.finally(() => finished = true);
  while (!finished) {
    try {
      const s = await Deno.readTextFile(`/proc/${pid}/status`);
      const m = s.match(/^VmHWM:\s+(\d+)/m);
      if (m) hwm = Math.max(hwm, Number(m[1]));
    } catch { /* exited */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  return hwm;
}

/** A run the bench killed because it outlived its deadline. */
export class DeadlineError extends Error {
  /**
   * @param tool which tool
   * @param deadlineMs the deadline it outlived
   */
  constructor(tool: string, readonly deadlineMs: number) {
    super(
      `${tool} killed after ${
        (deadlineMs / 1000).toFixed(1)
      } s (did not finish or stop by itself)`,
    );
  }
}

/** What {@linkcode measure} saw of one process. */
interface Measured {
  stdout: string;
  stderr: string;
  code: number;
  wallMs: number;
  cpuSeconds: number;
  hwmKiB: number;
}

/**
 * Spawns argv in the lab's "agent" host and measures it (the same code for
 * both tools). Runs must not overlap when CPU matters: RUSAGE_CHILDREN
 * counts every child reaped meanwhile.
 * @throws DeadlineError after killing a child that outlived `deadlineMs`
 */
async function measure(
  lab: Lab,
  argv: string[],
  deadlineMs: number,
): Promise<Measured> {
  const cpu0 = getrusage(C.RUSAGE_CHILDREN).cpuSeconds;
  const t0 = performance.now();
  const child = lab.spawn("agent", argv);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, deadlineMs);
  const hwm = sampleHwm(child.pid, child.status);
  const [stdout, stderr, status] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    child.status,
  ]).finally(() => clearTimeout(timer));
  const wallMs = performance.now() - t0;
  if (killed) {
    await hwm;
    throw new DeadlineError(argv[0] === FPING ? "fping" : "ours", deadlineMs);
  }
  const cpuSeconds = getrusage(C.RUSAGE_CHILDREN).cpuSeconds - cpu0;
  return {
    stdout,
    stderr,
    code: status.code,
    wallMs,
    cpuSeconds,
    hwmKiB: await hwm,
  };
}

/**
 * @param i index from 0
 * @returns the i-th bench target in 2001:db8:100::/64
 */
export function target(i: number): string {
  return `2001:db8:100::${(i + 1).toString(16)}`;
}

/**
 * Runs tests/support/probe_runner.ts in the lab's "agent" host.
 * @param lab the bench lab
 * @param args runner flags
 * @param deadlineMs kill it after this long
 * @returns counts, CPU, memory, RTTs (with `--rtt-list`)
 * @throws DeadlineError when killed; Error when it fails or prints no summary
 */
export async function runOurs(
  lab: Lab,
  args: string[],
  deadlineMs: number,
): Promise<RunResult> {
  const m = await measure(
    lab,
    [Deno.execPath(), "run", "-A", RUNNER, ...args],
    deadlineMs,
  );
  const last = m.stdout.trim().split("\n").pop() ?? "";
  if (m.code !== 0 || !last.includes('"summary"')) {
    throw new Error(`runner failed (${m.code}): ${m.stderr.slice(-500)}`);
  }
  const s = JSON.parse(last) as Summary;
  return {
    sent: s.stats.sent,
    received: s.stats.received,
    lost: s.stats.timeouts + s.stats.localFaults,
    wallMs: m.wallMs,
    cpuSeconds: m.cpuSeconds,
    hwmKiB: Math.max(m.hwmKiB, s.vmHwmKiB),
    rtts: s.rtts ?? [],
  };
}

/**
 * Parses fping's `-C N -q` report (stderr): one line per target with one
 * RTT in ms or `-` per probe.
 * @param stderr fping's stderr
 * @returns sent, received and RTTs in µs
 */
export function parseFpingCounts(
  stderr: string,
): { sent: number; received: number; rtts: number[] } {
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
  return { sent, received, rtts };
}

/**
 * Runs fping (with `-C N -q`) in the lab's "agent" host.
 * @param lab the bench lab
 * @param args fping flags and targets
 * @param deadlineMs kill it after this long
 * @returns counts, CPU, sampled peak RSS, RTTs
 * @throws DeadlineError when killed; Error when fping reports nothing sent
 *   (exit 1 = some unreachable is fine)
 */
export async function runFping(
  lab: Lab,
  args: string[],
  deadlineMs: number,
): Promise<RunResult> {
  const m = await measure(lab, [FPING, ...args], deadlineMs);
  const c = parseFpingCounts(m.stderr);
  if (c.sent === 0) {
    throw new Error(`fping failed (${m.code}): ${m.stderr.slice(-500)}`);
  }
  return {
    sent: c.sent,
    received: c.received,
    lost: c.sent - c.received,
    wallMs: m.wallMs,
    cpuSeconds: m.cpuSeconds,
    hwmKiB: m.hwmKiB,
    rtts: c.rtts,
  };
}
