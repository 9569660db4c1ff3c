/**
 * Body of `goavail probe --pool NAME [IP...]`: probes a `[[pool]]`'s IPs
 * (primaries and backups, or those given) with the pool's own check — ICMP,
 * TCP connect, or HTTP(S) with its status and body matching, Host and TLS
 * name — and prints the same fping-like summary lines as `goavail probe`.
 * @module
 */

import type { PoolConfig } from "../config/types.ts";
import { type Clock, systemClock } from "../observe/clock.ts";
import { silentLogger } from "../observe/log.ts";
import { httpCheckSpec } from "./http_check.ts";
import { runHttpProbeCommand } from "./http_probe_command.ts";
import {
  distinctTargets,
  formatSummary,
  runProbeCommand,
} from "./probe_command.ts";
import { TcpProber, type TcpProberOptions } from "./tcp.ts";
import type { IcmpSockets, Observation, RouteLookup } from "./types.ts";

/** Options of {@linkcode runPoolProbeCommand}. */
export interface PoolProbeCommandOptions {
  pool: PoolConfig;
  /** Addresses to probe instead of the pool's. @default its IPs and backups */
  targets?: string[];
  /** Probes per target (≥ 1). */
  count: number;
  /** Milliseconds between two probes of one target. */
  intervalMs: number;
  /** Opens the ICMP sockets (ICMP checks only). */
  openSockets: () => IcmpSockets;
  /** Tells a local "no route" from a network's unreachable (TCP, HTTP). */
  hasRoute?: RouteLookup;
  /** Receives each output line (no trailing newline). */
  write(line: string): void;
  /** @default systemClock */
  clock?: Clock;
  /** Connects a TCP socket; tests substitute it. @default Deno.connect */
  connect?: TcpProberOptions["connect"];
}

/** @returns the IPs `goavail probe --pool` checks: primaries, then backups */
export function poolProbeTargets(pool: PoolConfig): string[] {
  return [...new Set([...pool.ipAddresses, ...pool.backupIps])];
}

/**
 * Runs the pool probe command.
 * @returns exit code: 0 when every target passed at least once, 1 when some
 *   did not, 2 for a target that is not an IP address, 4 when ICMP sockets
 *   cannot be opened
 */
export function runPoolProbeCommand(
  opts: PoolProbeCommandOptions,
): Promise<number> {
  const c = opts.pool.check;
  const targets = opts.targets?.length
    ? opts.targets
    : poolProbeTargets(opts.pool);
  // The pool's own timeout, never beyond the gap between two probes.
  const timeoutMs = Math.min(c.timeout * 1000, opts.intervalMs);
  const common = {
    targets,
    count: opts.count,
    intervalMs: opts.intervalMs,
    timeoutMs,
    write: opts.write,
    clock: opts.clock,
  };
  if (c.type === "icmp") {
    return runProbeCommand({ ...common, openSockets: opts.openSockets });
  }
  if (c.type === "tcp") return runTcpProbe(c.port!, common, opts);
  return runHttpProbeCommand({
    ...common,
    spec: httpCheckSpec({ ...c, type: c.type }),
  });
}

/** TCP connects `count` times per target, through the monitor's prober. */
async function runTcpProbe(
  port: number,
  common: {
    targets: string[];
    count: number;
    intervalMs: number;
    timeoutMs: number;
    write(line: string): void;
    clock?: Clock;
  },
  opts: PoolProbeCommandOptions,
): Promise<number> {
  const targets = distinctTargets(common.targets, common.write);
  if (!targets) return 2;
  const count = Math.max(1, Math.floor(common.count));
  const tallies = new Map(
    targets.map((t) => [t, { xmt: 0, rtts: [] as number[] }]),
  );
  let remaining = targets.length;
  const done = Promise.withResolvers<void>();
  const prober = new TcpProber(port, {
    clock: common.clock ?? systemClock,
    logger: silentLogger,
    timing: { intervalMs: common.intervalMs, timeoutMs: common.timeoutMs },
    hasRoute: opts.hasRoute,
    connect: opts.connect,
    onObservation: (o: Observation) => {
      const tally = tallies.get(o.ip);
      if (!tally || tally.xmt >= count) return;
      tally.xmt++;
      if (o.ok && o.rttMicros !== null) tally.rtts.push(o.rttMicros);
      if (tally.xmt === count && --remaining === 0) done.resolve();
    },
  });
  prober.setTargets(targets);
  prober.start();
  // Bounded: every target's probes are due within count intervals, each
  // ends by its timeout.
  const bound = (count + 1) * (common.intervalMs + common.timeoutMs);
  // setTimeout fires at once beyond 2^31 - 1 ms.
  const timer = setTimeout(done.resolve, Math.min(bound, 2 ** 31 - 1));
  try {
    await done.promise;
  } finally {
    clearTimeout(timer);
    await prober.stop();
  }
  const width = Math.max(...targets.map((t) => t.length));
  for (const t of targets) {
    common.write(formatSummary(t, width, tallies.get(t)!));
  }
  return targets.every((t) => tallies.get(t)!.rtts.length > 0) ? 0 : 1;
}
