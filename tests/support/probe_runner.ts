/**
 * Runs the real Pinger (FFI sockets) in this process and reports on stdout
 * as JSON lines; e2e tests and the benchmark start it inside a namespace:
 * `ip netns exec NS deno run -A tests/support/probe_runner.ts [flags] IP...`
 *
 * Flags: `--interval MS` `--timeout MS` `--duration MS` (else run until
 * stdin says `stop` or closes) `--count N` (stop after N observations) `--targets-file F` `--json` (one line per
 * observation) `--rtt-list` (all RTTs in the summary) `--capture IFACE`
 * (record wire RTTs with a packet socket) `--datagram-only` `--burst`
 * (each round sent at once) `--per-target` `--adaptive` (adaptive timeouts,
 * `--timeout` until warm; each JSON observation then carries `timeoutMicros`,
 * the target's timeout after that outcome).
 * Stdin commands: `targets IP...`, `timing INTERVAL TIMEOUT`, `stop`.
 * Last line: `{"type":"summary", ...}` (see {@linkcode Summary}).
 * @module
 */

import { openIcmpSockets } from "../../ffi/icmp_socket.ts";
import { C, getrusage } from "../../ffi/libc.ts";
import { systemClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { Pinger } from "../../lib/probe/pinger.ts";
import type {
  IcmpSocket,
  Observation,
  ProbeStats,
} from "../../lib/probe/types.ts";
import { PacketCapture } from "./packet_capture.ts";

/** The final line the runner prints. */
export interface Summary {
  type: "summary";
  stats: ProbeStats;
  /** Socket kinds opened, e.g. { v4: "raw", v6: "raw" }. */
  kinds: Record<string, string>;
  /** Wall ms (fractional) of the first send. */
  firstSendWallMs: number | null;
  /** ms from process start (timeOrigin) to the first send. */
  firstSendSinceStartMs: number | null;
  /** CPU seconds spent while probing, and over the whole process. */
  cpuProbingSeconds: number;
  cpuTotalSeconds: number;
  /** Peak RSS (VmHWM) and RSS at the end, KiB. */
  vmHwmKiB: number;
  vmRssKiB: number;
  /** Median RTT of ok observations (µs) and count of observations. */
  rttMedianMicros: number | null;
  observations: number;
  /** Observations per target: [ok, timeout, local]. */
  perTarget?: Record<string, [number, number, number]>;
  rtts?: number[];
  wireRtts?: number[];
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function bool(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

function status(key: string): number {
  const text = Deno.readTextFileSync("/proc/self/status");
  const m = text.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"));
  return m ? Number(m[1]) : 0;
}

const encoder = new TextEncoder();
function emit(obj: unknown): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(obj) + "\n"));
}

async function readCommands(pinger: Pinger, stop: AbortController) {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const [cmd, ...rest] = buffer.slice(0, nl).trim().split(/\s+/);
      buffer = buffer.slice(nl + 1);
      if (cmd === "targets") pinger.setTargets(rest);
      if (cmd === "timing") {
        pinger.setTiming({
          intervalMs: Number(rest[0]),
          timeoutMs: Number(rest[1]),
          adaptive: rest[2] === "adaptive",
        });
      }
      if (cmd === "stop") return stop.abort();
    }
  }
  stop.abort();
}

function histogramMedian(h: Uint32Array): number | null {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen > Math.floor(total / 2)) return i;
  }
  return null;
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const intervalMs = Number(flag(args, "--interval") ?? 1000);
  const timeoutMs = Number(flag(args, "--timeout") ?? 1000);
  const duration = flag(args, "--duration");
  const count = Number(flag(args, "--count") ?? Infinity);
  const file = flag(args, "--targets-file");
  const captureIface = flag(args, "--capture");
  const json = bool(args, "--json");
  const rttList = bool(args, "--rtt-list");
  const perTargetWanted = bool(args, "--per-target");
  const datagramOnly = bool(args, "--datagram-only");
  const burst = bool(args, "--burst");
  const adaptive = bool(args, "--adaptive");
  const targets = file
    ? Deno.readTextFileSync(file).split(/\s+/).filter((s) => s)
    : args;

  const capture = captureIface ? PacketCapture.open(captureIface) : null;
  const sockets = openIcmpSockets({ datagramOnly });
  let firstSend: number | null = null;
  const wrap = (s: IcmpSocket | undefined): IcmpSocket | undefined => {
    if (!s) return s;
    const send = s.send.bind(s);
    s.send = (ip, packet) => {
      firstSend ??= performance.now();
      return send(ip, packet);
    };
    return s;
  };
  const rtts: number[] = [];
  // Fixed-size histogram (1 µs buckets up to 100 ms) so the runner's own
  // memory does not grow with the probe count.
  const histogram = new Uint32Array(100_001);
  const perTarget: Record<string, [number, number, number]> = {};
  let observations = 0;
  const stop = new AbortController();
  const onObservation = (o: Observation) => {
    if (++observations >= count) stop.abort();
    if (o.ok && o.rttMicros !== null) {
      histogram[Math.min(o.rttMicros, 100_000)]!++;
      if (rttList) rtts.push(o.rttMicros);
    }
    if (perTargetWanted) {
      const t = perTarget[o.ip] ??= [0, 0, 0];
      t[o.ok ? 0 : o.fault === "local" ? 2 : 1]++;
    }
    if (json && adaptive) {
      const timeoutMicros = pinger.probeTimeoutMicros(o.ip);
      emit({ type: "observation", ...o, timeoutMicros });
    } else if (json) emit({ type: "observation", ...o });
  };
  const cpuStart = getrusage(C.RUSAGE_SELF).cpuSeconds;
  const pinger = new Pinger({ v4: wrap(sockets.v4), v6: wrap(sockets.v6) }, {
    clock: systemClock,
    logger: silentLogger,
    onObservation,
    timing: { intervalMs, timeoutMs, adaptive },
    spread: !burst,
  });
  pinger.setTargets(targets);
  pinger.start();
  emit({ type: "started" });
  const memTimer = bool(args, "--mem")
    ? setInterval(() => emit({ type: "memory", ...Deno.memoryUsage() }), 1000)
    : undefined;
  if (duration) {
    await systemClock.sleep(Number(duration), stop.signal);
  } else {
    await readCommands(pinger, stop);
  }
  clearInterval(memTimer);
  await pinger.stop();
  const usage = getrusage(C.RUSAGE_SELF).cpuSeconds;
  const summary: Summary = {
    type: "summary",
    stats: pinger.stats(),
    kinds: Object.fromEntries(
      Object.entries(sockets).map(([k, s]) => [k, (s as IcmpSocket).kind]),
    ),
    firstSendWallMs: firstSend === null
      ? null
      : performance.timeOrigin + firstSend,
    firstSendSinceStartMs: firstSend,
    cpuProbingSeconds: usage - cpuStart,
    cpuTotalSeconds: usage,
    vmHwmKiB: status("VmHWM"),
    vmRssKiB: status("VmRSS"),
    rttMedianMicros: histogramMedian(histogram),
    observations,
  };
  if (perTargetWanted) summary.perTarget = perTarget;
  if (rttList) summary.rtts = rtts;
  if (capture) {
    summary.wireRtts = capture.echoRtts();
    capture.close();
  }
  sockets.v4?.close();
  sockets.v6?.close();
  emit(summary);
}

if (import.meta.main) await main(Deno.args);
