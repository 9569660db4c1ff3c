/**
 * What `monitor` says at info level while nothing changes: each target's
 * first verdict, once fresh probes back it ("203.0.113.11 up, rtt 0.21
 * ms"), and a one-line summary every `summary_interval` seconds (targets
 * up and down, whether DNS is in sync, peers live). The lines are built by
 * pure functions; {@linkcode ProgressLog} only remembers which targets it
 * announced.
 * @module
 */
import type { IpHealth } from "../health/verdict.ts";
import type { Logger } from "../observe/log.ts";

/**
 * @param h the target's health once its verdict is settled
 * @returns the first-verdict line: the RTT of the last reply when up, the
 *   misses in a row when down
 */
export function firstVerdictLine(h: IpHealth): string {
  if (h.verdict === "up") {
    return h.lastRttMicros === null
      ? `${h.ip} up`
      : `${h.ip} up, rtt ${(h.lastRttMicros / 1000).toFixed(2)} ms`;
  }
  const detail = h.lastDetail ? ` (${h.lastDetail})` : "";
  return `${h.ip} down, ${h.misses} probe${
    h.misses === 1 ? "" : "s"
  } unanswered in a row${detail}`;
}

/** What one summary line reports. */
export interface SummaryFacts {
  /** Targets by their local verdict, in config order. */
  up: readonly string[];
  down: readonly string[];
  /**
   * IPs whose records the agent still means to change (no hold reason, or
   * the last change was not applied); null when this agent is not the
   * writer and so does not know.
   */
  pending: readonly string[] | null;
  /** The writer when this agent is not it. */
  writer: string | null;
  /** Configured peers and the live ones; total 0 on a single node. */
  peersLive: number;
  peersTotal: number;
}

/** Most IPs a summary line names; the rest are counted. */
const NAMED = 5;

function named(ips: readonly string[]): string {
  const shown = ips.slice(0, NAMED).join(", ");
  return ips.length > NAMED ? `${shown} and ${ips.length - NAMED} more` : shown;
}

/** @returns the summary line for `f`. */
export function summaryLine(f: SummaryFacts): string {
  const total = f.up.length + f.down.length;
  const targets = f.down.length === 0
    ? `${total} targets up`
    : `${f.up.length} of ${total} targets up, down: ${named(f.down)}`;
  const dns = f.pending === null
    ? f.writer === null ? "DNS has no writer" : `DNS written by ${f.writer}`
    : f.pending.length === 0
    ? "DNS in sync"
    : `DNS not in sync: ${named(f.pending)}`;
  const peers = f.peersTotal === 0
    ? "single node"
    : `${f.peersLive} of ${f.peersTotal} peers live`;
  return `summary: ${targets}; ${dns}; ${peers}`;
}

/** Remembers which targets' first verdicts were logged. */
export class ProgressLog {
  readonly #log: Logger;
  readonly #announced = new Set<string>();

  /** @param log the agent's logger */
  constructor(log: Logger) {
    this.#log = log;
  }

  /** Logs `h`'s verdict unless its target was announced before. */
  settled(h: IpHealth): void {
    if (this.#announced.has(h.ip)) return;
    this.#announced.add(h.ip);
    this.#log.info(firstVerdictLine(h), {
      ip: h.ip,
      verdict: h.verdict,
      rtt_ms: h.lastRttMicros === null ? null : h.lastRttMicros / 1000,
    });
  }

  /** Logs one summary line, with its counts as fields. */
  summary(f: SummaryFacts): void {
    this.#log.info(summaryLine(f), {
      up: f.up.length,
      down: f.down.length,
      dns_in_sync: f.pending === null ? null : f.pending.length === 0,
      peers_live: f.peersLive,
      peers: f.peersTotal,
    });
  }
}
