/**
 * The cluster's book of withdrawn records: every agent keeps the exact
 * record (ttl, proxied, comment, tags, …) of each record the writer
 * removed, so any agent can restore it exactly, even when the one that
 * removed it is gone with its disk. Heartbeats carry the book; receivers
 * merge it.
 *
 * Each entry is versioned: a new snapshot or a tombstone (the record is
 * back, the snapshot is dropped) takes a version above every version known
 * for that key and at least the writer's wall clock in ms, so an agent that
 * restarted without knowing its peers' versions still writes newer ones.
 * The higher `(v, by, record)` wins on merge, so every agent that has seen
 * the same entries holds the same book. Tombstones are kept for
 * {@linkcode TOMBSTONE_MS} so that a late copy of the old snapshot does not
 * come back. Pure apart from the time passed in.
 * @module
 */

import {
  type DnsRecord,
  recordKey,
  validOptionalFields,
} from "../dns/provider.ts";
import type { Result } from "./types.ts";

/** One entry as heartbeats carry it. */
export interface BookEntry {
  /** {@linkcode recordKey} of the record. */
  key: string;
  /** Version: higher wins. */
  v: number;
  /** Node id of the agent that made this version. */
  by: string;
  /** The record as it was before removal; null once it is back. */
  record: DnsRecord | null;
}

/** How long a tombstone is kept and carried, ms. */
export const TOMBSTONE_MS = 60 * 60 * 1000;

/** Most entries accepted from one heartbeat. */
export const MAX_BOOK_ENTRIES = 1000;

interface Held extends BookEntry {
  /** Local ms when this agent learned the entry (tombstone expiry). */
  at: number;
}

/**
 * @returns whether `a` is newer than `b`: higher version, then higher
 *   node id, then the larger record text (so ties resolve the same
 *   everywhere).
 */
export function newer(a: BookEntry, b: BookEntry): boolean {
  if (a.v !== b.v) return a.v > b.v;
  if (a.by !== b.by) return a.by > b.by;
  return JSON.stringify(a.record) > JSON.stringify(b.record);
}

/** A book entry that holds a record. */
export type LiveEntry = BookEntry & { record: DnsRecord };

/** What a merge changed, for the receiver to persist. */
export interface MergeResult {
  /** Entries to save (new or newer snapshots). */
  stored: LiveEntry[];
  /** Keys whose snapshot a newer tombstone removed. */
  dropped: string[];
}

/** The versioned book of withdrawn records. */
export class SnapshotBook {
  readonly #entries = new Map<string, Held>();

