/**
 * The write path of the Cloudflare provider: one pass's changes, cut into
 * the batches of {@linkcode planBatches}, sent in order; a batch rejected
 * for a record-level reason falls back to one call per change, in the same
 * order. Talks to the SDK's DNS records resource through the small
 * {@linkcode RecordsApi} shape, so it needs no import of the SDK.
 * @module
 */

import type { Logger } from "../observe/log.ts";
import {
  type ApplyResult,
  type Change,
  type ChangeOutcome,
  DnsProviderError,
  notContinued,
} from "./provider.ts";
import { toDnsRecord, toProviderError } from "./cloudflare_map.ts";
import { holdDeletes, planBatches } from "./batches.ts";
import {
  type CreateBody,
  explainCreateError,
  extrasOf,
  refusedForExtras,
  toCreateBody,
} from "./cloudflare_body.ts";
import { matchPosts } from "./cloudflare_match.ts";

/** The calls of the SDK's `client.dns.records` that writes use. */
export interface RecordsApi {
  batch(params: {
    zone_id: string;
    deletes: { id: string }[];
    posts: CreateBody[];
  }): Promise<{ posts?: unknown[] }>;
  create(params: { zone_id: string } & CreateBody): Promise<unknown>;
  delete(id: string, params: { zone_id: string }): Promise<unknown>;
}

/** Codes meaning "the record is already gone" / "already exists". */
const GONE_CODES = [81044];
const EXISTS_CODES = [81057, 81058];

/** Applies changes to one zone; see the module doc. */
export class CloudflareWrites {
  #records: RecordsApi;
  #log: Logger;

  /**
   * @param records the SDK's `client.dns.records`
   * @param log the provider's logger
   */
  constructor(records: RecordsApi, log: Logger) {
    this.#records = records;
    this.#log = log;
  }

  /**
   * @param zoneId the zone
   * @param changes one pass's changes
   * @param mayContinue asked before every request after the first; false
   *   leaves the rest unsent (a lost writer role, a listing grown old)
   * @returns one outcome per change, in order, and the requests sent
   */
  async apply(
    zoneId: string,
    changes: readonly Change[],
    mayContinue?: () => boolean,
  ): Promise<ApplyResult> {
    const done = new Map<Change, ChangeOutcome>();
    let requests = 0;
    let stop: DnsProviderError | undefined;
    const gate = new RequestGate(mayContinue);
    for (const batch of planBatches(changes)) {
      const { send, held } = holdDeletes(batch, changes, done);
      for (const o of held) done.set(o.change, o);
      if (stop) {
        for (const c of send) done.set(c, fail(c, stop));
        continue;
      }
      if (send.length === 0) continue;
      const result = await this.#applyBatch(zoneId, send, gate);
      requests += result.requests;
      for (const o of result.outcomes) {
        done.set(o.change, o);
        if (o.result === "failed" && isGlobal(o.error)) stop ??= o.error;
      }
    }
    return { outcomes: changes.map((c) => done.get(c)!), requests };
  }

