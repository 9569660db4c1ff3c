/**
 * The plain data of the write decision: what it reads (every agent's vote,
 * the listing, snapshots, settings, clock readings) and what it returns
 * (the changes, and a hold reason for every IP it leaves alone).
 * @module
 */

import type { PeerView } from "../cluster/types.ts";
import type { Change, DnsRecord } from "../dns/provider.ts";
import type { GuardNote, GuardSettings } from "./guards.ts";
import type { IsolationInput } from "./isolation.ts";
import type { WritePool } from "./pools.ts";

/**
 * One agent's contribution as its heartbeat carries it (this agent's own is
 * built the same way).
 */
export interface Vote {
  nodeId: string;
  /** The agent suspects itself: its verdicts do not count. */
  isolated: boolean;
  /**
   * The agent may be the writer now: not isolated, not warming up, linked
   * to its cluster, DNS writes not blocked.
   */
  writable: boolean;
  /** Writable peers this agent hears live (acknowledgements). */
  hears: readonly string[];
  /**
   * The agent is writable and acknowledged by a quorum (itself plus peers
   * whose `hears` list it): only such agents stand for writer in others'
   * eyes, so an agent nobody acknowledges cannot block the rest.
   */
  acked: boolean;
  /** Peers this agent hears live that are `acked` (relayed candidates). */
  backs: readonly string[];
  /** Settled verdicts only (unsettled IPs are left out). */
  view: Readonly<PeerView>;
}

/** What an IP's records should become, by the cluster's verdicts. */
export type Intent = "absent" | "present" | "hold";

/**
 * Why an IP is not changed, in the order the rules are applied.
 * - `no_cluster`: the config says cluster but the cluster link is missing
 * - `isolated`: this agent suspects itself (self-isolation)
 * - `warming_up`: after start or rejoin, not every peer heard yet
 * - `dns_blocked`: the provider rejected this agent's credentials or zone
 * - `unsettled`: this agent's own verdict has no fresh probes behind it
 * - `no_quorum`: neither `min_peers_agree + 1` down nor up votes
 * - `not_writer`: another agent is the cluster's writer
 * - `handover`: this agent became the writer too recently
 * - `all_down` / `blast_radius` / `min_records`: a guard kept it
 * - `in_doubt`: a call on its name got no answer and may still commit; its
 *   delete waits for a listing taken after the call's time bound
 * - `standby`: a backup, out of DNS while a primary of its family is up
 * - `primary_pending`: a backup kept in DNS until enough recovered primaries
 *   of its family are listed to keep `min_records` on their own
 * - `drained`: an operator drained the IP and its records are out of DNS
 * - `in_sync`: DNS already matches the intent
 * - `not_applied`: the change was planned but the provider did not take it
 */
export type HoldReason =
  | "no_cluster"
  | "isolated"
  | "warming_up"
  | "dns_blocked"
  | "unsettled"
  | "no_quorum"
  | "not_writer"
  | "handover"
  | "all_down"
  | "blast_radius"
  | "min_records"
  | "in_doubt"
  | "standby"
  | "primary_pending"
  | "drained"
  | "in_sync"
  | "not_applied";

/** Settings of the write decision, from the resolved config. */
export interface WriteSettings {
  /** Fully qualified managed names (every pool's). */
  names: readonly string[];
  /** Configured IPs, canonical (every pool's). */
  ips: readonly string[];
  /**
   * IPs an operator drained (canonical): their intent is absent whatever
   * the votes, and they count as down for the guards. @default none
   */
  drained?: ReadonlySet<string>;
  /**
   * The pools, each planned over its own names and IPs with its own guards
   * and defaults (lib/write/pools.ts); absent: one pool `default` of
   * `names`, `ips`, `guards` and `defaults`, keyed by bare IP.
   */
  pools?: readonly WritePool[];
  /** `members.min_peers_agree`; 0 on a single node. */
  minPeersAgree: number;
  guards: GuardSettings;
  /** For records restored without a snapshot. */
  defaults: { ttl: number; proxied: boolean };
  /**
   * How long an agent that just became the writer waits before writing,
   * ms: long enough for the previous writer to have stopped (see SAFETY.md).
   */
  handoverMs: number;
}

