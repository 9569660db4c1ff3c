/**
 * The share of Cloudflare's API budget this agent allows itself, and how
 * drift repair is spaced to stay below it. Cloudflare allows 1,200 calls per
 * 5 minutes per user, shared by every agent and tool on the account, and
 * blocks every call for 5 minutes once it is exceeded
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/).
 * Only drift repair waits for the budget: a pass that acts on a changed
 * wish (a failover write and the read right before it) never does.
 *
 * Three rules, the strictest wins:
 * - spacing: passes at least `window × cost / allowance` apart, so a pass
 *   that costs `cost` calls repeated forever stays within the allowance;
 * - window: no pass while this agent's calls of the last 5 minutes plus
 *   the pass's cost would exceed the allowance;
 * - server: when the last `Ratelimit` header left fewer than
 *   {@linkcode RESERVED_CALLS} calls for the whole account, no pass before
 *   its window resets (those calls are kept for failover writes).
 * @module
 */

import { API_WINDOW_MS, type ApiCallWindow } from "./api_calls.ts";

/** What the server last said: calls left, and when its window resets. */
export interface ServerBudget {
  remaining: number;
  /** Wall-clock ms. */
  resetAtMs: number;
}

/** Cloudflare's budget per user per {@linkcode API_WINDOW_MS}. */
export const CLOUDFLARE_CALLS_PER_WINDOW = 1200;
/** Calls the server must still allow before a drift pass may spend any. */
export const RESERVED_CALLS = 50;
/** How soon a pass held by the window rule looks again, ms. */
const WINDOW_RECHECK_MS = 10_000;

/** Why a drift pass waits. */
export type BudgetHold = "spacing" | "window" | "server";

/** A drift pass's wait: how long, and which rule. */
export interface BudgetDelay {
  ms: number;
  reason: BudgetHold;
}

/** This agent's allowance and the drift spacing that keeps it. */
export class ApiBudget {
  #calls: ApiCallWindow;
  #share: number;
  #server: () => ServerBudget | null;

  /**
   * @param calls this agent's requests over the last 5 minutes
   * @param share `[cloudflare] api_budget_share`, in (0, 1]
   * @param server the last `Ratelimit` reading, or null when none came
   */
  constructor(
    calls: ApiCallWindow,
    share: number,
    server: () => ServerBudget | null = () => null,
  ) {
    this.#calls = calls;
    this.#share = share;
    this.#server = server;
  }

  /** Calls this agent may send per 5 minutes. */
  get allowance(): number {
    return Math.max(1, Math.floor(CLOUDFLARE_CALLS_PER_WINDOW * this.#share));
  }

  /** Requests counted since start (to measure a pass's cost). */
  get total(): number {
    return this.#calls.total;
  }

  /** Changes the share (reload). */
  setShare(share: number): void {
    this.#share = share;
  }

  /**
   * @param now wall-clock ms
   * @param lastPassAt when the last pass ended, wall-clock ms
   * @param cost calls the next drift pass is expected to send
   * @returns how long the drift pass must wait, or null when it may run
   */
  driftDelay(
    now: number,
    lastPassAt: number,
    cost: number,
  ): BudgetDelay | null {
    // A pass dearer than the whole allowance (a failover's writes, a paged
    // read of a large zone) must not hold drift repair for good: it may
    // run once the window is empty.
    const need = Math.min(Math.max(1, cost), this.allowance);
    const server = this.#server();
    if (
      server && server.remaining < RESERVED_CALLS + need &&
      now < server.resetAtMs
    ) {
      // A reset is never further off than the budget's own window; a header
      // that says otherwise must not hold drift repair longer (nor overflow
      // a timer).
      const ms = Math.min(server.resetAtMs - now, API_WINDOW_MS);
      return { ms, reason: "server" };
    }
    const spacing = (API_WINDOW_MS * need) / this.allowance;
    const spaced = lastPassAt + spacing - now;
    if (spaced > 0) return { ms: Math.ceil(spaced), reason: "spacing" };
    if (this.#calls.count(now) + need > this.allowance) {
      return { ms: WINDOW_RECHECK_MS, reason: "window" };
    }
    return null;
  }
}
