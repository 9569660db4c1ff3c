/**
 * The cluster's book of drains: which (pool, IP) an operator took out of
 * DNS on purpose, and why. Heartbeats carry it; any agent may drain or lift
 * a drain; receivers merge and persist it, so a drain survives restarts
 * and outlives the agent it was issued on.
 *
 * Each entry is versioned like the snapshot book (snapshot_book.ts): a
 * change takes a version above the one held for that key and at least the
 * writer's wall clock in ms; the higher `(v, by, entry)` wins on merge, so
 * every agent that has seen the same entries holds the same book. A lifted
 * drain stays as an entry with `drained: false` (a tombstone), so a late
 * copy of the drain cannot come back. Pure apart from the time passed in.
 * @module
 */

import type { Result } from "./types.ts";

/** One drain as heartbeats carry it and the state file keeps it. */
export interface DrainEntry {
  pool: string;
  ip: string;
  /** Version: higher wins. */
  v: number;
  /** Node id of the agent that made this version. */
  by: string;
  /** True while drained; false once lifted (a tombstone). */
  drained: boolean;
  /** The operator's reason; null when none was given. */
  reason: string | null;
  /** Wall-clock ms the operator asked (the maker's clock). */
  at: number;
}

/** Most entries a book holds and a heartbeat may carry. */
export const MAX_DRAIN_ENTRIES = 100;

/** Longest reason accepted, in characters. */
export const MAX_REASON_LENGTH = 200;

/** @returns the book key of (pool, IP). */
export function drainKey(pool: string, ip: string): string {
  return `${pool}|${ip}`;
}

/** @returns whether `a` is newer than `b` (version, maker, then content). */
export function newerDrain(a: DrainEntry, b: DrainEntry): boolean {
  if (a.v !== b.v) return a.v > b.v;
  if (a.by !== b.by) return a.by > b.by;
  return JSON.stringify(a) > JSON.stringify(b);
}

/** The versioned book of drains. */
export class DrainBook {
  readonly #entries = new Map<string, DrainEntry>();

  /** @param entries what the state file held */
  constructor(entries: readonly DrainEntry[] = []) {
    this.merge(entries);
  }

  /**
   * The entry a drain (or, with `drained` false, a lift) made by `by` now
   * would have, without entering it (the caller saves it, then merges it).
   */
  draft(
    change: Pick<DrainEntry, "pool" | "ip" | "drained" | "reason">,
    by: string,
    now: number,
  ): DrainEntry {
    const held = this.#entries.get(drainKey(change.pool, change.ip));
    const v = Math.max((held?.v ?? 0) + 1, Math.floor(now));
    return { ...change, v, by, at: Math.floor(now) };
  }

  /**
   * Merges entries (a peer's, or a draft); newer ones replace what is held.
   * @returns the entries that changed the book
   */
  merge(entries: readonly DrainEntry[]): DrainEntry[] {
    const changed: DrainEntry[] = [];
    for (const e of entries) {
      const key = drainKey(e.pool, e.ip);
      const held = this.#entries.get(key);
      if (held && !newerDrain(e, held)) continue;
      this.#entries.set(key, { ...e });
      changed.push(e);
    }
    this.#trim();
    return changed;
  }

  /** @returns the drain of (pool, IP) in force, or null. */
  get(pool: string, ip: string): DrainEntry | null {
    const e = this.#entries.get(drainKey(pool, ip));
    return e?.drained ? { ...e } : null;
  }

  /** @returns the IPs of `pool` drained now. */
  drainedIps(pool: string): Set<string> {
    const out = new Set<string>();
    for (const e of this.#entries.values()) {
      if (e.pool === pool && e.drained) out.add(e.ip);
    }
    return out;
  }

  /** @returns every entry, tombstones included (heartbeats, state file). */
  entries(): DrainEntry[] {
    return [...this.#entries.values()].map((e) => ({ ...e }));
  }

  /**
   * Keeps at most {@linkcode MAX_DRAIN_ENTRIES}: the oldest tombstones go
   * first (a drain in force is never dropped).
   */
  #trim(): void {
    if (this.#entries.size <= MAX_DRAIN_ENTRIES) return;
    const tombs = [...this.#entries.entries()]
      .filter(([, e]) => !e.drained)
      .sort(([, a], [, b]) => a.v - b.v);
    for (const [key] of tombs) {
      if (this.#entries.size <= MAX_DRAIN_ENTRIES) return;
      this.#entries.delete(key);
    }
  }
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function shortString(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= max;
}

/**
 * Validates a list of drain entries (a heartbeat's `drains`, the state
 * file's `drains`).
 * @param v the JSON value (undefined: none)
 * @returns the entries, or what is wrong
 */
export function parseDrainEntries(v: unknown): Result<DrainEntry[], string> {
  if (v === undefined) return { ok: true, value: [] };
  if (!Array.isArray(v) || v.length > MAX_DRAIN_ENTRIES) {
    return {
      ok: false,
      error: `"drains" must be a list of at most ${MAX_DRAIN_ENTRIES}`,
    };
  }
  const out: DrainEntry[] = [];
  for (const e of v) {
    const bad = { ok: false as const, error: 'bad "drains" entry' };
    if (typeof e !== "object" || e === null || Array.isArray(e)) return bad;
    const { pool, ip, v: version, by, drained, reason, at } = e;
    if (!shortString(pool, 100) || !shortString(ip, 64)) return bad;
    if (!isCount(version) || !isCount(at)) return bad;
    if (!shortString(by, 300) || typeof drained !== "boolean") return bad;
    if (
      reason !== null &&
      !(typeof reason === "string" && reason.length <= MAX_REASON_LENGTH)
    ) return bad;
    out.push({ pool, ip, v: version, by, drained, reason, at });
  }
  return { ok: true, value: out };
}
