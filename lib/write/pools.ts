/**
 * Pools in the write decision. A pool's names hold exactly its IPs: each
 * pool is planned on its own, over its own names and IPs, with its own
 * guards and defaults, so no record of one pool's IP is ever created on
 * another pool's name (a name belongs to one pool: the config refuses a
 * name in two). Records on a pool's name whose content is not one of the
 * pool's IPs are not managed there, and are never touched.
 *
 * Verdicts are keyed by target: a pool's IP is known by its
 * {@linkcode targetKey}, the IP itself for the pool `default` (so a legacy
 * config and an old agent's heartbeat views read as before) and
 * `pool/IP` for the others. Settings without `pools` are one pool, the
 * legacy shape, keyed by bare IP.
 * @module
 */
import { canonicalIp, type DnsRecord } from "../dns/provider.ts";
import type { GuardSettings } from "./guards.ts";
import type { HoldReason, WritePlan } from "./types.ts";
import { type Intent, type Plan, planChanges } from "./plan.ts";

/** The pool the original provider section stands for. */
export const DEFAULT_POOL = "default";

/** One pool as the write decision sees it. */
export interface WritePool {
  name: string;
  /** Fully qualified names that hold exactly this pool's IPs. */
  names: readonly string[];
  /** The pool's IPs, canonical. */
  ips: readonly string[];
  /**
   * Its backups, canonical: published while every IP of their family is
   * down (lib/write/plan.ts). @default none
   */
  backups?: readonly string[];
  guards: GuardSettings;
  /** For records restored without a snapshot. */
  defaults: { ttl: number; proxied: boolean };
}

/** What {@linkcode poolsOf} reads: settings with or without pools. */
export interface PooledSettings {
  names: readonly string[];
  ips: readonly string[];
  guards: GuardSettings;
  defaults: { ttl: number; proxied: boolean };
  pools?: readonly WritePool[];
}

/**
 * @param pool the pool's name
 * @param ip a canonical IP
 * @returns the key of the pool's verdict of `ip` (views, intents, holds)
 */
export function targetKey(pool: string, ip: string): string {
  return pool === DEFAULT_POOL ? ip : `${pool}/${ip}`;
}

/**
 * @param settings the write settings
 * @returns its pools; settings without any are the one pool `default`
 */
export function poolsOf(settings: PooledSettings): readonly WritePool[] {
  return settings.pools ?? [{
    name: DEFAULT_POOL,
    names: settings.names,
    ips: settings.ips,
    guards: settings.guards,
    defaults: settings.defaults,
  }];
}

/** @returns every target key of `pools` (IPs, then backups), once each, in pool order. */
export function targetKeys(pools: readonly WritePool[]): string[] {
  return [
    ...new Set(
      pools.flatMap((p) => targetsOf(p).map((ip) => targetKey(p.name, ip))),
    ),
  ];
}

/** @returns the pool's IPs, then its backups */
export function targetsOf(pool: WritePool): string[] {
  return [...pool.ips, ...pool.backups ?? []];
}

/** Facts per target key, as {@linkcode planPools} reads them. */
export interface TargetFacts {
  intents: ReadonlyMap<string, Intent>;
  /** Target keys the cluster sees down. */
  down: ReadonlySet<string>;
  downVotes: ReadonlyMap<string, number>;
  /** Target keys drained that the cluster does not see down. @default none */
  drainedUp?: ReadonlySet<string>;
}

/** One pool's share of a plan. */
export interface PoolPlan {
  pool: WritePool;
  /** IPs in it are the pool's own (not target keys). */
  plan: Plan;
}

/**
 * Plans each pool over its own names and IPs.
 * @param pools the pools (names disjoint)
 * @param facts intents and votes by target key
 * @param current the listing
 * @param snapshots saved records by record key
 * @param inDoubt deletes in doubt (`doubtKey`): other deletes on their names wait
 * @returns one plan per pool, in pool order
 */
export function planPools(
  pools: readonly WritePool[],
  facts: TargetFacts,
  current: ReadonlyMap<string, readonly DnsRecord[]>,
  snapshots: ReadonlyMap<string, DnsRecord>,
  inDoubt: ReadonlySet<string>,
): PoolPlan[] {
  return pools.map((pool) => {
    const intents = new Map<string, Intent>();
    const down = new Set<string>();
    const downVotes = new Map<string, number>();
    const drainedUp = new Set<string>();
    for (const ip of targetsOf(pool)) {
      const key = targetKey(pool.name, ip);
      if (facts.drainedUp?.has(key)) drainedUp.add(ip);
      const intent = facts.intents.get(key);
      if (intent) intents.set(ip, intent);
      if (facts.down.has(key)) down.add(ip);
      const votes = facts.downVotes.get(key);
      if (votes !== undefined) downVotes.set(ip, votes);
    }
    const plan = planChanges({
      names: pool.names,
      ips: pool.ips,
      backups: pool.backups ?? [],
      intents,
      down,
      downVotes,
      drainedUp,
      current,
      snapshots,
      guards: pool.guards,
      defaults: pool.defaults,
      inDoubt,
    });
    return { pool, plan };
  });
}

/**
 * @param pools the pools
 * @param name a record's fully qualified name
 * @param content its IP
 * @returns the target key a change of that record belongs to, or undefined
 *   when the name is no pool's
 */
export function keyOfRecord(
  pools: readonly WritePool[],
  name: string,
  content: string,
): string | undefined {
  const pool = pools.find((p) => p.names.includes(name));
  return pool ? targetKey(pool.name, canonicalIp(content)) : undefined;
}

/**
 * @param plans one plan per pool
 * @returns them as one plan, creates still before deletes on each name
 *   (names are disjoint across pools); `inDoubt` as target keys
 */
export function mergePlans(
  plans: readonly PoolPlan[],
): Omit<WritePlan, "holds"> {
  return {
    changes: plans.flatMap((p) => p.plan.changes),
    notes: plans.flatMap((p) => p.plan.notes),
    staleSnapshots: plans.flatMap((p) => p.plan.staleSnapshots),
    inDoubt: plans.flatMap((p) =>
      p.plan.inDoubt.map((ip) => targetKey(p.pool.name, ip))
    ),
    followUp: plans.some((p) => p.plan.followUp === true),
  };
}

/**
 * @param plans one plan per pool
 * @returns per target key, the first guard that kept it, else `in_doubt`
 *   when its delete waits, else why a backup was left alone
 */
export function guardHolds(
  plans: readonly PoolPlan[],
): Map<string, HoldReason> {
  const held = new Map<string, HoldReason>();
  for (const { pool, plan } of plans) {
    for (const note of plan.notes) {
      for (const ip of note.ips) {
        const key = targetKey(pool.name, ip);
        if (!held.has(key)) held.set(key, note.guard);
      }
    }
  }
  for (const { pool, plan } of plans) {
    for (const ip of plan.inDoubt) {
      const key = targetKey(pool.name, ip);
      if (!held.has(key)) held.set(key, "in_doubt");
    }
  }
  for (const { pool, plan } of plans) {
    for (const { ip, hold } of plan.backups ?? []) {
      const key = targetKey(pool.name, ip);
      if (!held.has(key)) held.set(key, hold);
    }
  }
  return held;
}
