/**
 * The checks of the `[[pool]]`s: one prober and one health table per pool,
 * with the pool's own check, cadence and thresholds. Their verdicts are
 * keyed by target (`pool/IP`, see `lib/write/pools.ts`), so they join the
 * agent's own view (the pool `default`, keyed by bare IP) in the write
 * decision and in heartbeats without meeting an ICMP verdict of the same IP.
 *
 * A target is unsettled until its first observation since start that is not
 * a local fault: a verdict no probe of this run backs must not vote.
 * @module
 */
import type { PoolConfig } from "../config/types.ts";
import type { PeerView } from "../cluster/types.ts";
import { HealthTable } from "../health/table.ts";
import type { IpHealth, Transition } from "../health/verdict.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import type { Observation, Prober, ProberOptions } from "../probe/types.ts";
import { poolProbeTargets } from "../probe/pool_probe_command.ts";
import { DEFAULT_POOL, targetKey } from "../write/pools.ts";

/** Builds the prober of one pool's check. */
export type PoolProberFactory = (
  pool: PoolConfig,
  options: ProberOptions,
) => Prober;

/** A factory for no pool at all (a `PoolChecks` built with no pools). */
export const noProber: PoolProberFactory = (): Prober => {
  throw new Error("no pool prober factory");
};

interface PoolRun {
  pool: PoolConfig;
  prober: Prober;
  health: HealthTable;
  /** IPs with an observation (not a local fault) since start. */
  fresh: Set<string>;
}

/** One `[[pool]]` target's state, for `/status` and metrics. */
export interface PoolTarget {
  pool: string;
  /** Its {@linkcode targetKey} (`pool/IP`). */
  key: string;
  health: IpHealth;
  /** How long its next probe waits, µs; null when the prober does not say. */
  probeTimeoutMicros: number | null;
}

/** The probers and verdicts of every pool but `default`. */
export class PoolChecks {
  readonly #runs: PoolRun[];

  /**
   * @param pools the config's pools (`default` is skipped: the agent's own
   *   prober checks it)
   * @param make builds each pool's prober
   * @param deps clock, logger, and who hears of each verdict change
   */
  constructor(
    pools: readonly PoolConfig[],
    make: PoolProberFactory,
    deps: {
      clock: Clock;
      logger: Logger;
      onTransition: (key: string, t: Transition) => void;
    },
  ) {
    const at = deps.clock.now();
    this.#runs = pools.filter((p) => p.name !== DEFAULT_POOL).map((pool) => {
      const health = new HealthTable(poolProbeTargets(pool), {
        failureThreshold: pool.failureThreshold,
        recoveryThreshold: pool.recoveryThreshold,
      }, { at });
      const fresh = new Set<string>();
      const onObservation = (o: Observation) => {
        if (o.fault !== "local") fresh.add(o.ip);
        const t = health.observe(o);
        if (t) deps.onTransition(targetKey(pool.name, o.ip), t);
      };
      const prober = make(pool, {
        clock: deps.clock,
        logger: deps.logger.child("probe").child(pool.name),
        onObservation,
        timing: {
          intervalMs: pool.interval * 1000,
          timeoutMs: pool.check.timeout * 1000,
          adaptive: pool.check.type === "icmp" && pool.check.timeoutAdaptive,
        },
      });
      prober.setTargets(poolProbeTargets(pool));
      return { pool, prober, health, fresh };
    });
  }

  /** Starts every pool's prober. */
  start(): void {
    for (const r of this.#runs) r.prober.start();
  }

  /** Stops every pool's prober; resolves once all have stopped. */
  async stop(): Promise<void> {
    await Promise.all(this.#runs.map((r) => r.prober.stop()));
  }

  /** @returns every pool target's verdict, by target key */
  view(): PeerView {
    const out: PeerView = {};
    for (const r of this.#runs) {
      for (const [ip, e] of Object.entries(r.health.view())) {
        out[targetKey(r.pool.name, ip)] = e;
      }
    }
    return out;
  }

  /** @returns every pool target's state, in pool and config order */
  targets(): PoolTarget[] {
    return this.#runs.flatMap((r) =>
      r.health.states().map((health) => ({
        pool: r.pool.name,
        key: targetKey(r.pool.name, health.ip),
        health,
        probeTimeoutMicros: r.prober.probeTimeoutMicros(health.ip),
      }))
    );
  }

  /** @returns target keys no observation of this run backs yet */
  unsettled(): Set<string> {
    const out = new Set<string>();
    for (const r of this.#runs) {
      for (const ip of poolProbeTargets(r.pool)) {
        if (!r.fresh.has(ip)) out.add(targetKey(r.pool.name, ip));
      }
    }
    return out;
  }
}
