/**
 * DNS API requests this agent sent in the last five minutes, the window
 * Cloudflare's budget is counted in (1,200 per user, shared by every agent
 * and tool on the account). Buckets of ten seconds: no per-call allocation.
 * @module
 */

/** The budget window, ms. */
export const API_WINDOW_MS = 300_000;
const BUCKET_MS = 10_000;
const BUCKETS = API_WINDOW_MS / BUCKET_MS;

/** A sliding count of requests over {@linkcode API_WINDOW_MS}. */
export class ApiCallWindow {
  #counts = new Float64Array(BUCKETS);
  #stamps = new Float64Array(BUCKETS).fill(-Infinity);
  #total = 0;

  /** Requests counted since start. */
  get total(): number {
    return this.#total;
  }

  /** Counts one request at wall-clock `now` (ms). */
  record(now: number): void {
    const slot = Math.floor(now / BUCKET_MS);
    const i = slot % BUCKETS;
    if (this.#stamps[i] !== slot) {
      this.#stamps[i] = slot;
      this.#counts[i] = 0;
    }
    this.#counts[i]!++;
    this.#total++;
  }

  /** @returns requests in the five minutes before `now` (to ten seconds). */
  count(now: number): number {
    const slot = Math.floor(now / BUCKET_MS);
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (slot - this.#stamps[i]! < BUCKETS) n += this.#counts[i]!;
    }
    return n;
  }
}
