/**
 * The write decision: the one place that answers "may this agent make this
 * DNS change now?". Every rule, in order (SAFETY.md argues each one):
 *
 * 1. `no_cluster`: the config says cluster but no cluster link runs.
 * 2. `isolated`: this agent suspects itself.
 * 3. `warming_up`: after start or rejoin, some peer not heard yet.
 * 4. `dns_blocked`: the provider rejected this agent's credentials or zone.
 * 4a. drained: an IP an operator drained is absent whatever the votes (it
 *    skips 5 and 6) and counts as down for the guards.
 * 5. `unsettled`: no fresh probes back this agent's own verdict of the IP.
 * 6. `no_quorum`: neither `min_peers_agree + 1` down nor up votes.
 * 7. `not_writer`: another agent is the cluster's writer (or this one is not
 *    acknowledged by a quorum).
 * 8. `handover`: this agent became the writer less than `handoverMs` ago.
 * 9. guards over the cluster's verdicts, per name and family: `all_down`,
 *    `blast_radius`, `min_records`.
 * 10. the plan: creates before deletes; what needs no change is `in_sync`
 *    (`drained` for a drained IP that is out).
 *
 * Stage one ({@linkcode decideIntents}) needs no listing, so the agent can
 * tell whether a pass is due and what to advertise; stage two
 * ({@linkcode planWrites}) turns it into changes for one listing.
 * {@linkcode decideWrites} runs both. Pure: no clock, no I/O.
 * @module
 */

import type { DnsRecord } from "../dns/provider.ts";
import type { PeerView } from "../cluster/types.ts";
import { checkIsolation } from "./isolation.ts";
import {
  guardHolds,
  keyOfRecord,
  mergePlans,
  planPools,
  poolsOf,
  targetKeys,
} from "./pools.ts";
import { intentOf, tally } from "./quorum.ts";
import type {
  HoldReason,
  Intent,
  IntentDecision,
  IpDecision,
  Listing,
  Vote,
  WriteDecision,
  WriteInput,
  WritePlan,
  WriterRole,
} from "./types.ts";
import { acksOf, electWriter } from "./writer.ts";

/**
 * Stage one: role, per-IP intents and holds.
 * @param input every fact the decision reads
 * @returns the decision without changes
 */
export function decideIntents(input: WriteInput): IntentDecision {
  const { self, cluster, settings } = input;
  const isolation = checkIsolation(self.isolation);
  const linked = cluster === null || cluster.linked;
  const warming = cluster !== null && cluster.warmingUp;
  const writable = linked && !isolation.isolated && !warming &&
    !self.dnsBlocked;
  const needed = cluster ? settings.minPeersAgree + 1 : 1;
  const own: Vote = {
    nodeId: self.nodeId,
    isolated: isolation.isolated,
    writable,
    hears: [],
    acked: false,
    backs: [],
    view: settledView(self.view, self.unsettled),
  };
  own.acked = writable && acksOf(own, cluster?.live ?? []) >= needed;
  const votes = cluster ? [own, ...cluster.live] : [own];
  const gate: HoldReason | null = !linked
    ? "no_cluster"
    : isolation.isolated
    ? "isolated"
    : warming
    ? "warming_up"
    : self.dnsBlocked
    ? "dns_blocked"
    : null;
  const { role, memory, wakeAtMs } = decideRole(input, own, gate, needed);
  const ips = new Map<string, IpDecision>();
  for (const ip of targetKeys(poolsOf(settings))) {
    const t = tally(ip, votes);
    const drained = settings.drained?.has(ip) ?? false;
    const intent = drained ? "absent" : intentOf(t, needed);
    const hold: HoldReason | null = gate ??
      (drained
        ? role.reason
        : self.unsettled.has(ip) || self.view[ip] === undefined
        ? "unsettled"
        : intent === "hold"
        ? "no_quorum"
        : role.reason);
    ips.set(ip, {
      ip,
      intent,
      self: self.view[ip]?.verdict,
      downVotes: t.down,
      upVotes: t.up,
      needed,
      drained,
      hold,
    });
  }
  return { role, writable, acked: own.acked, isolation, ips, wakeAtMs, memory };
}

