/**
 * A binary min-heap of (deadline, key) pairs in typed arrays: no object per
 * entry, O(log n) push and pop. Ties pop in push order, so probes with equal
 * deadlines still time out in send order.
 *
 * Entries are never removed from the middle: callers drop stale ones when
 * they reach the top (lazy deletion), which keeps `push` and `pop` the only
 * operations and the heap no larger than the pushes of one timeout window.
 * @module
 */

/** Min-heap of deadlines, each carrying an unsigned 32-bit key. */
export class DeadlineHeap {
  #deadline: Float64Array;
  #order: Float64Array;
  #key: Uint32Array;
  #size = 0;
  #pushed = 0;

  /** @param capacity initial entries (grows by doubling) */
  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.#deadline = new Float64Array(n);
    this.#order = new Float64Array(n);
    this.#key = new Uint32Array(n);
  }

  /** Entries held, stale ones included. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds an entry.
   * @param deadline sort key (smallest pops first)
   * @param key caller data, an unsigned 32-bit integer
   */
  push(deadline: number, key: number): void {
    if (this.#size === this.#deadline.length) this.#grow();
    let i = this.#size++;
    const order = this.#pushed++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(deadline, order, parent)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#set(i, deadline, order, key);
  }

  /** @returns the smallest deadline, or Infinity when empty. */
  peekDeadline(): number {
    return this.#size > 0 ? this.#deadline[0]! : Infinity;
  }

  /** @returns the key of the smallest deadline; only when not empty. */
  peekKey(): number {
    return this.#key[0]!;
  }

  /** Removes the entry with the smallest deadline (a no-op when empty). */
  pop(): void {
    if (this.#size === 0) return;
    const last = --this.#size;
    if (last === 0) return;
    const deadline = this.#deadline[last]!;
    const order = this.#order[last]!;
    const key = this.#key[last]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.#slotBeforeSlot(right, left)
        ? right
        : left;
      if (!this.#slotBefore(child, deadline, order)) break;
      this.#move(child, i);
      i = child;
    }
    this.#set(i, deadline, order, key);
  }

  /** Forgets every entry. */
  clear(): void {
    this.#size = 0;
  }

  /** Whether (deadline, order) sorts before slot `j`. */
  #before(deadline: number, order: number, j: number): boolean {
    const d = this.#deadline[j]!;
    return deadline < d || (deadline === d && order < this.#order[j]!);
  }

  /** Whether slot `i` sorts before (deadline, order). */
  #slotBefore(i: number, deadline: number, order: number): boolean {
    const d = this.#deadline[i]!;
    return d < deadline || (d === deadline && this.#order[i]! < order);
  }

  #slotBeforeSlot(i: number, j: number): boolean {
    return this.#before(this.#deadline[i]!, this.#order[i]!, j);
  }

  #move(from: number, to: number): void {
    this.#set(to, this.#deadline[from]!, this.#order[from]!, this.#key[from]!);
  }

  #set(i: number, deadline: number, order: number, key: number): void {
    this.#deadline[i] = deadline;
    this.#order[i] = order;
    this.#key[i] = key;
  }

  #grow(): void {
    const n = this.#deadline.length * 2;
    const deadline = new Float64Array(n);
    const order = new Float64Array(n);
    const key = new Uint32Array(n);
    deadline.set(this.#deadline);
    order.set(this.#order);
    key.set(this.#key);
    this.#deadline = deadline;
    this.#order = order;
    this.#key = key;
  }
}
