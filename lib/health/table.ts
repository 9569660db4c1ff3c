/**
 * All IPs' verdict machines in one place. Reload-friendly: targets can be
 * added or removed and thresholds changed without losing any kept IP's
 * state. Pure apart from its own memory: no timers, no clock.
 * @module
 */

import {
  checkThresholds,
  consecutiveOf,
  type HealthObservation,
  initialHealth,
  type IpHealth,
  step,
  type StoredVerdict,
  type Thresholds,
  type Transition,
  type Verdict,
} from "./verdict.ts";

/** One IP as peers see it (the cluster heartbeat's `view` entry). */
export interface ViewEntry {
  verdict: Verdict;
  /** Wall-clock ms since which the verdict holds. */
  since: number;
  /** Observations in a row agreeing with the verdict. */
  consecutive: number;
}

/** Counts over the whole table, for guards and status. */
export interface HealthSummary {
  /** IPs held. */
  total: number;
  up: number;
  down: number;
  /** IPs observed at least once. */
  observed: number;
  /** IPs whose last observation was a miss (timeout or failure). */
  lastMissed: number;
  /** IPs whose last observation was a local fault. */
  lastLocalFault: number;
  /** Local faults since each IP was added, summed. */
  localFaultsTotal: number;
}

/** Holds one verdict machine per IP and returns transitions. */
export class HealthTable {
  #states = new Map<string, IpHealth>();
  #thresholds: Thresholds;

  /**
   * @param ips the targets
   * @param thresholds hysteresis settings
   * @param options `at`: wall-clock ms used as the initial `since`;
   *   `stored`: verdicts kept from a previous run, by IP
   * @throws {RangeError} when a threshold is not an integer ≥ 1
   */
  constructor(
    ips: Iterable<string>,
    thresholds: Thresholds,
    options: { at: number; stored?: ReadonlyMap<string, StoredVerdict> },
  ) {
    this.#thresholds = validated(thresholds);
    this.setTargets(ips, options.at, options.stored);
  }

  /** The thresholds in force. */
  get thresholds(): Thresholds {
    return { ...this.#thresholds };
  }

  /**
   * Changes thresholds; every streak is kept and the new values apply from
   * the next observation.
   * @throws {RangeError} when a threshold is not an integer ≥ 1
   */
  setThresholds(thresholds: Thresholds): void {
    this.#thresholds = validated(thresholds);
  }

  /**
   * Replaces the target set: kept IPs keep their state, new ones start
   * from `stored` or "up", dropped ones are forgotten.
   * @param ips the new targets
   * @param at wall-clock ms used as `since` for new IPs
   * @param stored verdicts kept from a previous run, by IP
   * @returns the IPs added and removed
   */
  setTargets(
    ips: Iterable<string>,
    at: number,
    stored?: ReadonlyMap<string, StoredVerdict>,
  ): { added: string[]; removed: string[] } {
    const wanted = new Set(ips);
    const removed = [...this.#states.keys()].filter((ip) => !wanted.has(ip));
    for (const ip of removed) this.#states.delete(ip);
    const added: string[] = [];
    for (const ip of wanted) {
      if (this.#states.has(ip)) continue;
      this.#states.set(ip, initialHealth(ip, at, stored?.get(ip)));
      added.push(ip);
    }
    return { added, removed };
  }

  /**
   * Feeds one observation; observations for unknown IPs are ignored.
   * @returns the transition caused, or null
   */
  observe(obs: HealthObservation): Transition | null {
    const state = this.#states.get(obs.ip);
    if (!state) return null;
    const r = step(state, obs, this.#thresholds);
    this.#states.set(obs.ip, r.state);
    return r.transition;
  }

  /**
   * Feeds many observations in order.
   * @returns the transitions caused, in order
   */
  observeAll(observations: Iterable<HealthObservation>): Transition[] {
    const out: Transition[] = [];
    for (const o of observations) {
      const t = this.observe(o);
      if (t) out.push(t);
    }
    return out;
  }

  /** @returns the state of `ip`, or undefined when not held. */
  get(ip: string): IpHealth | undefined {
    return this.#states.get(ip);
  }

  /** @returns the verdict of `ip`, or undefined when not held. */
  verdict(ip: string): Verdict | undefined {
    return this.#states.get(ip)?.verdict;
  }

  /** @returns the IPs held, in insertion order. */
  ips(): string[] {
    return [...this.#states.keys()];
  }

  /** @returns a copy of every IP's state. */
  states(): IpHealth[] {
    return [...this.#states.values()];
  }

  /**
   * @returns every IP's verdict as the cluster heartbeat carries it
   * (`{ [ip]: { verdict, since, consecutive } }`), a fresh object.
   */
  view(): Record<string, ViewEntry> {
    const out: Record<string, ViewEntry> = {};
    for (const s of this.#states.values()) {
      out[s.ip] = {
        verdict: s.verdict,
        since: s.since,
        consecutive: consecutiveOf(s),
      };
    }
    return out;
  }

  /** @returns verdicts to persist, by IP. */
  stored(): Map<string, StoredVerdict> {
    const out = new Map<string, StoredVerdict>();
    for (const s of this.#states.values()) {
      out.set(s.ip, { verdict: s.verdict, since: s.since });
    }
    return out;
  }

  /** @returns counts for the self-isolation guard and status. */
  summary(): HealthSummary {
    const sum: HealthSummary = {
      total: 0,
      up: 0,
      down: 0,
      observed: 0,
      lastMissed: 0,
      lastLocalFault: 0,
      localFaultsTotal: 0,
    };
    for (const s of this.#states.values()) {
      sum.total++;
      if (s.verdict === "up") sum.up++;
      else sum.down++;
      if (s.last !== null) sum.observed++;
      if (s.last === "miss") sum.lastMissed++;
      if (s.last === "local") sum.lastLocalFault++;
      sum.localFaultsTotal += s.localFaultsTotal;
    }
    return sum;
  }
}

function validated(t: Thresholds): Thresholds {
  const problem = checkThresholds(t);
  if (problem) throw new RangeError(problem);
  return {
    failureThreshold: t.failureThreshold,
    recoveryThreshold: t.recoveryThreshold,
  };
}
