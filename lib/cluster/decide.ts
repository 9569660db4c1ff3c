/**
 * The cluster decision rule (DESIGN.md §3), pure. Every agent runs the same
 * computation over the same views, so agents never undo each other:
 *
 * - `clusterDown(ip)` ⇔ the agents (this one plus live peers, isolated
 *   agents excluded) whose view says "down" number ≥ `minPeersAgree + 1`;
 * - intent "absent" when this agent sees the IP down and `clusterDown`;
 *   "present" when it sees it up, not `clusterDown`, and at least
 *   `minPeersAgree + 1` counted agents see it up; else "hold".
 *
 * The quorum goes both ways: agents with different live sets (an
 * asymmetric partition: A hears B but not C, C hears B but not A) then
 * cannot want opposite changes as long as `minPeersAgree + 1` is a
 * majority of the cluster, since a down quorum and an up quorum would need
 * two disjoint majorities. Restoring on "not `clusterDown`" alone let C,
 * seeing one down vote of two needed, restore every `reconcile_interval`
 * what A and B removed.
 *
 * An agent that suspects itself (`isolated`) neither votes nor acts: its
 * intent is always "hold". With no peers (single node) the own verdict
 * decides. With peers and
 * `minPeersAgree = 0` an agent removes on its own verdict but restores only
 * once no live agent still sees the IP down, so two agents never fight.
 * @module
 */

import type { PeerVerdict, PeerView } from "./types.ts";

/** One agent's vote input: its id, whether it suspects itself, its view. */
export interface AgentView {
  nodeId: string;
  /** An isolated agent's view does not count, and it never acts. */
  isolated: boolean;
  view: Readonly<PeerView>;
}

/** What this agent wants for an IP's records. */
export type Intent = "absent" | "present" | "hold";

/** The decision for one IP, with the facts behind it. */
export interface Decision {
  ip: string;
  intent: Intent;
  /** This agent's own verdict (undefined when it does not watch the IP). */
  self: PeerVerdict | undefined;
  /** Counted agents whose view says down. */
  downVotes: number;
  /** Votes needed: `minPeersAgree + 1`. */
  needed: number;
  clusterDown: boolean;
  /**
   * Counted agents that may make this change: those whose own verdict
   * matches the intent (down for "absent", up for "present"), sorted by id.
   * Empty for "hold".
   */
  writers: string[];
}

function counted(self: AgentView, peers: readonly AgentView[]): AgentView[] {
  return [self, ...peers].filter((a) => !a.isolated);
}

function votes(
  ip: string,
  verdict: PeerVerdict,
  self: AgentView,
  livePeers: readonly AgentView[],
): number {
  let n = 0;
  for (const a of counted(self, livePeers)) {
    if (a.view[ip]?.verdict === verdict) n++;
  }
  return n;
}

/**
 * @param ip the IP
 * @param self this agent's view
 * @param livePeers views of live peers only (stale ones already dropped)
 * @returns how many counted agents see `ip` down
 */
export function downVotes(
  ip: string,
  self: AgentView,
  livePeers: readonly AgentView[],
): number {
  return votes(ip, "down", self, livePeers);
}

/**
 * @param minPeersAgree `members.min_peers_agree`
 * @returns whether enough counted agents see `ip` down
 */
export function clusterDown(
  ip: string,
  self: AgentView,
  livePeers: readonly AgentView[],
  minPeersAgree: number,
): boolean {
  return downVotes(ip, self, livePeers) >= minPeersAgree + 1;
}

/**
 * Applies the rule to one IP.
 * @param ip the IP
 * @param self this agent's view (its `isolated` flag excludes its vote)
 * @param livePeers views of live peers only
 * @param minPeersAgree `members.min_peers_agree`
 * @returns the intent and the facts behind it
 */
