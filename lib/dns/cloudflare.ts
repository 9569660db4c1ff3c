/**
 * The Cloudflare provider, through the official SDK (`cloudflare` v7) — the
 * only importer of it, loaded lazily so other commands start fast.
 *
 * The SDK never retries (`maxRetries: 0`) and times out after 5 s: the
 * reconciler owns retries. A pass's changes go out in the batches of
 * {@linkcode planBatches} (creates first; deletes of a name that also gets
 * a create only once those creates are confirmed; at most 200 per call). A
 * batch rejected for a record-level reason falls back to one call per
 * change, in the same order, where "already gone" and "already exists"
 * count as done, and a create refused for its comment or tags is retried
 * once without them.
 * Error messages carry only HTTP status and Cloudflare codes/messages.
 * @module
 */

import type { CloudflareConfig } from "../config/types.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import {
  type ApiCallKind,
  type ApplyOptions,
  type ApplyResult,
  type Change,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
  type RecordType,
  recordTypeOf,
} from "./provider.ts";
import type Cloudflare from "cloudflare";
import { toDnsRecord, toProviderError } from "./cloudflare_map.ts";
import { CloudflareWrites, fail } from "./cloudflare_writes.ts";
import { nonEmpty, resolveCredentials } from "./cloudflare_credentials.ts";
import { ZoneLookup } from "./cloudflare_zone.ts";
import { parseRateLimit, type RateLimitState } from "./ratelimit_headers.ts";

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
  /**
   * Page size for record listing. @default 100 per name, 5,000 for the
   * zone-wide listing
   */
  perPage?: number;
  /** Reads `api_token_file`. @default Deno.readTextFile */
  readTextFile?: (path: string) => Promise<string>;
}

/** Bound on pages read per listing (100 × 100 records per name). */
const MAX_PAGES = 100;
/**
 * Page size of the zone-wide listing. The API takes up to 5,000,000
 * (Cloudflare's OpenAPI, `dns-records_per_page`: "default 100, minimum 1,
 * maximum 5e+06"); 5,000 keeps one reply small and most zones in one page.
 */
const ZONE_PAGE = 5000;
/** Names listed at the same time. */
const LIST_CONCURRENCY = 4;
/**
 * The API behaviour goavail is written and tested against, sent as the
 * `api-version` header. Without it the SDK sends the day's date
 * (cloudflare-typescript `src/client.ts`: `apiVersion: apiVersion ||
 * new Date().toISOString().slice(0, 10)`), so behaviour could change under
 * a running agent or with an SDK upgrade. This is the release date of the
 * pinned SDK (cloudflare 7.3.0); move it only together with a test run.
 */
export const CLOUDFLARE_API_VERSION = "2026-10-03";

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
  // Every HTTP request the SDK sends passes here, so each one is counted.
  let provider: CloudflareProvider | null = null;
  const counted: typeof fetch = (input, init) => {
    const method = (init?.method ??
      (input instanceof Request ? input.method : "GET")).toUpperCase();
    provider?.onRequest?.(method === "GET" ? "read" : "write");
    return fetch(input, init).then((res) => {
      const limit = parseRateLimit(
        res.headers.get("ratelimit"),
        res.headers.get("ratelimit-policy"),
      );
      if (limit) provider?.onRateLimit?.(limit);
      return res;
    });
  };
  const client = new Cloudflare({
    fetch: counted,
    apiToken: creds.apiToken ?? null,
    apiKey: creds.apiKey ?? null,
    apiEmail: creds.apiEmail ?? null,
    userServiceKey: null,
    ...(baseURL ? { baseURL } : {}),
    apiVersion: CLOUDFLARE_API_VERSION,
    timeout: options.timeoutMs ?? 5000,
    maxRetries: 0,
    logLevel: "off",
  });
  provider = new CloudflareProvider(client, config, options);
  return provider;
}

