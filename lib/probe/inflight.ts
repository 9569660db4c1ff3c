/**
 * Probes in flight, kept in a ring indexed by probe number: no allocation
 * per probe (medium-lived objects are what makes V8's heap grow), O(1)
 * match, and a late window as long as the ring. Deadlines sit in a min-heap
 * beside the ring: with adaptive timeouts every target waits its own time, so
 * a probe sent later may time out first, and send order is no longer expiry
 * order (equal deadlines still expire in send order).
 * @module
 */

import { DeadlineHeap } from "./deadline_heap.ts";

const FREE = 0;
const PENDING = 1;
const ANSWERED = 2;
const EXPIRED = 3;
const LATE = 4;

/** One slot of the ring; reused, so read it before the next `add`. */
export interface InflightEntry<T> {
  /** Probe number (32-bit) occupying the slot. */
  probe: number;
  /** Whatever the caller attached (the target). */
  target: T | null;
  /** Send time in the socket's time base (µs). */
  sentMicros: number;
  /** Monotonic µs after which the probe times out. */
  deadline: number;
  /** Socket send token (kernel TX timestamp key), or -1. */
  token: number;
  /** Monotonic µs of the send; NaN when the caller did not say. */
  sentMono: number;
  state: number;
}

/** Result of {@linkcode InflightTable.take}. */
export type TakeResult<T> =
  | { kind: "match"; entry: InflightEntry<T> }
  | { kind: "late"; entry: InflightEntry<T> }
  | { kind: "unknown" };

/** Ring of in-flight probes keyed by consecutive 32-bit probe numbers. */
export class InflightTable<T> {
  #ring: InflightEntry<T>[];
  #mask: number;
  /** Deadlines of the probes added, keyed by probe number (lazy deletion). */
  #deadlines = new DeadlineHeap();

  /** @param capacity initial slots, rounded up to a power of two (≥ 16) */
  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.#ring = InflightTable.#slots<T>(size);
    this.#mask = size - 1;
  }

  static #slots<T>(n: number): InflightEntry<T>[] {
    return Array.from({ length: n }, () => ({
      probe: 0,
      target: null,
      sentMicros: 0,
      deadline: 0,
      token: -1,
      sentMono: NaN,
      state: FREE,
    }));
  }

  /** Slots in the ring (grows when every slot is in flight). */
  get capacity(): number {
    return this.#ring.length;
  }

  /**
   * Records a sent probe. Numbers must be consecutive (mod 2^32) so that
   * a slot is reused only after the ring has gone round.
   * @param probe the probe number
   * @param target caller data
   * @param sentMicros send time (socket time base)
   * @param deadline monotonic µs of the timeout
   * @param token socket send token, or -1
   * @param sentMono monotonic µs of the send
   */
  add(
    probe: number,
    target: T,
    sentMicros: number,
    deadline: number,
    token = -1,
    sentMono = NaN,
  ): void {
    let slot = this.#ring[probe & this.#mask]!;
    if (slot.state === PENDING) {
      this.#grow();
      slot = this.#ring[probe & this.#mask]!;
    }
    slot.probe = probe;
    slot.target = target;
    slot.sentMicros = sentMicros;
    slot.deadline = deadline;
    slot.token = token;
    slot.sentMono = sentMono;
    slot.state = PENDING;
    this.#deadlines.push(deadline, probe);
  }

  #grow(): void {
    const old = this.#ring;
    const size = old.length * 2;
    const ring = InflightTable.#slots<T>(size);
    for (const e of old) {
      if (e.state !== FREE) ring[e.probe & (size - 1)] = e;
    }
    this.#ring = ring;
    this.#mask = size - 1;
  }

  /**
   * Matches a reply to its probe.
   * @param probe the probe number carried by the reply
   * @param accept checks the entry (e.g. the reply's source); a rejected
   * reply changes nothing
   * @returns the entry (now answered); "late" once for an expired probe
   * still remembered, with its entry (its RTT is still a true sample); or
   * "unknown" (foreign, duplicate or forgotten)
   */
  take(
    probe: number,
    accept: (e: InflightEntry<T>) => boolean = () => true,
  ): TakeResult<T> {
    const slot = this.#ring[probe & this.#mask]!;
    if (slot.probe !== probe || !accept(slot)) return { kind: "unknown" };
    if (slot.state === PENDING) {
      slot.state = ANSWERED;
      return { kind: "match", entry: slot };
    }
    if (slot.state === EXPIRED) {
      slot.state = LATE;
      return { kind: "late", entry: slot };
    }
    return { kind: "unknown" };
  }

  /** Pops answered or reused probes off the heap; returns the earliest pending. */
  #head(): InflightEntry<T> | null {
    const heap = this.#deadlines;
    while (heap.size > 0) {
      const probe = heap.peekKey();
      const e = this.#ring[probe & this.#mask]!;
      if (e.probe === probe && e.state === PENDING) return e;
      heap.pop();
    }
    return null;
  }

  /**
   * Times out, earliest deadline first (send order among equal deadlines),
   * every pending probe whose deadline has passed.
   * @param now monotonic µs
   * @param onExpire called per expired entry (before the slot is reused)
   */
  expire(now: number, onExpire: (e: InflightEntry<T>) => void): void {
    for (let e = this.#head(); e && e.deadline <= now; e = this.#head()) {
      e.state = EXPIRED;
      this.#deadlines.pop();
      onExpire(e);
    }
  }

  /** @returns the earliest deadline of a pending probe, or Infinity. */
  nextDeadline(): number {
    return this.#head()?.deadline ?? Infinity;
  }

  /** Forgets every probe. */
  clear(): void {
    for (const e of this.#ring) {
      e.state = FREE;
      e.target = null;
    }
    this.#deadlines.clear();
  }
}
