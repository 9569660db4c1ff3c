/**
 * Per-target loss over the last minute, in fixed memory: twelve 5-second
 * buckets of (sent, lost) per IP.
 * @module
 */

const BUCKET_MS = 5000;
const BUCKETS = 12;

interface Ring {
  /** Bucket start time (ms) per slot. */
  start: number[];
  sent: number[];
  lost: number[];
}

/** Rolling probe loss per IP. */
export class LossWindow {
  #rings = new Map<string, Ring>();

  /** Counts one probe outcome of `ip` at wall-clock `at` (ms). */
  record(ip: string, ok: boolean, at: number): void {
    let ring = this.#rings.get(ip);
    if (!ring) {
      ring = {
        start: new Array(BUCKETS).fill(-1),
        sent: new Array(BUCKETS).fill(0),
        lost: new Array(BUCKETS).fill(0),
      };
      this.#rings.set(ip, ring);
    }
    const bucketStart = at - (at % BUCKET_MS);
    const slot = Math.floor(at / BUCKET_MS) % BUCKETS;
    if (ring.start[slot] !== bucketStart) {
      ring.start[slot] = bucketStart;
      ring.sent[slot] = 0;
      ring.lost[slot] = 0;
    }
    ring.sent[slot]!++;
    if (!ok) ring.lost[slot]!++;
  }

  /**
   * @param now wall-clock ms
   * @returns the share of probes of `ip` lost in the last minute (0..1), or
   * null when none was sent
   */
  loss(ip: string, now: number): number | null {
    const ring = this.#rings.get(ip);
    if (!ring) return null;
    let sent = 0, lost = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (ring.start[i]! > now - BUCKETS * BUCKET_MS) {
        sent += ring.sent[i]!;
        lost += ring.lost[i]!;
      }
    }
    return sent === 0 ? null : lost / sent;
  }

  /** Forgets IPs no longer watched. */
  retain(ips: Iterable<string>): void {
    const keep = new Set(ips);
    for (const ip of this.#rings.keys()) {
      if (!keep.has(ip)) this.#rings.delete(ip);
    }
  }
}
