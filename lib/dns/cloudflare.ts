/**
 * The Cloudflare provider, through the official SDK (`cloudflare` v7) — the
 * only importer of it, loaded lazily so other commands start fast.
 *
 * The SDK never retries (`maxRetries: 0`) and times out after 5 s: the
 * reconciler owns retries. Several changes for the zone go in one batch
 * call; a batch rejected for a record-level reason falls back to one call
 * per change, where "already gone" and "already exists" count as done.
 * Error messages carry only HTTP status and Cloudflare codes/messages.
 * @module
 */

import type { CloudflareConfig } from "../config/types.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import {
  type ApplyResult,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
} from "./provider.ts";
import type Cloudflare from "cloudflare";
import { toDnsRecord, toProviderError } from "./cloudflare_map.ts";
import { holdDeletes, planBatches } from "./batches.ts";
import {
  explainCreateError,
  extrasOf,
  refusedForExtras,
  toCreateBody,
} from "./cloudflare_body.ts";
import { matchPosts } from "./cloudflare_match.ts";
import { nonEmpty, resolveCredentials } from "./cloudflare_credentials.ts";

type CfClient = Cloudflare;

/** Options of {@linkcode createCloudflareProvider}. */
export interface CloudflareProviderOptions {
  /** Environment to read credentials and base URL from. @default Deno.env */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Receives each credential so the caller can mask it in logs. */
  secrets?: Set<string>;
  /** Per-request timeout. @default 5000 */
  timeoutMs?: number;
  /** Page size for record listing. @default 100 */
  perPage?: number;
  /** Reads `api_token_file`. @default Deno.readTextFile */
  readTextFile?: (path: string) => Promise<string>;
}

/** Codes meaning "the record is already gone" / "already exists". */
const GONE_CODES = [81044];
const EXISTS_CODES = [81057, 81058];
/** Bound on pages read per name (100 × 100 records). */
const MAX_PAGES = 100;
/** Names listed at the same time. */
const LIST_CONCURRENCY = 4;

/**
 * Builds the Cloudflare provider. Credentials, in order:
 * `CLOUDFLARE_API_TOKEN`, `api_token_file`, `CF_API_KEY` + `CF_API_EMAIL`.
 * Base URL: `CLOUDFLARE_BASE_URL`, else `api_url`, else the SDK default.
 * @param config the `[cloudflare]` section
 * @param options environment, logger, secret sink, timeout
 * @returns the provider (the zone id is looked up on first use)
 * @throws {DnsProviderError} kind "auth" when no credentials are configured
 */
export async function createCloudflareProvider(
  config: CloudflareConfig,
  options: CloudflareProviderOptions = {},
): Promise<DnsProvider> {
  const env = options.env ?? Deno.env.toObject();
  const creds = await resolveCredentials(config, env, options.readTextFile);
  for (const s of Object.values(creds)) if (s) options.secrets?.add(s);
  const { default: Cloudflare } = await import("cloudflare");
  const baseURL = nonEmpty(env.CLOUDFLARE_BASE_URL) ?? config.apiUrl ??
    undefined;
  const client = new Cloudflare({
    apiToken: creds.apiToken ?? null,
    apiKey: creds.apiKey ?? null,
    apiEmail: creds.apiEmail ?? null,
    userServiceKey: null,
    ...(baseURL ? { baseURL } : {}),
    timeout: options.timeoutMs ?? 5000,
    maxRetries: 0,
    logLevel: "off",
  });
  return new CloudflareProvider(client, config, options);
}

/** {@linkcode DnsProvider} backed by the Cloudflare API. */
class CloudflareProvider implements DnsProvider {
  #client: CfClient;
  #zoneName: string;
  #zoneId: string | null;
  #perPage: number;
  #log: Logger;

  constructor(
    client: CfClient,
    config: CloudflareConfig,
    options: CloudflareProviderOptions,
  ) {
    this.#client = client;
    this.#zoneName = config.dnsDomain.toLowerCase().replace(/\.$/, "");
    this.#zoneId = config.zoneId;
    this.#perPage = options.perPage ?? 100;
    this.#log = (options.logger ?? silentLogger).child("dns");
  }

