/**
 * The reconcile diff, pure: from per-IP intents, verdicts, what the provider
 * holds and the snapshots, compute the changes to make and why guards held
 * any back.
 *
 * Managed records are the A/AAAA records of the configured names whose
 * content is a configured IP; nothing else is ever touched. Each name is
 * meant to hold one record per configured IP of its family.
 * @module
 */

import {
  canonicalIp,
  type Change,
  type DnsRecord,
  recordKey,
  type RecordType,
  recordTypeOf,
} from "../dns/provider.ts";
import {
  applyGuards,
  type GuardNote,
  type GuardSettings,
  sortIps,
} from "./guards.ts";

import { doubtKey } from "./in_doubt.ts";
import type { Intent } from "./types.ts";

export type { Intent };

/** Settings for records created without a snapshot. */
export interface RecordDefaults {
  ttl: number;
  proxied: boolean;
}

/** Everything {@linkcode planChanges} needs. */
export interface PlanInput {
  /** Fully qualified managed names. */
  names: readonly string[];
  /** Configured IPs (any form; compared canonically). */
  ips: readonly string[];
  /**
   * Backup IPs: published only while every configured IP of their family
   * is down (see {@linkcode planChanges}). @default none
   */
  backups?: readonly string[];
  /** Intent per IP; a missing IP means "hold". */
  intents: ReadonlyMap<string, Intent>;
  /** IPs whose verdict is down, for the never-empty guard. */
  down: ReadonlySet<string>;
  /** Agents that see each IP down, for min_records' choice; default 0. */
  downVotes?: ReadonlyMap<string, number>;
  /**
   * Drained IPs the cluster does not see down: when every IP of a group is
   * down, these keep the name and the dead ones stay out. @default none
   */
  drainedUp?: ReadonlySet<string>;
  /** Records the provider holds now, per name. */
  current: ReadonlyMap<string, readonly DnsRecord[]>;
  /** Saved records, keyed by {@linkcode recordKey}. */
  snapshots: ReadonlyMap<string, DnsRecord>;
  guards: GuardSettings;
  defaults: RecordDefaults;
  /** Self-isolation: the agent suspects itself, so change nothing. */
  abstain?: boolean;
  /**
   * Deletes of unknown outcome the listing may not show yet (`doubtKey`):
   * while one may still land, no other record of its name and type is
   * deleted (lib/write/in_doubt.ts).
   */
  inDoubt?: ReadonlySet<string>;
}

/** The result of {@linkcode planChanges}. */
export interface Plan {
  /**
   * Creates and deletes, per name and family in input order, creates first
   * (so one-by-one application never empties a name).
   */
  changes: Change[];
  /** What each guard held back. */
  notes: GuardNote[];
  /** Snapshot keys of records that are present and stay present. */
  staleSnapshots: string[];
  /**
   * IPs whose delete waits: another delete on their name may still land.
   * An IP may appear once per name and type it waits on.
   */
  inDoubt: string[];
  /**
   * Backups left alone because a primary of their family is up: `standby`
   * (out of DNS) or `primary_pending` (kept until enough primaries with an
   * up quorum are listed to keep `min_records`). A backup may appear once
   * per name.
   */
  backups?: Array<{ ip: string; hold: "standby" | "primary_pending" }>;
  /**
   * A later pass has work once this one's creates are listed: a backup
   * waits for the primary this pass restores.
   */
  followUp?: boolean;
}

/**
 * Computes the changes that move the provider toward the intents, within
 * the guards. Duplicate records of one IP are left alone while the IP stays
 * present; when it goes absent, every copy is deleted.
 *
 * Backups, per name and family (see `backupsOf`): while some primary is
 * not down, a backup not listed stays out; a listed one stays, counted by
 * the guards, until enough primaries with an up quorum are listed to keep
 * `min_records` alone (restored first, then withdrawn). When every primary
 * is down, the guarded group is the primaries plus the backups that are
 * listed or have an up quorum: those are published, and the dead primaries
 * may go within blast radius and `min_records` over that group, for the
 * name is not empty. A backup that is neither listed nor healthy is not in
 * the group, so a backup never published never counts as a removal
 * already made.
 * @param input intents, verdicts, current records, snapshots and settings
 * @returns the changes, guard notes and stale snapshot keys
 */
