/**
 * Which of this agent's own verdicts it may act and vote on. A verdict is
 * trusted once fresh probes back it: after start, after a reload adds the
 * IP, and after a freeze (SIGSTOP, a paused VM) longer than `peer_timeout`.
 * In cluster mode, writes also wait after start and after self-isolation
 * clears until every peer was heard from, or `peer_timeout` passed.
 * @module
 */
import type { Config } from "../config/types.ts";
import type { HealthTable } from "../health/table.ts";
import { consecutiveOf } from "../health/verdict.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import { FreezeGuard } from "../write/freeze.ts";

/** What {@linkcode VerdictTrust} reads from the agent, live. */
export interface TrustSource {
  clock: Clock;
  log: Logger;
  config: () => Config;
  health: HealthTable;
  /** Cluster peers: ids configured and live; null on a single node. */
  peers: () => { configured: number; live: number } | null;
}

/** Tracks fresh evidence per IP and the cluster warm-up. */
export class VerdictTrust {
  readonly #src: TrustSource;
  readonly #startedAt: number;
  readonly #observed = new Map<string, number>();
  readonly #freeze = new FreezeGuard();
  /** When self-isolation last cleared (wall ms); warm-up restarts then. */
  #rejoinedAt = 0;

  /** @param source the agent's clock, logger, config, health and peers */
  constructor(source: TrustSource) {
    this.#src = source;
    this.#startedAt = source.clock.now();
  }

  /**
   * Counts one observation of `ip` (already fed to the health table).
   * @returns whether this observation made `ip` trusted, so decisions
   *   should be re-evaluated
   */
  observed(ip: string): boolean {
    const count = (this.#observed.get(ip) ?? 0) + 1;
    this.#observed.set(ip, count);
    return count === this.#settleCount() ||
      (this.#freeze.size > 0 && this.#proven(ip));
  }

  /** Forgets an IP a reload removed (re-added, it starts untrusted). */
  forget(ip: string): void {
    this.#observed.delete(ip);
  }

  /** @returns IPs whose verdict no fresh probe backs yet. */
  unsettled(): Set<string> {
    const need = this.#settleCount();
    return new Set(
      this.#src.health.ips().filter((ip) =>
        (this.#observed.get(ip) ?? 0) < need || this.#freeze.unproven(ip)
      ),
    );
  }

  /** Notes that self-isolation just cleared: the warm-up starts again. */
  rejoined(now: number): void {
    this.#rejoinedAt = now;
  }

  /**
   * @returns whether cluster writes must wait: within `peer_timeout` of
   *   start (or of rejoining) some peer has not been heard from yet
   */
  warmingUp(now: number): boolean {
    const peers = this.#src.peers();
    if (!peers) return false;
    const from = Math.max(this.#startedAt, this.#rejoinedAt);
    if (now - from >= this.#src.config().members.peerTimeout * 1000) {
      return false;
    }
    return peers.live < peers.configured;
  }

  /**
   * Cluster mode: when this process did not run for longer than
   * `peer_timeout`, every verdict waits for fresh probes again.
   */
  checkFreeze(): void {
    const m = this.#src.config().members;
    const tickMs = Math.min(1000, m.heartbeatInterval * 1000);
    const boundMs = Math.max(m.peerTimeout * 1000, 3 * tickMs);
    const gap = this.#freeze.check(this.#src.clock.monotonicMicros(), boundMs);
    if (gap === null || !this.#src.peers()) return;
    this.#freeze.distrust(this.#src.health.ips());
    this.#src.log.warn(
      "This agent did not run for a while: its verdicts wait for fresh probes before they vote or write",
      { frozen_ms: Math.round(gap) },
    );
  }

  #settleCount(): number {
    const c = this.#src.config();
    return Math.max(c.failureThreshold, c.recoveryThreshold);
  }

  #proven(ip: string): boolean {
    const s = this.#src.health.get(ip);
    if (!s) return false;
    const c = this.#src.config();
    const needed = s.verdict === "down"
      ? c.failureThreshold
      : c.recoveryThreshold;
    return this.#freeze.observed(ip, consecutiveOf(s), needed);
  }
}
