/**
 * The quorum rule, pure. An IP's records should be absent when at least
 * `min_peers_agree + 1` counted agents see it down, present when as many
 * see it up, and are left as they are otherwise. Counted agents are this one
 * and its live peers, minus those that suspect themselves; each counts only
 * its settled verdicts.
 *
 * Both directions need the quorum: with `min_peers_agree + 1` a majority of
 * the configured cluster, a down quorum and an up quorum cannot exist at
 * once (two majorities intersect in an agent with one verdict), so no two
 * agents can want opposite changes, whatever each of them hears.
 * @module
 */

import type { Intent, Vote } from "./types.ts";

/** Down and up votes of one IP. */
export interface Tally {
  down: number;
  up: number;
}

/**
 * @param ip the IP
 * @param votes this agent's and its live peers' votes
 * @returns how many non-isolated agents see `ip` down and up
 */
export function tally(ip: string, votes: readonly Vote[]): Tally {
  const t = { down: 0, up: 0 };
  for (const v of votes) {
    if (v.isolated) continue;
    const verdict = v.view[ip]?.verdict;
    if (verdict === "down") t.down++;
    else if (verdict === "up") t.up++;
  }
  return t;
}

/**
 * @param t the tally
 * @param needed `min_peers_agree + 1`
 * @returns the cluster's intent for the IP
 */
export function intentOf(t: Tally, needed: number): Intent {
  if (t.down >= needed) return "absent";
  if (t.up >= needed) return "present";
  return "hold";
}
