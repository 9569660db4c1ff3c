/**
 * Body of `goavail probe --check http://HOST[:PORT]/PATH [IP...]`: runs the
 * HTTP(S) check `count` times against each target IP and prints the same
 * fping-like summary line as the ICMP probe, followed by the status codes
 * seen and the last failure.
 * @module
 */

import { type Clock, systemClock } from "../observe/clock.ts";
import type { CheckUrl } from "./check_url.ts";
import { type HttpCheckSpec, runHttpCheck } from "./http_check.ts";
import { distinctTargets, formatSummary } from "./probe_command.ts";
import type { Observation } from "./types.ts";

/** Options of {@linkcode runHttpProbeCommand}. */
export type HttpProbeCommandOptions =
  & HttpProbeCommandTiming
  & (
    /** The parsed `--check` URL: any 2xx/3xx passes. */
    | { check: CheckUrl; spec?: never }
    /** A pool's check (`goavail probe --pool`), with its matching. */
    | { spec: Omit<HttpCheckSpec, "timeoutMs">; check?: never }
  );

/** Targets, timing and output of {@linkcode runHttpProbeCommand}. */
export interface HttpProbeCommandTiming {
  /** Addresses to check (IPv4 or IPv6 literals). */
  targets: string[];
  /** Checks per target (≥ 1). */
  count: number;
  /** Milliseconds from the start of one check of a target to the next. */
  intervalMs: number;
  /** Milliseconds one check may take. */
  timeoutMs: number;
  /** Receives each output line (no trailing newline). */
  write(line: string): void;
  /** @default systemClock */
  clock?: Clock;
  /** Runs one check; tests substitute it. @default runHttpCheck */
  runCheck?: (ip: string, spec: HttpCheckSpec) => Promise<Observation>;
}

/** Per-target tally. */
interface Tally {
  xmt: number;
  rtts: number[];
  statuses: number[];
  lastFailure: string | null;
}

/**
 * Runs the HTTP(S) probe command.
 * @param opts URL, targets, count, timing and output
 * @returns exit code: 0 when every target passed at least one check, 1
 *   when some did not, 2 for a target that is not an IP address
 */
export async function runHttpProbeCommand(
  opts: HttpProbeCommandOptions,
): Promise<number> {
  const targets = distinctTargets(opts.targets, opts.write);
  if (!targets) return 2;
  const spec: HttpCheckSpec = opts.spec
    ? { ...opts.spec, timeoutMs: opts.timeoutMs }
    : {
      scheme: opts.check.scheme,
      host: opts.check.host,
      port: opts.check.port,
      path: opts.check.path,
      expectStatus: null,
      expectBody: null,
      timeoutMs: opts.timeoutMs,
      tlsVerify: true,
    };
  const tallies = await Promise.all(
    targets.map((ip) => checkRepeatedly(ip, spec, opts)),
  );
  const width = Math.max(...targets.map((t) => t.length));
  targets.forEach((ip, i) =>
    opts.write(formatHttpSummary(ip, width, tallies[i]!))
  );
  return tallies.every((t) => t.rtts.length > 0) ? 0 : 1;
}

/**
 * Formats one summary line: fping's, then the status codes seen (in the
 * order first seen, "-" for none) and the last failure, if any.
 * @param ip the target
 * @param width column width of the target name
 * @param tally checks sent, RTTs (µs) of passes, statuses, last failure
 * @returns e.g. `127.0.0.1 : xmt/rcv/%loss = 3/2/33%, min/avg/max =
 *   0.412/0.450/0.488, status 200/503, last failure: status 503`
 */
export function formatHttpSummary(
  ip: string,
  width: number,
  tally: Tally,
): string {
  const statuses = [...new Set(tally.statuses)].join("/") || "-";
  const line = `${formatSummary(ip, width, tally)}, status ${statuses}`;
  return tally.lastFailure === null
    ? line
    : `${line}, last failure: ${tally.lastFailure}`;
}

async function checkRepeatedly(
  ip: string,
  spec: HttpCheckSpec,
  opts: HttpProbeCommandOptions,
): Promise<Tally> {
  const clock = opts.clock ?? systemClock;
  const check = opts.runCheck ??
    ((target: string, s: HttpCheckSpec) => runHttpCheck(target, s, { clock }));
  const tally: Tally = { xmt: 0, rtts: [], statuses: [], lastFailure: null };
  const count = Math.max(1, Math.floor(opts.count));
  for (let i = 0; i < count; i++) {
    const started = clock.monotonicMicros();
    const o = await check(ip, spec);
    tally.xmt++;
    if (o.status !== undefined) tally.statuses.push(o.status);
    if (o.ok && o.rttMicros !== null) tally.rtts.push(o.rttMicros);
    else tally.lastFailure = describeFailure(o);
    if (i === count - 1) break;
    const elapsedMs = (clock.monotonicMicros() - started) / 1000;
    await clock.sleep(Math.max(0, opts.intervalMs - elapsedMs));
  }
  return tally;
}

function describeFailure(o: Observation): string {
  if (o.fault === "timeout") return "timeout";
  const detail = o.detail ?? "failed";
  return o.fault === "local" ? `${detail} (local fault)` : detail;
}
