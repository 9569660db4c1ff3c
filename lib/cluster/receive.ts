/**
 * The receive pipeline of peer heartbeats, cheapest checks first: known
 * sender, source address, then opening (version, key, tag, encoding, JSON,
 * schema, sender match), clock window, and replay order. Only a heartbeat
 * passing every check changes state.
 * @module
 */

import type { Clock } from "../observe/clock.ts";
import { canonicalIp, canonicalNodeId } from "./addr.ts";
import { type Keyring, openHeartbeat } from "./crypto.ts";
import type { PeerTable } from "./peers.ts";
import type {
  Heartbeat,
  RejectionCounters,
  RejectReason,
  Result,
} from "./types.ts";

/** Largest accepted distance between a heartbeat's `sentAt` and our clock. */
export const MAX_SKEW_MS = 30_000;
/** Largest accepted heartbeat body. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Receives peers' heartbeats (implemented by `Membership`). */
export interface HeartbeatReceiver {
  /** Counters of refused heartbeats. */
  readonly rejections: RejectionCounters;
  /**
   * Validates and, when valid, records a heartbeat. Never throws; a
   * refusal changes no state.
   * @param frame the request body
   * @param from the `x-goavail-from` header
   * @param remoteIp the connection's source IP
   * @param viewFormats the `x-goavail-view-formats` header: the view
   *   formats the sender reads (absent from older agents)
   */
  receive(
    frame: Uint8Array,
    from: string,
    remoteIp: string,
    viewFormats?: string,
  ): Promise<Result<Heartbeat, RejectReason>>;
}

/** What {@linkcode acceptHeartbeat} checks against. */
export interface ReceiveContext {
  table: PeerTable;
  ring: Keyring;
  clock: Clock;
  /** Port assumed for ids without one. */
  membersPort: number;
}

/**
 * Runs every check and, when all pass, records the heartbeat in its peer
 * slot.
 * @param frame the request body
 * @param from the `x-goavail-from` header
 * @param remoteIp the connection's source IP
 * @param ctx peers, keys and clock
 * @returns the accepted heartbeat, or the first failed check
 */
export async function acceptHeartbeat(
  frame: Uint8Array,
  from: string,
  remoteIp: string,
  ctx: ReceiveContext,
): Promise<Result<Heartbeat, RejectReason>> {
  const slot = ctx.table.get(canonicalNodeId(from, ctx.membersPort));
  if (!slot) return { ok: false, error: "unknown_sender" };
  const ip = canonicalIp(remoteIp);
  if (ip === null || !slot.allowed.has(ip)) {
    return { ok: false, error: "wrong_source" };
  }
  const opened = await openHeartbeat(frame, from, ctx.ring);
  if (!opened.ok) return opened;
  const hb = opened.value;
  if (Math.abs(hb.sentAt - ctx.clock.now()) > MAX_SKEW_MS) {
    return { ok: false, error: "stale_time" };
  }
  // Re-read: the peer may have been removed while the frame was opened.
  if (ctx.table.get(slot.addr.id) !== slot) {
    return { ok: false, error: "unknown_sender" };
  }
  const now = ctx.clock.monotonicMicros();
  if (!slot.isNewer(hb.boot, hb.seq, now)) {
    return { ok: false, error: "replay" };
  }
  slot.accept(hb, now);
  return { ok: true, value: hb };
}
