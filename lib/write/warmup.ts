/**
 * The cluster warm-up, pure: after start, and after self-isolation clears,
 * an agent waits until every configured peer has been heard or
 * `peer_timeout` has passed. Until then its picture of the cluster (votes,
 * the writer, replicated snapshots) may be missing a live agent.
 * @module
 */

/** Inputs of {@linkcode warmingUp}. */
export interface WarmupInput {
  /** Wall ms now. */
  now: number;
  /** Wall ms of start or of the last rejoin, whichever is later. */
  since: number;
  /** `members.peer_timeout`, ms. */
  peerTimeoutMs: number;
  /** Configured peers. */
  configured: number;
  /** Peers live now. */
  live: number;
}

/** @returns whether cluster writes must still wait. */
export function warmingUp(input: WarmupInput): boolean {
  if (input.now - input.since >= input.peerTimeoutMs) return false;
  return input.live < input.configured;
}
