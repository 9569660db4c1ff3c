/**
 * The simulator's only source of randomness: mulberry32, a 32-bit seeded
 * generator. The same seed gives the same sequence on every machine.
 * @module
 */

/** A seeded pseudo-random generator. */
export class Prng {
  #state: number;

  /** @param seed any integer; equal seeds give equal sequences */
  constructor(seed: number) {
    this.#state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** @returns a float in [0, 1) */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** @returns true with probability `p` */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** @returns an integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** @returns one element of a non-empty list */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