export function planChanges(input: PlanInput): Plan {
  const plan: Plan = {
    changes: [],
    notes: [],
    staleSnapshots: [],
    inDoubt: [],
  };
  if (input.abstain) return plan;
  const intents = new Map<string, Intent>();
  for (const [ip, intent] of input.intents) {
    intents.set(canonicalIp(ip), intent);
  }
  const down = new Set([...input.down].map(canonicalIp));
  const downVotes = new Map<string, number>();
  for (const [ip, n] of input.downVotes ?? []) {
    downVotes.set(canonicalIp(ip), n);
  }
  const drainedUp = new Set([...input.drainedUp ?? []].map(canonicalIp));
  const ips = [...new Set(input.ips.map(canonicalIp))];
  const backups = [...new Set((input.backups ?? []).map(canonicalIp))]
    .filter((ip) => !ips.includes(ip));
  const families = (["A", "AAAA"] as const).map((type) => {
    const family = sortIps(ips.filter((ip) => recordTypeOf(ip) === type));
    const spare = sortIps(backups.filter((ip) => recordTypeOf(ip) === type));
    return { type, family, spare, members: new Set([...family, ...spare]) };
  }).filter((f) => f.family.length > 0);
  for (const name of input.names) {
    const records = input.current.get(name) ?? [];
    for (const f of families) {
      planGroup(plan, input, {
        name,
        ...f,
        records,
        intents,
        down,
        downVotes,
        drainedUp,
      });
    }
  }
  return plan;
}

interface GroupContext {
  name: string;
  type: RecordType;
  /** The primaries of this family. */
  family: string[];
  /** The backups of this family. */
  spare: string[];
  members: ReadonlySet<string>;
  records: readonly DnsRecord[];
  intents: ReadonlyMap<string, Intent>;
  down: ReadonlySet<string>;
  downVotes: ReadonlyMap<string, number>;
  drainedUp: ReadonlySet<string>;
}

function planGroup(plan: Plan, input: PlanInput, ctx: GroupContext): void {
  const byIp = new Map<string, DnsRecord[]>();
  for (const r of ctx.records) {
    const ip = canonicalIp(r.content);
    if (r.type !== ctx.type || !ctx.members.has(ip)) continue;
    const list = byIp.get(ip);
    if (list) list.push(r);
    else byIp.set(ip, [r]);
  }
  const present = new Set(byIp.keys());
  // A delete on this name may still land (rule D): delete nothing else.
  const doubted = new Set(
    [...present].filter((ip) =>
      input.inDoubt?.has(doubtKey(ctx.name, ctx.type, ip)) ?? false
    ),
  );
  const intentOf = (ip: string) => ctx.intents.get(ip) ?? "hold";
  const { roster, withdraw } = backupsOf(
    plan,
    ctx,
    present,
    intentOf,
    input.guards.minRecords,
  );
  const wantAbsent = new Set(roster.filter((ip) => {
    const intent = intentOf(ip);
    return intent === "absent" || (intent === "hold" && !present.has(ip));
  }));
  const { absent, notes } = applyGuards({
    name: ctx.name,
    type: ctx.type,
    ips: roster,
    present,
    wantAbsent,
    down: ctx.down,
    downVotes: ctx.downVotes,
    drainedUp: ctx.drainedUp,
  }, input.guards);
  plan.notes.push(...notes);
  const deletes: Change[] = [];
  // Do the deletes rely on this pass's creates to keep the name within
  // min_records? Not when enough listed records stay.
  const stay = [...present].filter((ip) => !absent.has(ip)).length;
  const keep = Math.max(
    1,
    Math.min(roster.length, input.guards.minRecords),
  );
  const needsCreates = stay < keep;
  for (const ip of roster) {
    const key = recordKey({ name: ctx.name, type: ctx.type, content: ip });
    if (absent.has(ip)) {
      if (doubted.size > 0 && !doubted.has(ip)) {
        if (present.has(ip)) plan.inDoubt.push(ip);
        continue;
      }
      for (const record of byIp.get(ip) ?? []) {
        deletes.push({ kind: "delete", record, needsCreates });
      }
    } else if (!present.has(ip)) {
      plan.changes.push(createChange(ctx, ip, input.snapshots.get(key), input));
    } else if (input.snapshots.has(key) && !doubted.has(ip)) {
      // Kept while its own delete is in doubt: that delete may still land,
      // and a restart reads the saved snapshot as that doubt.
      plan.staleSnapshots.push(key);
    }
  }
  for (const ip of withdraw) {
    if (doubted.size > 0 && !doubted.has(ip)) {
      plan.inDoubt.push(ip);
      continue;
    }
    for (const record of byIp.get(ip) ?? []) {
      deletes.push({ kind: "delete", record, needsCreates: false });
    }
  }
  // Creates first: applied one by one, a name never passes through empty.
  plan.changes.push(...deletes);
}

