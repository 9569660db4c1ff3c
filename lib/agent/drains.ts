/**
 * Drains as the agent holds them: the cluster's drain book (lib/cluster/
 * drain_book.ts) joined with the state file, so a drain survives a restart,
 * and with the heartbeats, so every agent honours it and any agent may lift
 * it. A change made here is saved before it takes effect; one a peer sends
 * is saved before its heartbeat is answered.
 * @module
 */

import {
  DrainBook,
  type DrainEntry,
  MAX_DRAIN_ENTRIES,
} from "../cluster/drain_book.ts";
import type { Clock } from "../observe/clock.ts";
import { targetKey } from "../write/pools.ts";
import type { StateStore } from "./state_store.ts";

/** What {@linkcode Drains} needs from the agent. */
export interface DrainsOptions {
  store: StateStore;
  clock: Clock;
  /** This agent's node id now (it may change on reload). */
  nodeId: () => string;
  /** Called after the book changed (decide again, tell the peers). */
  onChange: () => void;
}

/** The agent's drains. */
export class Drains {
  readonly #book: DrainBook;
  readonly #opt: DrainsOptions;
  #writes: Promise<void> = Promise.resolve();

  /** Seeds the book from the state file. */
  constructor(options: DrainsOptions) {
    this.#opt = options;
    this.#book = new DrainBook(options.store.drains());
  }

  /**
   * Drains (pool, IP), or lifts its drain, and saves the book.
   * @returns the entry in force afterwards
   * @throws when the state file cannot be written (nothing changed then)
   *   or the book is full of drains in force
   */
  async set(
    pool: string,
    ip: string,
    drained: boolean,
    reason: string | null,
  ): Promise<DrainEntry> {
    const entry = this.#book.draft(
      { pool, ip, drained, reason: drained ? reason : null },
      this.#opt.nodeId(),
      this.#opt.clock.now(),
    );
    const live = this.#book.entries().filter((e) => e.drained).length;
    if (drained && !this.#book.get(pool, ip) && live >= MAX_DRAIN_ENTRIES) {
      throw new Error(
        `${live} drains are in force, the most the cluster carries; lift one first`,
      );
    }
    await this.#save([entry]);
    return entry;
  }

  /**
   * Merges a peer's drains; resolves once what changed is on disk.
   * @throws when the state file cannot be written
   */
  async merge(entries: readonly DrainEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#save(entries);
  }

  /** @returns the drain of (pool, IP) in force, or null. */
  get(pool: string, ip: string): DrainEntry | null {
    return this.#book.get(pool, ip);
  }

  /** @returns the IPs of `pool` drained now. */
  drainedIps(pool: string): Set<string> {
    return this.#book.drainedIps(pool);
  }

  /**
   * @param pools the pools' names
   * @returns the target keys (`lib/write/pools.ts`) of every IP drained
   *   now in one of `pools`, as the write decision reads them
   */
  drainedTargets(pools: readonly string[]): Set<string> {
    return new Set(
      pools.flatMap((pool) =>
        [...this.drainedIps(pool)].map((ip) => targetKey(pool, ip))
      ),
    );
  }

  /** @returns the book as the next heartbeat carries it. */
  entries(): DrainEntry[] {
    return this.#book.entries();
  }

  /**
   * Saves the book as it would be with `entries` merged, then merges them,
   * one write at a time: a failed write changes nothing.
   */
  #save(entries: readonly DrainEntry[]): Promise<void> {
    const next = this.#writes.then(async () => {
      const trial = new DrainBook(this.#book.entries());
      if (trial.merge(entries).length === 0) return;
      await this.#opt.store.putDrains(trial.entries());
      this.#book.merge(entries);
      this.#opt.onChange();
    });
    this.#writes = next.catch(() => {});
    return next;
  }
}
