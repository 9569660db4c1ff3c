/**
 * What this agent's heartbeats carry, from its live state: the view without
 * verdicts that fresh probes do not back yet, whether it suspects itself,
 * whether it stands for writer, and the snapshot book. Pure.
 * @module
 */
import type { LocalState } from "../cluster/membership.ts";
import type { BookEntry } from "../cluster/snapshot_book.ts";
import type { DrainEntry } from "../cluster/drain_book.ts";
import type { PeerView } from "../cluster/types.ts";
import type { Isolation } from "../write/isolation.ts";
import type { IntentDecision } from "../write/types.ts";

/** What {@linkcode heartbeatState} reads. */
export interface HeartbeatSources {
  /** Every own verdict (the health table's view). */
  view: PeerView;
  /** IPs whose verdict no fresh probe backs yet. */
  unsettled: ReadonlySet<string>;
  /** Self-isolation as the last write decision noted it. */
  noted: Isolation;
  /** Self-isolation by this agent's facts at this moment. */
  current: Isolation;
  /** The last write decision's first stage; null before the first. */
  decided: IntentDecision | null;
  snapshots: BookEntry[];
  /** The drain book. @default [] */
  drains?: DrainEntry[];
}

/**
 * A verdict restored from the state store, or older than a freeze, must not
 * add a vote to peers' quorums, so unsettled IPs are left out. The agent
 * counts as isolated when either the last decision or its facts now say so:
 * its facts can turn (every target failing, local send errors) between two
 * decisions, and until the next one its votes must already not count, nor
 * may it stand for writer.
 * @returns the heartbeat's local state
 */
export function heartbeatState(src: HeartbeatSources): LocalState {
  const view = { ...src.view };
  for (const ip of src.unsettled) delete view[ip];
  const isolated = src.noted.isolated || src.current.isolated;
  return {
    view,
    isolated,
    writable: !isolated && (src.decided?.writable ?? false),
    acked: !isolated && (src.decided?.acked ?? false),
    snapshots: src.snapshots,
    drains: src.drains ?? [],
  };
}