/** The cluster as this agent sees it; absent on a single node. */
export interface ClusterFacts {
  /** False when the config says cluster but no link runs (`no_cluster`). */
  linked: boolean;
  /** Canonical ids of the configured peers. */
  configuredPeers: readonly string[];
  /** Votes of live peers (stale ones already dropped). */
  live: readonly Vote[];
  /** Within `peer_timeout` of start or rejoin, some peer not heard yet. */
  warmingUp: boolean;
}

/** This agent's own facts. */
export interface SelfFacts {
  nodeId: string;
  /** Every own verdict, settled or not. */
  view: Readonly<PeerView>;
  /** IPs whose own verdict no fresh probe backs yet. */
  unsettled: ReadonlySet<string>;
  /** Inputs of the self-isolation rule. */
  isolation: IsolationInput;
  /** DNS writes blocked (credentials or zone rejected): not writable. */
  dnsBlocked: boolean;
}

/** State the caller keeps between decisions (returned updated). */
export interface WriteMemory {
  /** Since when (wall ms) this agent has been the writer, or null. */
  writerSince: number | null;
}

/** Everything the write decision reads. */
export interface WriteInput {
  /**
   * This agent's monotonic clock, ms (handover timing: a wall-clock step
   * must not shorten the wait).
   */
  now: number;
  settings: WriteSettings;
  self: SelfFacts;
  /** Null on a single node. */
  cluster: ClusterFacts | null;
  memory: WriteMemory;
}

/** The decision for one IP before the listing is read. */
export interface IpDecision {
  ip: string;
  /** What the cluster's votes say. */
  intent: Intent;
  /** This agent's own verdict, when it has one. */
  self: "up" | "down" | undefined;
  downVotes: number;
  upVotes: number;
  /** Votes needed either way: `min_peers_agree + 1`. */
  needed: number;
  /** An operator drained it: intent absent, down for the guards. */
  drained: boolean;
  /** Why this agent does not act on it now; null when it may. */
  hold: HoldReason | null;
}

/** Who writes, as this agent sees it. */
export interface WriterRole {
  /** The cluster's writer as this agent sees it; null when none. */
  writer: string | null;
  /** This agent may write now. */
  active: boolean;
  /** Why not, when it may not. */
  reason: HoldReason | null;
}

/** Stage one: intents, role and holds that need no listing. */
export interface IntentDecision {
  role: WriterRole;
  /** What this agent advertises as `writable` in its heartbeats. */
  writable: boolean;
  /** What this agent advertises as `acked` in its heartbeats. */
  acked: boolean;
  isolation: { isolated: boolean; reason: string | null };
  ips: Map<string, IpDecision>;
  /** Earliest time (the clock of `WriteInput.now`) a hold may lift by time alone. */
  wakeAtMs: number | null;
  memory: WriteMemory;
}

/** Stage two: the changes for one listing. */
export interface WritePlan {
  /** Creates first; never a delete and a create on one name together. */
  changes: Change[];
  /** Final hold reason per IP not changed in this plan. */
  holds: Map<string, HoldReason>;
  /** What each guard kept, per name and family. */
  notes: GuardNote[];
  /** Snapshot keys of records present and staying present. */
  staleSnapshots: string[];
  /** IPs whose delete waits for a write of unknown outcome (`in_doubt`). */
  inDoubt: string[];
  /** A pass right after this one has work (a backup waits for a restore). */
  followUp?: boolean;
}

/** The whole decision. */
export interface WriteDecision extends IntentDecision {
  plan: WritePlan;
}

/** A listing: every A/AAAA record per fully qualified name. */
export type Listing = ReadonlyMap<string, readonly DnsRecord[]>;