  async #zone(): Promise<string> {
    if (this.#zoneId) return this.#zoneId;
    try {
      for await (const z of this.#client.zones.list({ name: this.#zoneName })) {
        if (z.name.toLowerCase() === this.#zoneName) {
          this.#zoneId = z.id;
          this.#log.debug("Found Cloudflare zone", {
            zone: z.name,
            zone_id: z.id,
          });
          return z.id;
        }
      }
    } catch (e) {
      throw toProviderError(e, "list zones");
    }
    throw new DnsProviderError(
      "bad_request",
      `Cloudflare zone "${this.#zoneName}" not found: check "dns_domain" and the token's zone access`,
    );
  }

  async list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const zoneId = await this.#zone();
    const out = new Map<string, DnsRecord[]>();
    // A few names at a time: reads count against the API rate limit too.
    for (let i = 0; i < names.length; i += LIST_CONCURRENCY) {
      const batch = names.slice(i, i + LIST_CONCURRENCY);
      const lists = await Promise.all(
        batch.map((name) => this.#listName(zoneId, name)),
      );
      batch.forEach((name, j) => out.set(name, lists[j] ?? []));
    }
    return out;
  }

  async #listName(zoneId: string, name: string): Promise<DnsRecord[]> {
    const out: DnsRecord[] = [];
    try {
      let page = await this.#client.dns.records.list({
        zone_id: zoneId,
        name: { exact: name },
        per_page: this.#perPage,
      });
      for (let n = 1; n <= MAX_PAGES; n++) {
        for (const r of page.result) {
          const rec = toDnsRecord(r);
          if (rec && rec.name === name) out.push(rec);
        }
        // A short page is the last one: skip the SDK's extra empty fetch.
        if (page.result.length < this.#perPage || !page.hasNextPage()) break;
        page = await page.getNextPage();
      }
    } catch (e) {
      throw toProviderError(e, `list records of "${name}"`);
    }
    return out;
  }

  async apply(changes: readonly Change[]): Promise<ApplyResult> {
    if (changes.length === 0) return { outcomes: [], requests: 0 };
    let zoneId: string;
    try {
      zoneId = await this.#zone();
    } catch (e) {
      const error = e as DnsProviderError;
      return {
        outcomes: changes.map((change) => fail(change, error)),
        requests: 0,
      };
    }
    const done = new Map<Change, ChangeOutcome>();
    let requests = 0;
    let stop: DnsProviderError | undefined;
    for (const batch of planBatches(changes)) {
      const { send, held } = holdDeletes(batch, changes, done);
      for (const o of held) done.set(o.change, o);
      if (stop) {
        for (const c of send) done.set(c, fail(c, stop));
        continue;
      }
      if (send.length === 0) continue;
      const result = await this.#applyBatch(zoneId, send);
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
  ): Promise<ApplyResult> {
    if (changes.length === 1) return await this.#applyEach(zoneId, changes);
    const deletes = changes.filter((c) => c.kind === "delete");
    const creates = changes.filter((c) => c.kind === "create");
    try {
      const res = await this.#client.dns.records.batch({
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
      const each = await this.#applyEach(zoneId, changes);
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
  ): Promise<ApplyResult> {
    const done = new Map<Change, ChangeOutcome>();
    let requests = 0;
    let stop: DnsProviderError | undefined;
    const creates = changes.filter((c) => c.kind === "create");
    const deletes = changes.filter((c) => c.kind === "delete");
    const run = async (list: readonly Change[]) => {
      for (const change of list) {
        if (stop) {
          done.set(change, fail(change, stop));
          continue;
        }
        requests++;
        const outcome = await this.#applyOne(zoneId, change);
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

  async #applyOne(zoneId: string, change: Change): Promise<ChangeOutcome> {
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
    return await this.#createOne(zoneId, change, false);
  }

  async #deleteOne(zoneId: string, change: Change): Promise<ChangeOutcome> {
    try {
      await this.#client.dns.records.delete(change.record.id ?? "", {
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
      const created = await this.#client.dns.records.create({
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
  return error.kind === "auth" || error.kind === "rate_limited" ||
    error.kind === "server";
}

function fail(change: Change, error: DnsProviderError): ChangeOutcome {
  return { change, result: "failed", error };
}