function decideRole(
  input: WriteInput,
  own: Vote,
  gate: HoldReason | null,
  needed: number,
): Pick<IntentDecision, "role" | "memory" | "wakeAtMs"> {
  const { cluster, now, settings } = input;
  if (cluster === null) {
    const role: WriterRole = {
      writer: own.nodeId,
      active: gate === null,
      reason: gate,
    };
    return { role, memory: { writerSince: null }, wakeAtMs: null };
  }
  const election = electWriter(own, cluster.live, cluster.configuredPeers);
  const elected = gate === null && election.writer === own.nodeId &&
    election.acks >= needed;
  if (!elected) {
    const role: WriterRole = {
      writer: election.writer,
      active: false,
      reason: gate ?? "not_writer",
    };
    return { role, memory: { writerSince: null }, wakeAtMs: null };
  }
  const since = input.memory.writerSince ?? now;
  const readyAt = since + settings.handoverMs;
  const active = now >= readyAt;
  return {
    role: {
      writer: own.nodeId,
      active,
      reason: active ? null : "handover",
    },
    memory: { writerSince: since },
    wakeAtMs: active ? null : readyAt,
  };
}

/**
 * Stage two: the changes for one listing, within the guards, computed over
 * the cluster's verdicts (not this agent's own), so every agent with the
 * same votes gets the same answer.
 * @param decided stage one
 * @param input the same input stage one read
 * @param listing what the provider holds now
 * @param snapshots exact records to restore, by record key
 * @param inDoubt name and type keys whose deletes wait (lib/write/in_doubt.ts)
 * @returns changes and a hold reason for every IP left alone
 */
export function planWrites(
  decided: IntentDecision,
  input: WriteInput,
  listing: Listing,
  snapshots: ReadonlyMap<string, DnsRecord>,
  inDoubt: ReadonlySet<string> = new Set(),
): WritePlan {
  const holds = new Map<string, HoldReason>();
  if (!decided.role.active) {
    for (const [ip, d] of decided.ips) {
      holds.set(ip, d.hold ?? decided.role.reason ?? "not_writer");
    }
    return {
      changes: [],
      holds,
      notes: [],
      staleSnapshots: [],
      inDoubt: [],
    };
  }
  const intents = new Map<string, Intent>();
  const down = new Set<string>();
  const downVotes = new Map<string, number>();
  const drainedUp = new Set<string>();
  for (const [ip, d] of decided.ips) {
    intents.set(ip, d.hold === null ? d.intent : "hold");
    if (clusterDown(d)) down.add(ip);
    if (isDrainedUp(d)) drainedUp.add(ip);
    // A drained IP keeps its own tally: a guard that must keep one of
    // several down IPs then puts back a healthy drained one before a dead one.
    downVotes.set(ip, d.downVotes);
  }
  const pools = poolsOf(input.settings);
  const plans = planPools(
    pools,
    { intents, down, downVotes, drainedUp },
    listing,
    snapshots,
    inDoubt,
  );
  const plan = mergePlans(plans);
  const changed = new Set(
    plan.changes.map((c) =>
      keyOfRecord(pools, c.record.name, c.record.content)
    ),
  );
  const guarded = guardHolds(plans);
  for (const [ip, d] of decided.ips) {
    if (changed.has(ip)) continue;
    holds.set(
      ip,
      d.hold ?? guarded.get(ip) ?? (d.drained ? "drained" : "in_sync"),
    );
  }
  return { ...plan, holds };
}

/**
 * @returns whether `d`'s IP is drained and the cluster sees it up (an up
 *   quorum): when every IP of its name and family is down, it keeps the
 *   name and the dead ones may go. A drained IP with no up quorum (votes
 *   missing, or dying) is not known to be healthy: all stay published.
 */
export function isDrainedUp(d: IpDecision): boolean {
  return d.drained && d.upVotes >= d.needed;
}

/**
 * @returns whether the guards count `d`'s IP as down: a down quorum, or an
 *   operator drained it
 */
export function clusterDown(d: IpDecision): boolean {
  return d.drained || d.downVotes >= d.needed;
}

/**
 * The whole decision for one listing: {@linkcode decideIntents} then
 * {@linkcode planWrites}.
 * @returns role, intents, changes and hold reasons
 */
export function decideWrites(
  input: WriteInput,
  listing: Listing,
  snapshots: ReadonlyMap<string, DnsRecord>,
  inDoubt: ReadonlySet<string> = new Set(),
): WriteDecision {
  const decided = decideIntents(input);
  return {
    ...decided,
    plan: planWrites(decided, input, listing, snapshots, inDoubt),
  };
}

/** @returns `view` without the unsettled IPs (what heartbeats carry). */
export function settledView(
  view: Readonly<PeerView>,
  unsettled: ReadonlySet<string>,
): PeerView {
  const out: PeerView = {};
  for (const [ip, entry] of Object.entries(view)) {
    if (!unsettled.has(ip)) out[ip] = entry;
  }
  return out;
}