/**
 * Where a name and family's backups stand this pass.
 * - Every primary cluster-down (drained counts: a drain is "as if down"):
 *   the guards weigh the primaries and the backups that are listed or have
 *   an up quorum.
 * - Else, once enough primaries with an up quorum are listed to keep
 *   `min_records` on their own, listed backups are withdrawn (those
 *   primaries stay: their intent is present) and the guards weigh the
 *   primaries alone.
 * - Else listed backups stay in the weighed group with their own intents,
 *   so `min_records` counts them and no dead primary is put back beside a
 *   healthy backup; a backup not listed stays out (`standby`).
 * @returns the IPs the guards weigh, and the listed backups to withdraw
 */
function backupsOf(
  plan: Plan,
  ctx: GroupContext,
  present: ReadonlySet<string>,
  intentOf: (ip: string) => Intent,
  minRecords: number,
): { roster: string[]; withdraw: string[] } {
  if (ctx.spare.length === 0) return { roster: ctx.family, withdraw: [] };
  const listed = ctx.spare.filter((ip) => present.has(ip));
  if (ctx.family.every((ip) => ctx.down.has(ip))) {
    const active = ctx.spare.filter((ip) =>
      present.has(ip) || intentOf(ip) === "present"
    );
    return { roster: sortIps([...ctx.family, ...active]), withdraw: [] };
  }
  const notes = plan.backups ??= [];
  for (const ip of ctx.spare) {
    if (!present.has(ip)) notes.push({ ip, hold: "standby" });
  }
  const up = ctx.family.filter((ip) => intentOf(ip) === "present");
  const keep = Math.max(1, Math.min(ctx.family.length, minRecords));
  if (up.filter((ip) => present.has(ip)).length >= keep) {
    return { roster: ctx.family, withdraw: listed };
  }
  if (up.length > 0) {
    for (const ip of listed) notes.push({ ip, hold: "primary_pending" });
    // Primaries restored this pass release the backups on a later one.
    if (listed.length > 0 && up.some((ip) => !present.has(ip))) {
      plan.followUp = true;
    }
  }
  return { roster: sortIps([...ctx.family, ...listed]), withdraw: [] };
}

function createChange(
  ctx: GroupContext,
  ip: string,
  snapshot: DnsRecord | undefined,
  input: PlanInput,
): Change {
  if (snapshot) {
    const { id: _id, ...rest } = snapshot;
    return {
      kind: "create",
      record: { ...rest, tags: [...rest.tags] },
      fromSnapshot: true,
    };
  }
  return {
    kind: "create",
    record: {
      type: ctx.type,
      name: ctx.name,
      content: ip,
      ttl: input.defaults.ttl,
      proxied: input.defaults.proxied,
      comment: null,
      tags: [],
    },
    fromSnapshot: false,
  };
}
