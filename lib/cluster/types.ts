/**
 * Cluster message types, their validation, and the rejection reasons the
 * receiver counts.
 * @module
 */

import { type BookEntry, parseBookEntries } from "./snapshot_book.ts";
import { type DrainEntry, parseDrainEntries } from "./drain_book.ts";
import { expandView } from "./compact_view.ts";

/** A local verdict as carried between agents. */
export type PeerVerdict = "up" | "down";

/** One IP in an agent's view. */
export interface PeerViewEntry {
  verdict: PeerVerdict;
  /** Wall-clock ms since which the verdict holds (sender's clock). */
  since: number;
  /** Observations in a row agreeing with the verdict. */
  consecutive: number;
}

/** Every IP an agent watches, with its local verdict. */
export type PeerView = Record<string, PeerViewEntry>;

/** The plaintext of one heartbeat (JSON on the wire). */
export interface Heartbeat {
  /** Sender node id: its configured `local_addr`. */
  from: string;
  /** Sender's start time (wall-clock ms); with `seq`, orders messages. */
  boot: number;
  /** Per-boot message counter, from 1. */
  seq: number;
  /** Wall-clock ms at sealing (sender's clock). */
  sentAt: number;
  /** The sender's full local view. */
  view: PeerView;
  /** True when the sender suspects itself; its votes then do not count. */
  isolated: boolean;
  /**
   * The sender may be the cluster's writer (not isolated, warmed up, linked,
   * DNS writes not blocked). Absent (older agents): false.
   */
  writable: boolean;
  /**
   * Canonical ids of the peers the sender hears live and that said they are
   * writable (relayed liveness for the writer election). Absent: [].
   */
  hears: string[];
  /**
   * The sender is writable and a quorum acknowledges it (see
   * lib/write/writer.ts). Absent: false.
   */
  acked: boolean;
  /** Live peers the sender hears that are `acked`. Absent: []. */
  backs: string[];
  /**
   * The sender's book of withdrawn records (see snapshot_book.ts). Absent:
   * [].
   */
  snapshots: BookEntry[];
  /**
   * The sender's drain book (see drain_book.ts). Absent: none (a sender
   * leaves it out while the book is empty, so older agents, which refuse
   * unknown keys, keep hearing it until an operator drains).
   */
  drains?: DrainEntry[];
}

/** Most ids accepted in `hears` (a cluster is a handful of agents). */
export const MAX_HEARS = 64;

/** What the receiver accepts as outside input: ok or a reason. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** Why a heartbeat was refused. Each has a counter and a 4xx status. */
export type RejectReason =
  | "oversize"
  | "missing_sender"
  | "unknown_sender"
  | "wrong_source"
  | "truncated"
  | "bad_version"
  | "plaintext_refused"
  | "unknown_key"
  | "bad_tag"
  | "bad_encoding"
  | "bad_json"
  | "bad_schema"
  | "sender_mismatch"
  | "stale_time"
  | "replay";

/** HTTP status sent for each rejection. */
export const REJECT_STATUS: Readonly<
  Record<RejectReason, 400 | 401 | 403 | 409 | 413>
> = {
  oversize: 413,
  missing_sender: 400,
  unknown_sender: 403,
  wrong_source: 403,
  truncated: 400,
  bad_version: 400,
  plaintext_refused: 400,
  unknown_key: 401,
  bad_tag: 401,
  bad_encoding: 400,
  bad_json: 400,
  bad_schema: 400,
  sender_mismatch: 403,
  stale_time: 400,
  replay: 409,
};

/** Every rejection reason, for metrics. */
export const REJECT_REASONS: readonly RejectReason[] = Object.keys(
  REJECT_STATUS,
) as RejectReason[];

/** Counters of refused heartbeats, by reason. */
export class RejectionCounters {
  #counts = new Map<RejectReason, number>();

  /** Adds one to `reason`. */
  inc(reason: RejectReason): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
  }

  /** @returns the count for `reason`. */
  get(reason: RejectReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  /** @returns the sum over every reason. */
  total(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }

  /** @returns every reason with its count (zeros included). */
  snapshot(): Record<RejectReason, number> {
    const out = {} as Record<RejectReason, number>;
    for (const r of REJECT_REASONS) out[r] = this.get(r);
    return out;
  }
}

