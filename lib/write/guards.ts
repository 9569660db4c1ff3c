/**
 * The DNS guards, as pure functions over one hostname's IPs of one family:
 * never-empty (all down → publish everything; keep `min_records`) and blast
 * radius (at most `floor(max_removals_fraction × N)` IPs absent at once).
 *
 * Guards apply per (hostname, record type): an IPv4-only client needs an A
 * record even when AAAA records remain, so the families never borrow from
 * each other. Self-isolation is the agent's call (`abstain`), made before
 * any of this runs.
 * @module
 */

import type { RecordType } from "../dns/provider.ts";

/** Guard settings, from the resolved config. */
export interface GuardSettings {
  /** Records a hostname always keeps (per family). @default 1 */
  minRecords: number;
  /** Largest share of a hostname's IPs absent at once. @default 0.5 */
  maxRemovalsFraction: number;
}

/** Which guard changed the plan. */
export type GuardName = "all_down" | "blast_radius" | "min_records";

/** Why a guard kept IPs published; one per guard and group, for logging. */
export interface GuardNote {
  /** Fully qualified record name. */
  name: string;
  type: RecordType;
  guard: GuardName;
  /** IPs kept or put back by this guard, in the order chosen. */
  ips: string[];
}

/** One hostname's IPs of one family, as the guards see them. */
export interface GuardGroup {
  name: string;
  type: RecordType;
  /** Every configured IP of this family, canonical form. */
  ips: readonly string[];
  /** IPs that have at least one record now. */
  present: ReadonlySet<string>;
  /** IPs the intents want absent (before guards). */
  wantAbsent: ReadonlySet<string>;
  /** IPs whose verdict is down (local/cluster). */
  down: ReadonlySet<string>;
  /**
   * Agents that see each IP down (the quorum tally); min_records puts back
   * the IPs fewest agents see down first. Missing: 0 for every IP.
   */
  downVotes?: ReadonlyMap<string, number>;
  /**
   * Drained IPs the cluster does not see down (in `down` for the guards
   * only because an operator drained them). @default none
   */
  drainedUp?: ReadonlySet<string>;
}

/** What the guards allow. */
export interface GuardOutcome {
  /** IPs that end absent after this pass. */
  absent: Set<string>;
  notes: GuardNote[];
}

/**
 * Applies never-empty and blast radius to one group.
 *
 * Order: (1) every IP down → none absent, unless some are only drained
 * (healthy): then those are kept and the dead ones may stay out, for the
 * name is not empty; (2) blast radius keeps
 * cluster-down removals first, then removals already made, then the lowest
 * IPs; (3) min_records puts back undoubted IPs first (listed ones the
 * cluster does not see down, absent ones no agent sees down), then listed
 * ones, then those fewest agents see down (ties: the newest, highest
 * first). So neither guard keeps or re-creates a cluster-down IP while an
 * undoubted one stays out, and min_records re-creates an IP some agent
 * sees down only when no listed IP can be kept instead.
 * @param group the group's IPs and their state
 * @param settings guard settings
 * @returns the IPs allowed absent and notes on what was held back
 */
export function applyGuards(
  group: GuardGroup,
  settings: GuardSettings,
): GuardOutcome {
  const notes: GuardNote[] = [];
  const note = (guard: GuardName, ips: string[]) => {
    if (ips.length > 0) {
      notes.push({ name: group.name, type: group.type, guard, ips });
    }
  };
  const n = group.ips.length;
  let wantAbsent = group.wantAbsent;
  if (n > 0 && group.ips.every((ip) => group.down.has(ip))) {
    const healthy = group.ips.filter((ip) => group.drainedUp?.has(ip));
    const keep = healthy.length > 0 ? healthy : group.ips;
    note("all_down", sortIps(keep.filter((ip) => wantAbsent.has(ip))));
    if (healthy.length === 0) return { absent: new Set(), notes };
    // Drained but healthy IPs keep the name: a dead one is not put back.
    wantAbsent = new Set([...wantAbsent].filter((ip) => !keep.includes(ip)));
  }
  // Cluster-down removals first (blast radius then keeps a dead IP out
  // before one nobody sees down); within each, removals already made first
  // (no churn), then the lowest IPs.
  const planned = (down: boolean) => {
    const mine = group.ips.filter((ip) =>
      wantAbsent.has(ip) && group.down.has(ip) === down
    );
    return [
      ...sortIps(mine.filter((ip) => !group.present.has(ip))),
      ...sortIps(mine.filter((ip) => group.present.has(ip))),
    ];
  };
  let order = [...planned(true), ...planned(false)];
  const fraction = Math.min(1, Math.max(0, settings.maxRemovalsFraction));
  const cap = Math.floor(fraction * n + 1e-9);
  if (order.length > cap) {
    note("blast_radius", order.slice(cap));
    order = order.slice(0, cap);
  }
  const minKeep = Math.min(n, Math.max(0, settings.minRecords));
  const excess = order.length - (n - minKeep);
  if (excess > 0) {
    const released = releaseOrder(order, group).slice(0, excess);
    note("min_records", released);
    const back = new Set(released);
    order = order.filter((ip) => !back.has(ip));
  }
  return { absent: new Set(order), notes };
}

/**
 * The order in which min_records puts planned removals back: undoubted IPs
 * first (listed and not cluster-down, or absent and seen down by no agent),
 * then listed records (keeping one needs no write), then fewest down votes;
 * among equals the newest, highest removal first (the end of `order`).
 * An absent IP with a down vote is doubted even below the quorum: that
 * agent may be the writer itself, and agents it does not hear may complete
 * the quorum, so re-creating it while a listed IP could stay swaps one
 * doubtful record for another with two writes and may fight a quorum.
 * Ranking by down votes only after the first two keys keeps one vote's
 * wobble from swapping two dead IPs on every pass.
 * @param order planned removals, in blast radius order
 * @param group the group (cluster-down set, listed IPs, down votes)
 * @returns a new array, first to put back first
 */
function releaseOrder(order: readonly string[], group: GuardGroup): string[] {
  const votes = (ip: string) => group.downVotes?.get(ip) ?? 0;
  const listed = (ip: string) => group.present.has(ip);
  const doubted = (ip: string) =>
    group.down.has(ip) || (!listed(ip) && votes(ip) > 0);
  const key = (ip: string) => [
    doubted(ip) ? 1 : 0,
    listed(ip) ? 0 : 1,
    votes(ip),
  ];
  const compare = (a: string, b: string) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const d = ka[i]! - kb[i]!;
      if (d !== 0) return d;
    }
    return 0;
  };
  // Array.prototype.sort is stable: equal keys keep the reversed order.
  return [...order].reverse().sort(compare);
}

/**
 * Sorts IPs of one family numerically, lowest first.
 * @param ips canonical IPs
 * @returns a new sorted array
 */
export function sortIps(ips: readonly string[]): string[] {
  return ips.map((ip) => [ipSortKey(ip), ip] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, ip]) => ip);
}

function ipSortKey(ip: string): string {
  if (!ip.includes(":")) {
    return ip.split(".").map((o) => o.padStart(3, "0")).join(".");
  }
  const [head = "", tail] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, "0")).join(
    ":",
  );
}
