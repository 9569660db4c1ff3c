/**
 * Body of `goavail probe [-f FILE] [--count N] [--interval S] [IP...]`:
 * probes each target `count` times and prints one fping-like summary line
 * per target.
 * @module
 */

import { type Clock, systemClock } from "../observe/clock.ts";
import { silentLogger } from "../observe/log.ts";
import { parseIp } from "../net/ip.ts";
import { Pinger } from "./pinger.ts";
import { type IcmpSockets, type Observation, ProbeError } from "./types.ts";

/** Options of {@linkcode runProbeCommand}. */
export interface ProbeCommandOptions {
  /** Addresses to probe (IPv4 or IPv6 literals). */
  targets: string[];
  /** Probes per target (≥ 1). */
  count: number;
  /** Milliseconds between two probes of one target. */
  intervalMs: number;
  /** Milliseconds a probe waits for its reply. */
  timeoutMs: number;
  /** Opens the ICMP sockets; called once, closed by the command. */
  openSockets: () => IcmpSockets;
  /** Receives each output line (no trailing newline). */
  write(line: string): void;
  /** @default systemClock */
  clock?: Clock;
}

/** Per-target tally. */
interface Tally {
  xmt: number;
  rtts: number[];
}

/**
 * Formats one fping-style summary line.
 * @param ip the target
 * @param width column width of the target name
 * @param tally probes sent and RTTs (µs) of replies
 * @returns e.g. `127.0.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.031/0.045/0.062`
 */
export function formatSummary(
  ip: string,
  width: number,
  tally: { xmt: number; rtts: number[] },
): string {
  const rcv = tally.rtts.length;
  const loss = tally.xmt === 0
    ? 0
    : Math.round(((tally.xmt - rcv) / tally.xmt) * 100);
  let line = `${
    ip.padEnd(width)
  } : xmt/rcv/%loss = ${tally.xmt}/${rcv}/${loss}%`;
  if (rcv > 0) {
    const ms = (us: number) => (us / 1000).toFixed(3);
    const sum = tally.rtts.reduce((a, b) => a + b, 0);
    line += `, min/avg/max = ${ms(Math.min(...tally.rtts))}/${ms(sum / rcv)}/${
      ms(Math.max(...tally.rtts))
    }`;
  }
  return line;
}

/**
 * The command line's targets, each once, or null (after saying why) when
 * one is not an IP address or none is given (exit code 2, like fping).
 * @param targets as given
 * @param write output line sink
 * @returns the distinct targets, or null
 */
export function distinctTargets(
  targets: readonly string[],
  write: (line: string) => void,
): string[] | null {
  const distinct = [...new Set(targets)];
  const bad = distinct.filter((t) => !parseIp(t));
  for (const t of bad) write(`${t}: not an IP address`);
  if (distinct.length === 0) write("No targets given");
  return bad.length > 0 || distinct.length === 0 ? null : distinct;
}

/**
 * Runs the probe command.
 * @param opts targets, count, timing, socket factory and output
 * @returns exit code: 0 when every target answered at least once, 1 when
 * some did not, 2 for a target that is not an IP address, 4 when ICMP
 * sockets cannot be opened (like fping)
 */
export async function runProbeCommand(
  opts: ProbeCommandOptions,
): Promise<number> {
  const targets = distinctTargets(opts.targets, opts.write);
  if (!targets) return 2;
  let sockets: IcmpSockets;
  try {
    sockets = opts.openSockets();
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    opts.write(e.message);
    return 4;
  }
  try {
    const tallies = await probeAll(targets, opts, sockets);
    const width = Math.max(...targets.map((t) => t.length));
    for (const t of targets) {
      opts.write(
        formatSummary(t, width, tallies.get(t) ?? { xmt: 0, rtts: [] }),
      );
    }
    return targets.every((t) => (tallies.get(t)?.rtts.length ?? 0) > 0) ? 0 : 1;
  } finally {
    sockets.v4?.close();
    sockets.v6?.close();
  }
}

async function probeAll(
  targets: string[],
  opts: ProbeCommandOptions,
  sockets: IcmpSockets,
): Promise<Map<string, Tally>> {
  const clock = opts.clock ?? systemClock;
  const count = Math.max(1, Math.floor(opts.count));
  const tallies = new Map<string, Tally>(
    targets.map((t) => [t, { xmt: 0, rtts: [] }]),
  );
  let remaining = targets.length;
  const done = new AbortController();
  const onObservation = (o: Observation) => {
    const tally = tallies.get(o.ip);
    if (!tally || tally.xmt >= count) return;
    tally.xmt++;
    if (o.ok && o.rttMicros !== null) tally.rtts.push(o.rttMicros);
    if (tally.xmt === count && --remaining === 0) done.abort();
  };
  const pinger = new Pinger(sockets, {
    clock,
    logger: silentLogger,
    onObservation,
    timing: { intervalMs: opts.intervalMs, timeoutMs: opts.timeoutMs },
  });
  pinger.setTargets(targets);
  pinger.start();
  try {
    // Bound the wait even if observations stop arriving.
    const limit = count * opts.intervalMs + opts.timeoutMs + 2000;
    await clock.sleep(limit, done.signal);
  } finally {
    await pinger.stop();
  }
  return tallies;
}