/** Largest number of IPs accepted in one view. */
export const MAX_VIEW_ENTRIES = 100_000;

const HEARTBEAT_KEYS = new Set([
  "from",
  "boot",
  "seq",
  "sentAt",
  "view",
  "cols",
  "isolated",
  "writable",
  "hears",
  "acked",
  "backs",
  "snapshots",
  "drains",
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates a decoded heartbeat (the JSON value of the plaintext).
 * @param v any JSON value
 * @returns the heartbeat, or a message saying what is wrong
 */
export function parseHeartbeat(v: unknown): Result<Heartbeat, string> {
  if (!isRecord(v)) return { ok: false, error: "not an object" };
  for (const k of Object.keys(v)) {
    if (!HEARTBEAT_KEYS.has(k)) {
      return { ok: false, error: `unknown key ${JSON.stringify(k)}` };
    }
  }
  const {
    from,
    boot,
    seq,
    sentAt,
    view,
    cols,
    isolated,
    writable,
    hears,
    acked,
    backs,
    snapshots,
    drains,
  } = v;
  if (typeof from !== "string" || from.length === 0 || from.length > 300) {
    return { ok: false, error: '"from" must be a non-empty string' };
  }
  if (!isCount(boot)) return { ok: false, error: '"boot" must be an integer' };
  if (!isCount(seq) || seq < 1) {
    return { ok: false, error: '"seq" must be an integer ≥ 1' };
  }
  if (!isCount(sentAt)) {
    return { ok: false, error: '"sentAt" must be an integer' };
  }
  if (isolated !== undefined && typeof isolated !== "boolean") {
    return { ok: false, error: '"isolated" must be a boolean' };
  }
  if (writable !== undefined && typeof writable !== "boolean") {
    return { ok: false, error: '"writable" must be a boolean' };
  }
  if (acked !== undefined && typeof acked !== "boolean") {
    return { ok: false, error: '"acked" must be a boolean' };
  }
  const heard = parseIds("hears", hears);
  if (!heard.ok) return heard;
  const backed = parseIds("backs", backs);
  if (!backed.ok) return backed;
  const book = parseBookEntries(snapshots);
  if (!book.ok) return book;
  const drainBook = parseDrainEntries(drains);
  if (!drainBook.ok) return drainBook;
  if ((view === undefined) === (cols === undefined)) {
    return { ok: false, error: 'exactly one of "view" and "cols" is needed' };
  }
  const parsed = cols === undefined
    ? parseView(view)
    : expandView(cols, sentAt, MAX_VIEW_ENTRIES);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    value: {
      from,
      boot,
      seq,
      sentAt,
      view: parsed.value,
      isolated: isolated ?? false,
      writable: writable ?? false,
      hears: heard.value,
      acked: acked ?? false,
      backs: backed.value,
      snapshots: book.value,
      ...(drains === undefined ? {} : { drains: drainBook.value }),
    },
  };
}

function parseIds(key: string, v: unknown): Result<string[], string> {
  if (v === undefined) return { ok: true, value: [] };
  if (
    !Array.isArray(v) || v.length > MAX_HEARS ||
    !v.every((id) =>
      typeof id === "string" && id.length > 0 && id.length <= 300
    )
  ) {
    return {
      ok: false,
      error: `"${key}" must be a list of at most ${MAX_HEARS} node ids`,
    };
  }
  return { ok: true, value: [...new Set(v as string[])] };
}

function parseView(v: unknown): Result<PeerView, string> {
  if (!isRecord(v)) return { ok: false, error: '"view" must be an object' };
  const keys = Object.keys(v);
  if (keys.length > MAX_VIEW_ENTRIES) {
    return { ok: false, error: `"view" has over ${MAX_VIEW_ENTRIES} entries` };
  }
  const out: PeerView = Object.create(null);
  for (const ip of keys) {
    const e = v[ip];
    if (
      !isRecord(e) || (e.verdict !== "up" && e.verdict !== "down") ||
      !isCount(e.since) || !isCount(e.consecutive) || ip.length > 64
    ) {
      return { ok: false, error: `bad "view" entry ${JSON.stringify(ip)}` };
    }
    out[ip] = {
      verdict: e.verdict,
      since: e.since,
      consecutive: e.consecutive,
    };
  }
  return { ok: true, value: out };
}
