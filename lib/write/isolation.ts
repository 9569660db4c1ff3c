/**
 * The self-isolation guard (DESIGN.md §4), pure: an agent that sees every
 * target fail at once, gets local send errors, or loses every peer suspects
 * itself rather than the world, and abstains from DNS writes until that
 * clears.
 * @module
 */

/** What the guard looks at. */
export interface IsolationInput {
  /** Targets watched. */
  targets: number;
  /** Targets whose verdict is down. */
  down: number;
  /** Targets whose last probe was a miss. */
  lastMissed: number;
  /** Targets whose last probe failed locally (no route, permission…). */
  lastLocalFault: number;
  /** Error code of one such local fault, for the reason. */
  localFaultDetail?: string | null;
  /** Cluster mode, and no peer has been live within `peer_timeout`. */
  lostAllPeers: boolean;
}

/** The guard's verdict. */
export interface Isolation {
  isolated: boolean;
  /** Why, in words an operator understands; null when not isolated. */
  reason: string | null;
}

/**
 * Decides whether this agent should abstain from writes.
 * @param input the counts above
 * @returns whether it is isolated, and why
 */
export function checkIsolation(input: IsolationInput): Isolation {
  if (input.lastLocalFault > 0) {
    const code = input.localFaultDetail ? ` (${input.localFaultDetail})` : "";
    return {
      isolated: true,
      reason:
        `local send errors${code} for ${input.lastLocalFault} target(s): this host's network is suspect`,
    };
  }
  if (
    input.targets >= 2 &&
    (input.down === input.targets || input.lastMissed === input.targets)
  ) {
    return {
      isolated: true,
      reason:
        `all ${input.targets} targets fail at once: this host's network is suspect`,
    };
  }
  if (input.lostAllPeers) {
    return {
      isolated: true,
      reason: "no peer is reachable: this agent may be partitioned",
    };
  }
  return { isolated: false, reason: null };
}