export function decide(
  ip: string,
  self: AgentView,
  livePeers: readonly AgentView[],
  minPeersAgree: number,
): Decision {
  const mine = self.view[ip]?.verdict;
  const down = downVotes(ip, self, livePeers);
  const needed = minPeersAgree + 1;
  const isDown = down >= needed;
  let intent: Intent = "hold";
  if (self.isolated) intent = "hold";
  else if (mine === "down" && isDown) intent = "absent";
  else if (
    mine === "up" && !isDown && votes(ip, "up", self, livePeers) >= needed
  ) intent = "present";
  const want = intent === "absent" ? "down" : "up";
  const writers = intent === "hold" ? [] : counted(self, livePeers)
    .filter((a) => a.view[ip]?.verdict === want)
    .map((a) => a.nodeId)
    .sort(compareIds);
  return {
    ip,
    intent,
    self: mine,
    downVotes: down,
    needed,
    clusterDown: isDown,
    writers,
  };
}

/**
 * Applies the rule to many IPs.
 * @returns one decision per IP, by IP
 */
export function decideAll(
  ips: Iterable<string>,
  self: AgentView,
  livePeers: readonly AgentView[],
  minPeersAgree: number,
): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const ip of ips) out.set(ip, decide(ip, self, livePeers, minPeersAgree));
  return out;
}

/** Orders node ids by UTF-16 code units: the same on every agent. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * @param selfId this agent's node id
 * @param writers ids allowed to make the change (e.g. `Decision.writers`)
 * @returns whether this agent is the lowest id among them
 */
export function isPreferredWriter(
  selfId: string,
  writers: readonly string[],
): boolean {
  return writerRank(selfId, writers) === 0;
}

/**
 * @returns this agent's place among the writers (0 = preferred), or -1
 *   when it is not one of them
 */
export function writerRank(selfId: string, writers: readonly string[]): number {
  if (!writers.includes(selfId)) return -1;
  return [...new Set(writers)].sort(compareIds).indexOf(selfId);
}

/**
 * How long this agent waits, after an intent appears, before making the
 * change itself if it is still not made: 0 for the preferred writer,
 * `rank × graceMs` for the others (so they do not all fire at once).
 * @param graceMs e.g. {@linkcode defaultGraceMs}
 * @returns milliseconds, or null when this agent is not a writer
 */
export function writerDelayMs(
  selfId: string,
  writers: readonly string[],
  graceMs: number,
): number | null {
  const rank = writerRank(selfId, writers);
  return rank < 0 ? null : rank * graceMs;
}

/**
 * @param heartbeatIntervalSec `members.heartbeat_interval`
 * @returns the grace period of non-preferred writers: two heartbeats
 */
export function defaultGraceMs(heartbeatIntervalSec: number): number {
  return Math.round(2 * heartbeatIntervalSec * 1000);
}

/**
 * Start-up check of the quorum setting.
 * @param clusterSize configured agents: peers + 1
 * @param minPeersAgree `members.min_peers_agree`
 * @returns a warning, or null when the setting is sound
 */
export function quorumWarning(
  clusterSize: number,
  minPeersAgree: number,
): string | null {
  const needed = minPeersAgree + 1;
  const majority = Math.floor(clusterSize / 2) + 1;
  if (needed > clusterSize) {
    return `"min_peers_agree" is ${minPeersAgree} but the cluster has only ${clusterSize} agents: no IP can ever be removed`;
  }
  if (clusterSize > 1 && needed < majority) {
    return `"min_peers_agree" is ${minPeersAgree}: ${needed} of ${clusterSize} agents can remove an IP, less than a majority (${majority}); a minority partition could act. Set it to at least ${
      majority - 1
    }`;
  }
  return null;
}

/**
 * Start-up check of cluster security.
 * @param members `peers`, `cryptoKeys`, `insecurePlaintext` of `config.members`
 * @returns an error message when cluster mode has no key and plaintext is
 *   not explicitly allowed, else null
 */
export function clusterSecurityProblem(members: {
  peers: readonly string[];
  cryptoKeys: readonly string[];
  insecurePlaintext: boolean;
}): string | null {
  if (members.peers.length === 0 || members.cryptoKeys.length > 0) return null;
  if (members.insecurePlaintext) return null;
  return 'Cluster mode needs "members.crypto_key": make one with "goavail keygen" and set the same key on every agent, or set "members.insecure_plaintext = true" for a lab';
}
