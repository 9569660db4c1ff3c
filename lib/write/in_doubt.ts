/**
 * Deletes whose outcome is unknown (rule D of SAFETY.md). A call that timed
 * out or lost its reply may still commit; the agent assumes it does so
 * within `DNS_CALL_BOUND_MS` of the failure coming back (measured from then,
 * not from the send: one apply may send several requests in a row, and a
 * timeout comes back only after the timeout). Until a listing asked for
 * after that shows what it did, no
 * other record of its name and type is deleted (sending the same delete
 * again is harmless, and creates go out as planned). Otherwise the agent could delete a
 * name's other record from a listing that still shows the first: both land
 * and the name is empty (simulator seed 27883). Creates of unknown outcome
 * need no rule: the guards never count a record the listing does not show.
 * @module
 */
import type { RecordType } from "../dns/provider.ts";

/**
 * Longest time a DNS call may still be under way (the providers'
 * per-request timeout, lib/dns/cloudflare.ts): a call of the previous
 * writer (rule H), or, after its failure came back, one of this agent's own
 * that got no answer (rule D).
 */
export const DNS_CALL_BOUND_MS = 5000;

/** One delete sent in a call whose outcome is unknown. */
export interface DoubtfulWrite {
  /** Fully qualified name. */
  name: string;
  type: RecordType;
  /** The record's IP, canonical. */
  content: string;
  /**
   * When the failure came back, monotonic ms (the clock the listing time
   * uses); every request of the call was sent before.
   */
  seenAtMs: number;
}

/**
 * @param name fully qualified name
 * @param type record type
 * @param content the record's IP, canonical
 * @returns the key a set of doubtful deletes holds
 */
export function doubtKey(
  name: string,
  type: RecordType,
  content: string,
): string {
  return `${name}|${type}|${content}`;
}

/**
 * @param writes deletes whose outcome is unknown
 * @param listStartMs when the listing about to be planned from was asked for
 * @param boundMs how long after sending a call may still commit
 * @returns the keys ({@linkcode doubtKey}) of the deletes the listing may
 * not show yet: failed at most `boundMs` before it was asked for
 */
export function doubtfulKeys(
  writes: readonly DoubtfulWrite[],
  listStartMs: number,
  boundMs: number,
): Set<string> {
  const out = new Set<string>();
  for (const w of writes) {
    if (listStartMs - w.seenAtMs <= boundMs) {
      out.add(doubtKey(w.name, w.type, w.content));
    }
  }
  return out;
}
