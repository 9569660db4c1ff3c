/**
 * How one pass's changes are cut into Cloudflare batch calls (pure).
 *
 * The batch endpoint runs a request's deletes first, then patches, puts and
 * posts, and each change reaches the edge on its own: "The operations you
 * specify within the /batch request body are always executed in the
 * following order: Deletes, Patches, Puts, Posts" and "the propagation of
 * changes is not atomic"
 * (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/).
 * A delete and a create on one name (and type) in one request would
 * therefore pass the name through its smaller state at the edge, empty when
 * the delete takes its last record. So:
 *
 * 1. Creates, and deletes of names that get no create, go first.
 * 2. Deletes of a name that also gets a create go in a later batch, and only
 *    once every create of that name was confirmed ({@linkcode holdDeletes});
 *    otherwise they are not sent this pass and the next pass starts again
 *    from a fresh listing.
 * 3. Each step is cut at {@linkcode BATCH_LIMIT} operations.
 *
 * Below the limit and with no name both gaining and losing a record, a pass
 * is still one request.
 * @module
 */

import {
  type Change,
  type ChangeOutcome,
  DnsProviderError,
} from "./provider.ts";

/**
 * Operations per batch request on the Free plan (Pro, Business and
 * Enterprise allow 3,500): "Free: 200 / Pro: 3,500 / Business: 3,500 /
 * Enterprise: 3,500"
 * (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/#availability-and-limits).
 * The zone's plan is not known here, so the smallest limit applies.
 */
export const BATCH_LIMIT = 200;

/** Name and type of a change's record: the unit that must never go empty. */
export function nameTypeKey(change: Change): string {
  return `${change.record.name}|${change.record.type}`;
}

/**
 * Orders and cuts changes into batches.
 * @param changes one pass's changes, any order
 * @param limit operations per batch (≥ 1)
 * @returns the batches, to send in order; each change appears exactly once
 * @throws {RangeError} when `limit` is not an integer ≥ 1
 */
export function planBatches(
  changes: readonly Change[],
  limit: number = BATCH_LIMIT,
): Change[][] {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Batch limit must be an integer ≥ 1, got ${limit}`);
  }
  const created = new Set(
    changes.filter((c) => c.kind === "create").map(nameTypeKey),
  );
  const first: Change[] = [];
  const later: Change[] = [];
  for (const c of changes) {
    if (c.kind === "create") first.push(c);
  }
  for (const c of changes) {
    if (c.kind !== "delete") continue;
    (created.has(nameTypeKey(c)) ? later : first).push(c);
  }
  return [...chunk(first, limit), ...chunk(later, limit)];
}

function chunk(changes: Change[], limit: number): Change[][] {
  const out: Change[][] = [];
  for (let i = 0; i < changes.length; i += limit) {
    out.push(changes.slice(i, i + limit));
  }
  return out;
}

/** Result of {@linkcode holdDeletes}. */
export interface HeldDeletes {
  /** Changes that may go out now. */
  send: Change[];
  /** Deletes kept back, each as a "failed" outcome that says why. */
  held: ChangeOutcome[];
}

/**
 * Keeps back every delete of a name whose create in this pass was not
 * confirmed ("done" or "already"). A create that failed, or that was not
 * sent at all, holds the deletes of its name and type — unless the plan
 * marked the delete `needsCreates: false` (the listed records that stay
 * keep the name within min_records), so a restore that keeps failing does
 * not keep a dead record published.
 * @param batch the batch about to be sent
 * @param pass every change of the pass (to find the creates of each name)
 * @param outcomes outcomes known so far, by change
 * @returns what to send and what to report as not applied
 */
export function holdDeletes(
  batch: readonly Change[],
  pass: readonly Change[],
  outcomes: ReadonlyMap<Change, ChangeOutcome>,
): HeldDeletes {
  const unconfirmed = new Map<string, ChangeOutcome | undefined>();
  for (const c of pass) {
    if (c.kind !== "create") continue;
    const o = outcomes.get(c);
    if (o?.result === "done" || o?.result === "already") continue;
    const key = nameTypeKey(c);
    if (!unconfirmed.has(key) || o) unconfirmed.set(key, o);
  }
  const send: Change[] = [];
  const held: ChangeOutcome[] = [];
  for (const c of batch) {
    const key = nameTypeKey(c);
    if (
      c.kind !== "delete" || c.needsCreates === false || !unconfirmed.has(key)
    ) {
      send.push(c);
      continue;
    }
    held.push({
      change: c,
      result: "failed",
      error: heldError(c, unconfirmed.get(key)),
    });
  }
  return { send, held };
}

function heldError(
  change: Change,
  blocker: ChangeOutcome | undefined,
): DnsProviderError {
  const { type, name, content } = change.record;
  const cause = blocker?.result === "failed" ? blocker.error : undefined;
  const why = cause
    ? `the restore of ${
      blocker!.change.record.content
    } on that name failed (${cause.message})`
    : "a restore on that name was not confirmed";
  return new DnsProviderError(
    cause?.kind ?? "conflict",
    `Not removing ${type} ${name} ${content}: ${why}; the next pass retries from a fresh listing`,
    {
      ...(cause?.status !== undefined ? { status: cause.status } : {}),
      codes: cause?.codes ?? [],
      ...(cause?.retryAfterMs !== undefined
        ? { retryAfterMs: cause.retryAfterMs }
        : {}),
      cause,
    },
  );
}