  /** One batch request; a record-level refusal falls back to one call each. */
  async #applyBatch(
    zoneId: string,
    changes: readonly Change[],
    gate: RequestGate,
  ): Promise<ApplyResult> {
    if (changes.length === 1) {
      return await this.#applyEach(zoneId, changes, gate);
    }
    if (!gate.open()) {
      const error = notContinued();
      return { outcomes: changes.map((c) => fail(c, error)), requests: 0 };
    }
    const deletes = changes.filter((c) => c.kind === "delete");
    const creates = changes.filter((c) => c.kind === "create");
    try {
      const res = await this.#records.batch({
        zone_id: zoneId,
        deletes: deletes.map((c) => ({ id: c.record.id ?? "" })),
        posts: creates.map((c) => toCreateBody(c.record)),
      });
      const posted = matchPosts(creates, res.posts ?? []);
      const outcomes = changes.map((change): ChangeOutcome => {
        const record = posted.get(change);
        return { change, result: "done", ...(record ? { record } : {}) };
      });
      return { outcomes, requests: 1 };
    } catch (e) {
      const error = toProviderError(e, "batch");
      if (error.kind !== "bad_request" && error.kind !== "conflict") {
        return { outcomes: changes.map((c) => fail(c, error)), requests: 1 };
      }
      this.#log.debug("Batch rejected; applying changes one by one", {
        status: error.status,
        codes: error.codes.join(","),
      });
      const each = await this.#applyEach(zoneId, changes, gate);
      return { outcomes: each.outcomes, requests: each.requests + 1 };
    }
  }

  /**
   * One call per change: creates first, then deletes, and no delete of a
   * name whose create in this call was not confirmed.
   */
  async #applyEach(
    zoneId: string,
    changes: readonly Change[],
    gate: RequestGate,
  ): Promise<ApplyResult> {
    const done = new Map<Change, ChangeOutcome>();
    let requests = 0;
    let stop: DnsProviderError | undefined;
    const creates = changes.filter((c) => c.kind === "create");
    const deletes = changes.filter((c) => c.kind === "delete");
    const run = async (list: readonly Change[]) => {
      for (const change of list) {
        if (!stop && !gate.open()) stop = notContinued();
        if (stop) {
          done.set(change, fail(change, stop));
          continue;
        }
        requests++;
        const outcome = await this.#applyOne(zoneId, change, gate);
        done.set(change, outcome);
        if (outcome.result === "failed" && isGlobal(outcome.error)) {
          stop = outcome.error;
        }
      }
    };
    await run(creates);
    const { send, held } = holdDeletes(deletes, changes, done);
    for (const o of held) done.set(o.change, o);
    await run(send);
    return { outcomes: changes.map((c) => done.get(c)!), requests };
  }

  async #applyOne(
    zoneId: string,
    change: Change,
    gate: RequestGate,
  ): Promise<ChangeOutcome> {
    if (change.kind === "delete") return await this.#deleteOne(zoneId, change);
    const record = change.record;
    const first = await this.#createOne(zoneId, change, true);
    if (first.result !== "failed" || !refusedForExtras(first.error)) {
      return first;
    }
    const dropped = extrasOf(record);
    if (dropped.length === 0) return first;
    this.#log.warn(
      "Cloudflare refused the record's comment or tags; restoring it without them",
      {
        name: record.name,
        type: record.type,
        content: record.content,
        dropped: dropped.join(","),
        error: first.error.message,
      },
    );
    // A second request: still the writer, listing still fresh?
    if (!gate.open()) return fail(change, notContinued());
    return await this.#createOne(zoneId, change, false);
  }

  async #deleteOne(zoneId: string, change: Change): Promise<ChangeOutcome> {
    try {
      await this.#records.delete(change.record.id ?? "", {
        zone_id: zoneId,
      });
      return { change, result: "done" };
    } catch (e) {
      const error = toProviderError(e, "delete");
      if (
        error.codes.some((c) => GONE_CODES.includes(c)) || error.status === 404
      ) {
        return { change, result: "already" };
      }
      return fail(change, error);
    }
  }

  async #createOne(
    zoneId: string,
    change: Change,
    extras: boolean,
  ): Promise<ChangeOutcome> {
    try {
      const created = await this.#records.create({
        zone_id: zoneId,
        ...toCreateBody(change.record, extras),
      });
      const record = toDnsRecord(created);
      return { change, result: "done", ...(record ? { record } : {}) };
    } catch (e) {
      const error = toProviderError(e, "create");
      if (error.codes.some((c) => EXISTS_CODES.includes(c))) {
        return { change, result: "already" };
      }
      return fail(change, explainCreateError(error, change.record));
    }
  }
}

function isGlobal(error: DnsProviderError): boolean {
  return error.kind === "auth" || error.kind === "config" ||
    error.kind === "rate_limited" || error.kind === "server";
}

/** @returns a failed outcome of `change`. */
export function fail(change: Change, error: DnsProviderError): ChangeOutcome {
  return { change, result: "failed", error };
}

/**
 * Lets the first request of an apply through (the caller asked just before)
 * and asks `mayContinue()` before each later one.
 */
class RequestGate {
  #first = true;
  /** Once closed, closed for the rest of the apply (a role regained
   * between two requests has not waited out its handover). */
  #closed = false;
  #mayContinue: (() => boolean) | undefined;

  constructor(mayContinue: (() => boolean) | undefined) {
    this.#mayContinue = mayContinue;
  }

  /** @returns whether the next request may be sent */
  open(): boolean {
    if (this.#first) {
      this.#first = false;
      return true;
    }
    if (this.#closed) return false;
    if (this.#mayContinue?.() ?? true) return true;
    this.#closed = true;
    return false;
  }
}
