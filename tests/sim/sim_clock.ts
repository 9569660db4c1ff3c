/**
 * One agent's clock in the simulator: the world's virtual time seen through
 * this agent's offset (wall clock) and drift (both clocks). Waits never
 * end by time: the simulator calls the agent's parts step by step, so a
 * sleeping loop stays asleep until it is stopped.
 * @module
 */
import type { Clock } from "../../lib/observe/clock.ts";

/** The world's virtual time, in ms. */
export interface WorldTime {
  nowMs: number;
}

/** A clock with an offset and a drift over the world's time. */
export class SimClock implements Clock {
  readonly #world: WorldTime;
  /** Added to the wall clock (an NTP step changes it). */
  offsetMs: number;
  readonly #drift: number;

  /**
   * @param world the shared virtual time
   * @param offsetMs added to the wall clock
   * @param driftPpm parts per million this clock runs fast (or slow)
   */
  constructor(world: WorldTime, offsetMs: number, driftPpm: number) {
    this.#world = world;
    this.offsetMs = offsetMs;
    this.#drift = 1 + driftPpm / 1e6;
  }

  /** @inheritdoc */
  now(): number {
    return Math.floor(this.#world.nowMs * this.#drift + this.offsetMs);
  }

  /** @inheritdoc */
  monotonicMicros(): number {
    return Math.floor(this.#world.nowMs * this.#drift * 1000);
  }

  /** Resolves only when `signal` aborts. */
  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  }
}
