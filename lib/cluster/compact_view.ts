/**
 * The compact view: a heartbeat's view as columns instead of one object per
 * IP, so 10,000 changing targets fit the peers' 64 KiB body limit.
 *
 * `cols = { ip: [ip…], v: "uud…", s: [tens…], c: [count…] }`: per IP its
 * verdict (`u`/`d`), how many whole 10-second steps before `sentAt` the
 * verdict began, and how many observations in a row agree with it, up to
 * {@linkcode MAX_COMPACT_COUNT}. A receiver never decides on `since` or
 * `consecutive` (only the verdict votes), so this precision is enough, and
 * it is what keeps 10,000 changing targets near 53 KB.
 *
 * Older agents refuse any plaintext key they do not know, so the compact
 * form is sent only to peers that said they read it: every heartbeat POST
 * carries {@linkcode VIEW_FORMATS_HEADER}, and a peer whose last accepted
 * heartbeat came with {@linkcode COMPACT_VIEW} in it gets compact frames.
 * @module
 */

import type { PeerView, PeerViewEntry } from "./types.ts";

/** Request header listing the view formats the sender reads. */
export const VIEW_FORMATS_HEADER = "x-goavail-view-formats";

/** Name of the compact view format in {@linkcode VIEW_FORMATS_HEADER}. */
export const COMPACT_VIEW = "cols1";

/** Resolution of `since` in the compact view, ms. */
export const COMPACT_SINCE_STEP_MS = 10_000;

/** Largest `consecutive` sent in the compact view ("this many or more"). */
export const MAX_COMPACT_COUNT = 255;

/** The compact view as it goes on the wire. */
export interface CompactView {
  ip: string[];
  v: string;
  s: number[];
  c: number[];
}

/**
 * @param view the full view
 * @param sentAt the heartbeat's `sentAt` (wall ms)
 * @returns the same view as columns
 */
export function compactView(view: PeerView, sentAt: number): CompactView {
  const ip: string[] = [];
  let v = "";
  const s: number[] = [];
  const c: number[] = [];
  for (const [addr, e] of Object.entries(view)) {
    ip.push(addr);
    v += e.verdict === "down" ? "d" : "u";
    s.push(
      Math.max(0, Math.floor((sentAt - e.since) / COMPACT_SINCE_STEP_MS)),
    );
    c.push(Math.min(e.consecutive, MAX_COMPACT_COUNT));
  }
  return { ip, v, s, c };
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates and expands a compact view.
 * @param raw the `cols` value of a decoded heartbeat
 * @param sentAt the heartbeat's `sentAt`
 * @param maxEntries most IPs accepted
 * @returns the full view, or what is wrong with it
 */
export function expandView(
  raw: unknown,
  sentAt: number,
  maxEntries: number,
): { ok: true; value: PeerView } | { ok: false; error: string } {
  const bad = (why: string) => ({ ok: false as const, error: `"cols" ${why}` });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return bad("must be an object");
  }
  const { ip, v, s, c, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return bad("has unknown keys");
  if (
    !Array.isArray(ip) || typeof v !== "string" || !Array.isArray(s) ||
    !Array.isArray(c)
  ) return bad("must hold ip, v, s and c");
  const n = ip.length;
  if (n > maxEntries) return bad(`has over ${maxEntries} entries`);
  if (v.length !== n || s.length !== n || c.length !== n) {
    return bad("columns differ in length");
  }
  const out: PeerView = Object.create(null);
  for (let i = 0; i < n; i++) {
    const addr = ip[i], verdict = v[i], ago = s[i], count = c[i];
    if (
      typeof addr !== "string" || addr.length === 0 || addr.length > 64 ||
      (verdict !== "u" && verdict !== "d") || !isCount(ago) ||
      !isCount(count) || addr in out
    ) return bad(`entry ${i} is invalid`);
    const entry: PeerViewEntry = {
      verdict: verdict === "d" ? "down" : "up",
      since: Math.max(0, sentAt - ago * COMPACT_SINCE_STEP_MS),
      consecutive: count,
    };
    out[addr] = entry;
  }
  return { ok: true, value: out };
}

/**
 * @param header the {@linkcode VIEW_FORMATS_HEADER} value, if any
 * @returns whether the sender reads the compact view
 */
export function readsCompact(header: string | null | undefined): boolean {
  return (header ?? "").split(",").some((f) => f.trim() === COMPACT_VIEW);
}
