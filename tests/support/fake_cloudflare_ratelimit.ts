/**
 * The fake Cloudflare API's rate-limit headers. Cloudflare returns on every
 * REST call (https://developers.cloudflare.com/fundamentals/api/reference/limits/,
 * "Rate limiting headers"):
 * - `Ratelimit: "default";r=50;t=30` (remaining quota r, seconds t until
 *   the window resets),
 * - `Ratelimit-Policy: "burst";q=100;w=60` (quota q per window w seconds),
 * - `retry-after` only on a 429.
 * The quota is 1,200 calls per 5 minutes per user, and "If you exceed this
 * limit, all API calls for the next five minutes will be blocked, receiving
 * a HTTP 429 response" (same page). The fake counts every API request in a
 * window that starts with the first request; with `enforce` it answers 429
 * (code 971, retry-after) once the quota is spent, until the window ends.
 * @module
 */

/** Options of {@linkcode FakeRateLimit}. */
export interface FakeRateLimitOptions {
  /** @default 1200 */
  quota?: number;
  /** @default 300 */
  windowSeconds?: number;
  /** Refuse with 429 once the quota is spent. @default false */
  enforce?: boolean;
}

/** The fake's count of calls in the current window. */
export class FakeRateLimit {
  #quota: number;
  #windowMs: number;
  #enforce: boolean;
  #start = -Infinity;
  #used = 0;

  /** @param options quota, window and whether it is enforced */
  constructor(options: FakeRateLimitOptions = {}) {
    this.#quota = options.quota ?? 1200;
    this.#windowMs = (options.windowSeconds ?? 300) * 1000;
    this.#enforce = options.enforce ?? false;
  }

  /**
   * Counts one request.
   * @param now wall-clock ms
   * @returns the headers to send, and whether the request is refused
   */
  take(now: number): { headers: Record<string, string>; refused: boolean } {
    if (now >= this.#start + this.#windowMs) {
      this.#start = now;
      this.#used = 0;
    }
    const refused = this.#enforce && this.#used >= this.#quota;
    if (!refused) this.#used++;
    const left = Math.max(0, this.#quota - this.#used);
    const t = Math.ceil((this.#start + this.#windowMs - now) / 1000);
    const headers: Record<string, string> = {
      "ratelimit": `"default";r=${left};t=${t}`,
      "ratelimit-policy": `"default";q=${this.#quota};w=${
        this.#windowMs / 1000
      }`,
    };
    if (refused) headers["retry-after"] = String(t);
    return { headers, refused };
  }
}