  /**
   * Adds records this agent already held (its state file) with the
   * versions saved beside them (0 when none was, so that any version a
   * peer made wins).
   */
  seed(
    records: ReadonlyMap<string, DnsRecord>,
    versions: ReadonlyMap<string, { v?: number; by: string | null }>,
    self: string,
    now: number,
  ): void {
    for (const [key, record] of records) {
      if (this.#entries.has(key)) continue;
      const saved = versions.get(key);
      const v = saved?.v ?? 0;
      const by = saved?.v === undefined ? self : saved.by ?? self;
      this.#entries.set(key, { key, v, by, record: strip(record), at: now });
    }
  }

  /**
   * The entries new snapshots made by `by` would have, without entering
   * them (the caller saves them first, then {@linkcode merge}s them).
   */
  draft(records: readonly DnsRecord[], by: string, now: number): LiveEntry[] {
    return records.map((r) => {
      const key = recordKey(r);
      return { key, v: this.#nextVersion(key, now), by, record: strip(r) };
    });
  }

  /**
   * Records new snapshots made by `by` (before it removes them).
   * @returns the new entries
   */
  put(records: readonly DnsRecord[], by: string, now: number): BookEntry[] {
    const drafts = this.draft(records, by, now);
    this.merge(drafts, now);
    return drafts;
  }

  /**
   * Replaces snapshots by tombstones (the records are back).
   * @returns the tombstones made (keys without a live snapshot are skipped)
   */
  drop(keys: readonly string[], by: string, now: number): BookEntry[] {
    const out: BookEntry[] = [];
    for (const key of keys) {
      if (this.#entries.get(key)?.record) {
        out.push(this.#set(key, null, by, now));
      }
    }
    return out;
  }

  /** Merges a peer's entries; newer ones replace what is held. */
  merge(entries: readonly BookEntry[], now: number): MergeResult {
    const result: MergeResult = { stored: [], dropped: [] };
    for (const e of entries) {
      const held = this.#entries.get(e.key);
      if (held && !newer(e, held)) continue;
      // A tombstone for a key never seen here is kept too, so a late copy
      // of the old snapshot cannot come back.
      this.#entries.set(e.key, { ...e, at: now });
      if (e.record) result.stored.push(e as LiveEntry);
      else if (held?.record) result.dropped.push(e.key);
    }
    return result;
  }

  /** @returns every live snapshot, by key. */
  live(): Map<string, DnsRecord> {
    const out = new Map<string, DnsRecord>();
    for (const e of this.#entries.values()) {
      if (e.record) out.set(e.key, structuredClone(e.record));
    }
    return out;
  }

  /**
   * @returns what a heartbeat carries: snapshots, then tombstones younger
   *   than {@linkcode TOMBSTONE_MS} (older ones are forgotten), newest
   *   first within each, at most {@linkcode MAX_BOOK_ENTRIES} (what a
   *   receiver accepts)
   */
  entries(now: number): BookEntry[] {
    const out: BookEntry[] = [];
    for (const [key, e] of this.#entries) {
      if (!e.record && now - e.at > TOMBSTONE_MS) {
        this.#entries.delete(key);
        continue;
      }
      out.push({ key: e.key, v: e.v, by: e.by, record: e.record });
    }
    if (out.length <= MAX_BOOK_ENTRIES) return out;
    const rank = (e: BookEntry) => (e.record ? 0 : 1);
    out.sort((a, b) => rank(a) - rank(b) || b.v - a.v);
    return out.slice(0, MAX_BOOK_ENTRIES);
  }

  #nextVersion(key: string, now: number): number {
    return Math.max((this.#entries.get(key)?.v ?? 0) + 1, Math.floor(now));
  }

  #set(
    key: string,
    record: DnsRecord | null,
    by: string,
    now: number,
  ): BookEntry {
    const v = this.#nextVersion(key, now);
    const e: Held = { key, v, by, record, at: now };
    this.#entries.set(key, e);
    return { key, v, by, record };
  }
}

function strip(record: DnsRecord): DnsRecord {
  const { id: _id, ...rest } = record;
  return structuredClone(rest) as DnsRecord;
}

function isRecordObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseRecord(v: unknown): DnsRecord | null {
  if (!isRecordObject(v)) return null;
  const { type, name, content, ttl, proxied, comment, tags } = v;
  if (type !== "A" && type !== "AAAA") return null;
  if (typeof name !== "string" || name.length === 0 || name.length > 255) {
    return null;
  }
  if (typeof content !== "string" || content.length > 64) return null;
  if (!isCount(ttl) || typeof proxied !== "boolean") return null;
  if (comment !== null && typeof comment !== "string") return null;
  if (
    !Array.isArray(tags) || tags.length > 100 ||
    !tags.every((t) => typeof t === "string")
  ) return null;
  if (!validOptionalFields(v)) return null;
  // Further provider fields (record settings, …) travel unchanged.
  const { id: _id, ...rest } = v;
  return rest as unknown as DnsRecord;
}

/**
 * Validates the `snapshots` of a decoded heartbeat.
 * @param v the field's JSON value (undefined: older agents send none)
 * @returns the entries, or what is wrong
 */
export function parseBookEntries(v: unknown): Result<BookEntry[], string> {
  if (v === undefined) return { ok: true, value: [] };
  if (!Array.isArray(v) || v.length > MAX_BOOK_ENTRIES) {
    return {
      ok: false,
      error: `"snapshots" must be a list of at most ${MAX_BOOK_ENTRIES}`,
    };
  }
  const out: BookEntry[] = [];
  for (const e of v) {
    const bad = { ok: false as const, error: 'bad "snapshots" entry' };
    if (!isRecordObject(e)) return bad;
    const { key, v: version, by, record } = e;
    if (typeof key !== "string" || key.length > 400) return bad;
    if (!isCount(version)) return bad;
    if (typeof by !== "string" || by.length === 0 || by.length > 300) {
      return bad;
    }
    if (record === null) {
      out.push({ key, v: version, by, record: null });
      continue;
    }
    const parsed = parseRecord(record);
    if (!parsed || recordKey(parsed) !== key) return bad;
    out.push({ key, v: version, by, record: parsed });
  }
  return { ok: true, value: out };
}
