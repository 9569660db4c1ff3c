/**
 * Spreads periodic work over an interval, pure: N items probed every
 * interval are due at evenly spaced offsets instead of in one burst.
 * @module
 */

/** Round-robin schedule of items over a repeating interval (µs, monotonic). */
export class SpreadSchedule<T> {
  #items: T[] = [];
  #intervalMicros: number;
  #roundStart = 0;
  #cursor = 0;
  #spread: boolean;

  /**
   * @param intervalMicros time between two turns of one item
   * @param spread false makes every item due at the round start (a burst;
   * for benchmarks). @default true
   */
  constructor(intervalMicros: number, spread = true) {
    this.#intervalMicros = Math.max(1, intervalMicros);
    this.#spread = spread;
  }

  /** Number of scheduled items. */
  get size(): number {
    return this.#items.length;
  }

  /**
   * Starts a round at `nowMicros`: the first item is due at once.
   * @param nowMicros monotonic time
   */
  start(nowMicros: number): void {
    this.#roundStart = nowMicros;
    this.#cursor = 0;
  }

  /**
   * Replaces the items, keeping the position within the current round so
   * the cadence of the others is not disturbed.
   * @param items the new items in probe order
   * @param nowMicros monotonic time
   */
  setItems(items: T[], nowMicros: number): void {
    const elapsed = nowMicros - this.#roundStart;
    const fraction = Math.min(1, Math.max(0, elapsed / this.#intervalMicros));
    this.#items = items;
    this.#cursor = Math.min(items.length, Math.ceil(fraction * items.length));
  }

  /**
   * Changes the interval from now on.
   * @param intervalMicros time between two turns of one item
   */
  setInterval(intervalMicros: number): void {
    this.#intervalMicros = Math.max(1, intervalMicros);
  }

  #due(index: number): number {
    if (!this.#spread) return this.#roundStart;
    const n = this.#items.length;
    return this.#roundStart + (index * this.#intervalMicros) / n;
  }

  /**
   * Takes every item due at `nowMicros`. When more than two intervals late
   * (a stalled process), the round restarts at now instead of bursting.
   * @param nowMicros monotonic time
   * @param limit most items returned in one call
   * @returns the due items, in order
   */
  takeDue(nowMicros: number, limit = Infinity): T[] {
    const n = this.#items.length;
    const out: T[] = [];
    if (n === 0) return out;
    if (nowMicros - this.#roundStart > 2 * this.#intervalMicros) {
      this.start(nowMicros);
    }
    const bound = Math.min(limit, this.#spread ? 2 * n : n);
    while (out.length < bound) {
      if (this.#cursor >= n) {
        const next = this.#roundStart + this.#intervalMicros;
        if (next > nowMicros) break;
        this.#roundStart = next;
        this.#cursor = 0;
      }
      if (this.#due(this.#cursor) > nowMicros) break;
      out.push(this.#items[this.#cursor]!);
      this.#cursor++;
    }
    return out;
  }

  /** @returns when the next item is due (µs), or Infinity when empty. */
  nextDueMicros(): number {
    const n = this.#items.length;
    if (n === 0) return Infinity;
    if (this.#cursor >= n) return this.#roundStart + this.#intervalMicros;
    return this.#due(this.#cursor);
  }
}
