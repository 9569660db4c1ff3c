/**
 * Notifications for cluster peers: one message when a peer that was live is
 * lost, one when a lost peer is live again. A peer going live for the first
 * time (every start) is not news.
 * @module
 */
import type { NotifyEvent } from "../observe/notify.ts";

/** Turns peer liveness changes into notifications. */
export class PeerNotices {
  readonly #lost = new Set<string>();

  /**
   * @param peer the peer's canonical id
   * @param live whether it is live now
   * @returns the event to send, or null when the change is not news
   */
  onChange(peer: string, live: boolean): NotifyEvent | null {
    if (!live) {
      this.#lost.add(peer);
      return {
        event: "peer_lost",
        detail: `Peer ${peer} lost: no valid heartbeat within peer_timeout`,
      };
    }
    if (!this.#lost.delete(peer)) return null;
    return { event: "peer_recovered", detail: `Peer ${peer} is live again` };
  }
}
