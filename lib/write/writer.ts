/**
 * Who writes, pure. The cluster has one writer for every name: the lowest
 * node id among the agents known to stand: this agent when writable, and
 * peers that are writable and acknowledged (`acked`), heard directly or
 * relayed by live peers (`backs`), so two agents that do not hear each other
 * but share a live peer agree on the writer. An agent acts as the writer
 * only when a quorum acknowledges it (itself plus live peers that report
 * hearing it ≥ `min_peers_agree + 1`): two quorums share an agent, which
 * relays the lower-ranked one to the other (SAFETY.md, rule W). A peer that
 * nobody acknowledges does not stand, so it cannot keep a connected
 * majority from electing one of its own.
 * @module
 */

import type { Vote } from "./types.ts";

/** Orders node ids by UTF-16 code units: the same on every agent. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What {@linkcode electWriter} concludes. */
export interface Election {
  /** The lowest writable agent this one knows of; null when none. */
  writer: string | null;
  /** Agents acknowledging this one: itself plus peers that hear it. */
  acks: number;
}

/**
 * @param self this agent's vote
 * @param live live peers' votes
 * @returns itself plus live peers whose `hears` lists it
 */
export function acksOf(self: Vote, live: readonly Vote[]): number {
  return 1 + live.filter((p) => p.hears.includes(self.nodeId)).length;
}

/**
 * @param self this agent's vote (its `writable` says whether it may stand)
 * @param live live peers' votes
 * @param configured canonical ids of configured peers (relayed ids outside
 *   them are ignored)
 * @returns the writer and this agent's acknowledgements
 */
export function electWriter(
  self: Vote,
  live: readonly Vote[],
  configured: readonly string[],
): Election {
  const known = new Set(configured);
  const candidates = new Set<string>();
  if (self.writable) candidates.add(self.nodeId);
  for (const peer of live) {
    if (peer.writable && peer.acked) candidates.add(peer.nodeId);
    for (const id of peer.backs) {
      if (id === self.nodeId) continue;
      if (known.has(id)) candidates.add(id);
    }
  }
  const sorted = [...candidates].sort(compareIds);
  return { writer: sorted[0] ?? null, acks: acksOf(self, live) };
}