/** {@linkcode DnsProvider} backed by the Cloudflare API. */
class CloudflareProvider implements DnsProvider {
  /** @inheritdoc */
  onRequest?: (kind: ApiCallKind) => void;
  /** @inheritdoc */
  onRateLimit?: (state: RateLimitState) => void;
  #client: CfClient;
  #zones: ZoneLookup;
  #perPage: number;
  #zonePerPage: number;
  /** Record types of the configured IPs. */
  #types: RecordType[];
  #log: Logger;
  #writes: CloudflareWrites;

  constructor(
    client: CfClient,
    config: CloudflareConfig,
    options: CloudflareProviderOptions,
  ) {
    this.#client = client;
    this.#log = (options.logger ?? silentLogger).child("dns");
    this.#writes = new CloudflareWrites(
      client.dns.records,
      this.#log,
    );
    this.#zones = new ZoneLookup(
      {
        list: (name) => zonePages(client, name),
        get: (zoneId) => client.zones.get({ zone_id: zoneId }),
      },
      config.dnsDomain.toLowerCase().replace(/\.$/, ""),
      config.zoneId,
      this.#log,
    );
    this.#perPage = options.perPage ?? 100;
    this.#zonePerPage = options.perPage ?? ZONE_PAGE;
    const types = new Set(config.ipAddresses.map((ip) => recordTypeOf(ip)));
    this.#types = (["A", "AAAA"] as const).filter((t) => types.has(t));
  }

  #zone(): Promise<string> {
    return this.#zones.id();
  }

  /**
   * Reads the records of `names` in as few calls as the API allows: one
   * listing per record type the config uses (A, AAAA) for the whole zone,
   * filtered here, when that is fewer calls than one per name (the API
   * budget is 1,200 calls per 5 minutes per user, shared by everything on
   * the account); else one listing per name.
   */
  async list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const zoneId = await this.#zone();
    if (this.#types.length < names.length) {
      return await this.#listZone(zoneId, names);
    }
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

  async #listZone(
    zoneId: string,
    names: readonly string[],
  ): Promise<Map<string, DnsRecord[]>> {
    const out = new Map<string, DnsRecord[]>(names.map((n) => [n, []]));
    const perPage = this.#zonePerPage;
    for (const type of this.#types) {
      try {
        let page = await this.#client.dns.records.list({
          zone_id: zoneId,
          type,
          per_page: perPage,
        });
        for (let n = 1;; n++) {
          for (const r of page.result) {
            const rec = toDnsRecord(r);
            if (rec) out.get(rec.name)?.push(rec);
          }
          if (page.result.length < perPage || !page.hasNextPage()) break;
          if (n >= MAX_PAGES) {
            // A partial listing could hide a record: refuse to act on it.
            throw new DnsProviderError(
              "server",
              `Cloudflare zone listing of ${type} records has over ${
                MAX_PAGES * perPage
              } records; not acting on a partial listing`,
            );
          }
          page = await page.getNextPage();
        }
      } catch (e) {
        throw toProviderError(e, `list ${type} records`);
      }
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

  async apply(
    changes: readonly Change[],
    options: ApplyOptions = {},
  ): Promise<ApplyResult> {
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
    return await this.#writes.apply(zoneId, changes, options.mayContinue);
  }
}

/**
 * `GET /zones?name=…`, page by page, stopping at `result_info.total_pages`:
 * the SDK's own iterator asks for one page more until one comes back empty
 * (cloudflare 7.3.0 `core/pagination.js`, `hasNextPage()`: false only for
 * an empty page), a call per start spent for nothing.
 */
async function* zonePages(
  client: CfClient,
  name: string,
): AsyncIterable<unknown> {
  let page = await client.zones.list({ name });
  for (let n = 1;; n++) {
    yield* page.result;
    const info = page.result_info as { total_pages?: unknown } | undefined;
    const total = info?.total_pages;
    if (typeof total === "number" && n >= total) return;
    if (!page.hasNextPage()) return;
    page = await page.getNextPage();
  }
}
