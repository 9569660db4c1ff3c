/**
 * Time as the agent sees it. Everything that reads the time or waits takes a
 * `Clock`, so tests can pass a manual one instead of faking timers.
 * @module
 */

/** Source of wall-clock and monotonic time, and of cancellable waits. */
export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic time in microseconds; only differences are meaningful. */
  monotonicMicros(): number;
  /**
   * Resolves after `ms` milliseconds, or early (without rejecting) when
   * `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()`, `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMicros: () => Math.round(performance.now() * 1000),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    });
  },
};

/**
 * A clock that only moves when told to. `sleep` resolves once `advance`
 * has moved time past its deadline.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #sleepers: { until: number; resolve: () => void }[] = [];

  /** @param startMs wall-clock start in ms since the epoch. */
  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  /** @returns the current manual wall-clock time in ms. */
  now(): number {
    return this.#nowMs;
  }

  /** @returns the current manual time in µs. */
  monotonicMicros(): number {
    return this.#nowMs * 1000;
  }

  /** Waits until `advance` has moved past `ms` from now. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const entry = { until: this.#nowMs + ms, resolve };
      this.#sleepers.push(entry);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== entry);
        resolve();
      }, { once: true });
    });
  }

  /** Moves time forward by `ms` and wakes every sleeper now due. */
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#nowMs);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#nowMs);
    for (const s of due) s.resolve();
  }
}
