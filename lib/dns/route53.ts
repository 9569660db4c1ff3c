/**
 * The Route 53 provider, through the official AWS SDK v3
 * (`@aws-sdk/client-route-53`) — the only importer of it, loaded lazily so
 * other commands and providers start without it.
 *
 * Credentials come from the SDK's standard chain (environment, shared
 * config and credentials files, container and instance roles); the
 * endpoint from the SDK's own `AWS_ENDPOINT_URL_ROUTE_53` /
 * `AWS_ENDPOINT_URL` (read by `getEndpointUrlConfig` in
 * `@smithy/core/.../middleware-endpoint/adaptors/getEndpointUrlConfig.js`,
 * which joins `AWS_ENDPOINT_URL` with the service id "Route 53" in upper
 * case). The SDK never retries (`maxAttempts: 1`) and times out after 5 s;
 * the reconciler owns retries, and throttling (`Throttling`,
 * `PriorRequestNotComplete`) asks it to back off, longer each time in a row.
 *
 * `apply()` turns one pass's per-record changes into one
 * `ChangeResourceRecordSets` call for the zone (atomic on Route 53's side),
 * computed from a fresh listing by `route53_sets.ts`; a set that would not
 * change is not sent. Each set change is a compare-and-swap (`DELETE` of
 * the set as listed, `CREATE` of the new one): when Route 53 refuses the
 * batch because a set changed since the listing, nothing was written; the
 * provider logs it at info, re-reads and re-plans, once per call, and a
 * second such refusal fails the changes as a `conflict` for the next pass.
 * The change id is logged; nothing waits for INSYNC.
 * @module
 */
import type { Route53Config } from "../config/types.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import {
  type ApiCallKind,
  type ApplyOptions,
  type ApplyResult,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
  notContinued,
} from "./provider.ts";
import type {
  Change as SdkChange,
  Route53Client,
  Route53ClientConfig,
} from "@aws-sdk/client-route-53";
import { isStaleListing, toRoute53Error } from "./route53_errors.ts";
import {
  isRoutingSet,
  normalName,
  planSet,
  type RawRecordSet,
  recordsOfSet,
  type SetChange,
  setKey,
  type SetPlan,
} from "./route53_sets.ts";
import { bareZoneId, findZone } from "./route53_zone.ts";

type Sdk = typeof import("@aws-sdk/client-route-53");

/** Options of {@linkcode createRoute53Provider}. */
export interface Route53ProviderOptions {
  logger?: Logger;
  /** Receives the secret access key and session token, so logs mask them. */
  secrets?: Set<string>;
  /** Per-request timeout. @default 5000 */
  timeoutMs?: number;
  /** Record sets per ListResourceRecordSets page. @default 100 */
  perPage?: number;
  /**
   * Client settings that replace the SDK's defaults (a lab's endpoint and
   * static credentials). @default none: the standard chains
   */
  client?: {
    endpoint?: string;
    credentials?: {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    };
    /**
     * The HTTP handler the SDK sends its signed requests through, in place
     * of its own (the simulator's in-memory Route 53, tests/sim/); the
     * per-request timeout of `timeoutMs` still applies.
     * @default the SDK's Node.js handler
     */
    requestHandler?: Route53ClientConfig["requestHandler"];
  };
}

/** Bound on pages read per name. */
const MAX_PAGES = 100;
/** More names than this are read with one walk over the zone. */
const ZONE_LIST_ABOVE = 3;
/** Sets per page of the zone walk: the most Route 53 returns. */
const ZONE_PAGE = 300;
/** Route 53 accepts at most 100 Change elements per request (API reference). */
const MAX_CHANGES = 100;
/** … and at most 1000 ResourceRecord elements. */
const MAX_RECORDS = 1000;
/**
 * "The sum of the number of characters (including spaces) in all Value
 * elements in a request cannot exceed 32,000" (API reference,
 * ChangeResourceRecordSets); a DELETE + CREATE sends most values twice.
 */
const MAX_VALUE_CHARS = 32_000;
/** First and longest back-off after throttling. */
const THROTTLE_BASE_MS = 1000;
const THROTTLE_MAX_MS = 30_000;

/**
 * Builds the Route 53 provider.
 * @param config the `[route53]` section
 * @param options logger, secret sink, timeout, client overrides
 * @returns the provider (the zone is looked up on first use)
 */
export async function createRoute53Provider(
  config: Route53Config,
  options: Route53ProviderOptions = {},
): Promise<DnsProvider> {
  const sdk: Sdk = await import("@aws-sdk/client-route-53");
  const timeout = options.timeoutMs ?? 5000;
  const client = new sdk.Route53Client({
    // Route 53 is global; the region only picks the partition's endpoint.
    region: config.region ?? Deno.env.get("AWS_REGION") ?? "us-east-1",
    maxAttempts: 1,
    requestHandler: { requestTimeout: timeout, connectionTimeout: timeout },
    ...options.client,
  });
  return new Route53Provider(sdk, client, config, options);
}

/** {@linkcode DnsProvider} backed by Route 53. */
class Route53Provider implements DnsProvider {
  /** @inheritdoc */
  onRequest?: (kind: ApiCallKind) => void;
  #sdk: Sdk;
  #client: Route53Client;
  #domain: string;
  #zoneIdConfigured: string | null;
  #zoneId: string | null = null;
  #perPage: number;
  #zonePage: number;
  #log: Logger;
  #secrets: Set<string> | undefined;
  #credentialsSeen = false;
  /** Throttled calls in a row, by operation (reads and writes apart). */
  #throttles = new Map<string, number>();
  /** Names whose routing-policy sets were already reported. */
  #refusedNames = new Set<string>();
  #timeoutMs: number;

  constructor(
    sdk: Sdk,
    client: Route53Client,
    config: Route53Config,
    options: Route53ProviderOptions,
  ) {
    this.#sdk = sdk;
    this.#client = client;
    this.#domain = config.awsDomain.toLowerCase().replace(/\.$/, "");
    this.#zoneIdConfigured = config.zoneId;
    this.#perPage = options.perPage ?? 100;
    this.#zonePage = options.perPage ?? ZONE_PAGE;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#log = (options.logger ?? silentLogger).child("dns");
    this.#secrets = options.secrets;
  }

  /**
   * Sends one SDK command, aborted after the timeout whatever the HTTP
   * handler does; classifies failures; tracks throttling per operation.
   */
  async #send<T>(
    op: string,
    call: (options: { abortSignal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    await this.#maskCredentials();
    this.onRequest?.(op.startsWith("Change") ? "write" : "read");
    const throttled = this.#throttles.get(op) ?? 0;
    try {
      const out = await call({
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      this.#throttles.delete(op);
      return out;
    } catch (e) {
      const backoff = Math.min(
        THROTTLE_MAX_MS,
        THROTTLE_BASE_MS * 2 ** throttled,
      );
      const error = toRoute53Error(e, op, backoff);
      if (error.kind === "rate_limited") this.#throttles.set(op, throttled + 1);
      throw error;
    }
  }

  /** Resolves the credential chain once and hands its secrets to the masker. */
  async #maskCredentials(): Promise<void> {
    if (this.#credentialsSeen) return;
    let creds;
    try {
      creds = await this.#client.config.credentials();
    } catch (e) {
      throw new DnsProviderError(
        "auth",
        "Route 53: no AWS credentials found (environment, shared config or credentials file, container or instance role)",
        {
          cause: e,
          hint:
            "give the AWS SDK credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, or an instance or container role",
        },
      );
    }
    for (const s of [creds.secretAccessKey, creds.sessionToken]) {
      if (s) this.#secrets?.add(s);
    }
    this.#credentialsSeen = true;
  }

  async #zone(): Promise<string> {
    if (this.#zoneId) return this.#zoneId;
    const sdk = this.#sdk;
    const id = await findZone(this.#domain, this.#zoneIdConfigured, {
      getZone: async (Id) => {
        try {
          return (await this.#send(
            "GetHostedZone",
            (o) => this.#client.send(new sdk.GetHostedZoneCommand({ Id }), o),
          )).HostedZone ?? {};
        } catch (e) {
          // NoSuchHostedZone: a setup no retry fixes, like a zone of
          // another name.
          if (e instanceof DnsProviderError && e.status === 404) {
            throw new DnsProviderError(
              "config",
              `Route 53 hosted zone "${Id}" ("route53.aws_zoneid") not found: check it and the credentials' account (${e.message})`,
              { status: 404, cause: e },
            );
          }
          throw e;
        }
      },
      listByName: async (DNSName, HostedZoneId) => {
        const out = await this.#send(
          "ListHostedZonesByName",
          (o) =>
            this.#client.send(
              new sdk.ListHostedZonesByNameCommand({
                DNSName,
                ...(HostedZoneId ? { HostedZoneId } : {}),
              }),
              o,
            ),
        );
        const next = out.IsTruncated && out.NextDNSName && out.NextHostedZoneId
          ? {
            dnsName: out.NextDNSName,
            zoneId: bareZoneId(out.NextHostedZoneId),
          }
          : undefined;
        return { zones: out.HostedZones ?? [], next };
      },
    });
    this.#zoneId = id;
    this.#log.debug("Found Route 53 hosted zone", {
      zone: this.#domain,
      zone_id: id,
    });
    return id;
  }

  /** @returns the A/AAAA sets of each name, fresh */
  async #listSets(
    zoneId: string,
    names: readonly string[],
  ): Promise<Map<string, RawRecordSet[]>> {
    if (names.length > ZONE_LIST_ABOVE) {
      return await this.#listZone(zoneId, names);
    }
    const out = new Map<string, RawRecordSet[]>();
    // One name at a time: Route 53 allows five requests a second.
    for (const name of names) out.set(name, await this.#listName(zoneId, name));
    return out;
  }

  /**
   * Every A/AAAA set of `names` from one walk over the zone, 300 sets a
   * page ("If you don't specify a value for MaxItems, or if you specify a
   * value greater than 300, Route 53 returns only the first 300 resource
   * record sets", API_ListResourceRecordSets): for more than a few names,
   * far fewer requests than one listing per name.
   */
  async #listZone(
    zoneId: string,
    names: readonly string[],
  ): Promise<Map<string, RawRecordSet[]>> {
    const sdk = this.#sdk;
    const out = new Map<string, RawRecordSet[]>(names.map((n) => [n, []]));
    let start: { name?: string; type?: string; id?: string } = {};
    for (let n = 1;; n++) {
      const out1 = await this.#send(
        "ListResourceRecordSets",
        (o) =>
          this.#client.send(
            new sdk.ListResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              ...(start.name ? { StartRecordName: start.name } : {}),
              ...(start.type ? { StartRecordType: start.type as "A" } : {}),
              ...(start.id ? { StartRecordIdentifier: start.id } : {}),
              MaxItems: this.#zonePage,
            }),
            o,
          ),
      );
      for (const set of (out1.ResourceRecordSets ?? []) as RawRecordSet[]) {
        if (set.Type !== "A" && set.Type !== "AAAA") continue;
        out.get(normalName(set.Name ?? ""))?.push(set);
      }
      if (!out1.IsTruncated || !out1.NextRecordName) break;
      if (n >= MAX_PAGES) {
        // A partial listing could hide a set: refuse to act on it.
        throw new DnsProviderError(
          "server",
          `Route 53 zone listing has over ${MAX_PAGES} pages; not acting on a partial listing`,
        );
      }
      start = {
        name: out1.NextRecordName,
        ...(out1.NextRecordType ? { type: out1.NextRecordType } : {}),
        ...(out1.NextRecordIdentifier ? { id: out1.NextRecordIdentifier } : {}),
      };
    }
    return out;
  }

  async #listName(zoneId: string, name: string): Promise<RawRecordSet[]> {
    const sdk = this.#sdk;
    const sets: RawRecordSet[] = [];
    let start: { name: string; type?: string; id?: string } = { name };
    for (let n = 1; n <= MAX_PAGES; n++) {
      const out = await this.#send(
        "ListResourceRecordSets",
        (o) =>
          this.#client.send(
            new sdk.ListResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              StartRecordName: start.name,
              ...(start.type ? { StartRecordType: start.type as "A" } : {}),
              ...(start.id ? { StartRecordIdentifier: start.id } : {}),
              MaxItems: this.#perPage,
            }),
            o,
          ),
      );
      let past = false;
      for (const set of (out.ResourceRecordSets ?? []) as RawRecordSet[]) {
        if (normalName(set.Name ?? "") !== name) past = true;
        else if (set.Type === "A" || set.Type === "AAAA") sets.push(set);
      }
      if (past || !out.IsTruncated || !out.NextRecordName) break;
      if (normalName(out.NextRecordName) !== name) break;
      start = {
        name: out.NextRecordName,
        ...(out.NextRecordType ? { type: out.NextRecordType } : {}),
        ...(out.NextRecordIdentifier ? { id: out.NextRecordIdentifier } : {}),
      };
    }
    return sets;
  }

  async list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const zoneId = await this.#zone();
    const sets = await this.#listSets(zoneId, names);
    const out = new Map<string, DnsRecord[]>();
    for (const name of names) {
      const records: DnsRecord[] = [];
      for (const set of sets.get(name) ?? []) {
        if (!isRoutingSet(set)) records.push(...recordsOfSet(set, zoneId));
        else if (!this.#refusedNames.has(name)) {
          this.#refusedNames.add(name);
          this.#log.warn(
            "Route 53 record set has a routing policy or is an alias; goavail leaves it alone",
            { name, type: set.Type, set_identifier: set.SetIdentifier },
          );
        }
      }
      out.set(name, records);
    }
    return out;
  }

  async apply(
    changes: readonly Change[],
    options: ApplyOptions = {},
  ): Promise<ApplyResult> {
    if (changes.length === 0) return { outcomes: [], requests: 0 };
    const run: ApplyRun = {
      options,
      done: new Map(),
      requests: 0,
      stopped: false,
      reread: false,
    };
    try {
      const zoneId = await this.#zone();
      await this.#sendPlans(zoneId, await this.#plan(zoneId, changes), run);
    } catch (e) {
      failAll(
        run,
        e as DnsProviderError,
        changes.filter((c) => !run.done.has(c)),
      );
    }
    return {
      outcomes: changes.map((c) => run.done.get(c)!),
      requests: run.requests,
    };
  }

  /**
   * Sends the plans' changes in batches. A batch Route 53 refuses because
   * a set changed since the listing (every change is a compare-and-swap,
   * route53_sets.ts) is re-read and re-planned, once per call; refused
   * again, its changes fail as a conflict and the next pass reads again.
   */
  async #sendPlans(
    zoneId: string,
    plans: readonly SetPlan[],
    run: ApplyRun,
  ): Promise<void> {
    for (const p of plans) {
      for (const change of p.already) {
        run.done.set(change, { change, result: "already" });
      }
      for (const r of p.refused) {
        run.done.set(r.change, { ...r, result: "failed" });
      }
    }
    for (const chunk of batchesOf(plans.filter((p) => p.changes.length > 0))) {
      const sent = chunk.flatMap((p) => p.sent);
      // The fresh listing took a request: still the writer, still fresh?
      // Once no, no for the rest: a role regained meanwhile has not
      // waited out its handover.
      if (
        run.stopped || (run.options.mayContinue && !run.options.mayContinue())
      ) {
        run.stopped = true;
        failAll(run, notContinued(), sent);
        continue;
      }
      run.requests++;
      try {
        await this.#change(zoneId, chunk.flatMap((p) => p.changes), sent);
        for (const change of sent) {
          run.done.set(change, { change, result: "done" });
        }
      } catch (e) {
        const error = e as DnsProviderError;
        if (!isStaleListing(error)) failAll(run, error, sent);
        else if (run.reread) failAll(run, changedAgain(error), sent);
        else {
          run.reread = true;
          this.#log.info("Route 53 set changed since listing, re-read", {
            zone_id: zoneId,
            sets: chunk.length,
            changes: sent.length,
          });
          // Every change of the refused sets, "already" ones too: a create
          // found in effect may have been withdrawn since, and a delete
          // that relied on it must be judged again with it.
          const again = chunk.flatMap((p) => [...p.already, ...p.sent]);
          await this.#sendPlans(zoneId, await this.#plan(zoneId, again), run);
        }
      }
    }
  }

  /** Groups changes by set and plans each from a fresh listing. */
  async #plan(zoneId: string, changes: readonly Change[]): Promise<SetPlan[]> {
    const groups = new Map<string, Change[]>();
    for (const c of changes) {
      const key = setKey(c.record.name, c.record.type);
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const names = [...new Set(changes.map((c) => c.record.name))];
    const listed = await this.#listSets(zoneId, names);
    return [...groups.values()].map((group) => {
      const { name, type } = group[0]!.record;
      const sets = (listed.get(name) ?? []).filter((s) => s.Type === type);
      return planSet(group, sets);
    });
  }

  async #change(
    zoneId: string,
    setChanges: SetChange[],
    sent: readonly Change[],
  ): Promise<void> {
    const sdk = this.#sdk;
    const out = await this.#send(
      "ChangeResourceRecordSets",
      (o) =>
        this.#client.send(
          new sdk.ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: {
              Comment: "goavail",
              Changes: setChanges as unknown as SdkChange[],
            },
          }),
          o,
        ),
    );
    this.#log.info("Route 53 change submitted", {
      zone_id: zoneId,
      change_id: bareChangeId(out.ChangeInfo?.Id ?? ""),
      status: out.ChangeInfo?.Status,
      sets: new Set(
        setChanges.map((c) =>
          setKey(c.ResourceRecordSet.Name ?? "", c.ResourceRecordSet.Type ?? "")
        ),
      ).size,
      changes: sent.length,
    });
  }
}

/** One `apply()` call's progress. */
interface ApplyRun {
  options: ApplyOptions;
  done: Map<Change, ChangeOutcome>;
  requests: number;
  /** `mayContinue()` said no: nothing more is sent. */
  stopped: boolean;
  /** A stale batch was re-read already (at most once per call). */
  reread: boolean;
}

function failAll(
  run: ApplyRun,
  error: DnsProviderError,
  which: readonly Change[],
): void {
  for (const change of which) {
    run.done.set(change, { change, result: "failed", error });
  }
}

/**
 * Splits set plans into batches within Route 53's limits ("A request
 * cannot contain more than 100 Change elements", "more than 1000
 * ResourceRecord elements", 32,000 characters of values; API reference
 * ChangeResourceRecordSets), never splitting a set's DELETE from its
 * CREATE.
 * @param plans set plans with changes to send
 * @returns the plans, grouped into requests
 */
export function batchesOf(plans: readonly SetPlan[]): SetPlan[][] {
  const out: SetPlan[][] = [];
  let batch: SetPlan[] = [];
  let changes = 0;
  let records = 0;
  let chars = 0;
  for (const p of plans) {
    const n = p.changes.length;
    const values = p.changes.flatMap((c) =>
      c.ResourceRecordSet.ResourceRecords ?? []
    );
    const r = values.length;
    const k = values.reduce((sum, v) => sum + (v.Value?.length ?? 0), 0);
    if (
      batch.length > 0 &&
      (changes + n > MAX_CHANGES || records + r > MAX_RECORDS ||
        chars + k > MAX_VALUE_CHARS)
    ) {
      out.push(batch);
      batch = [];
      changes = 0;
      records = 0;
      chars = 0;
    }
    batch.push(p);
    changes += n;
    records += r;
    chars += k;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** The error of a batch refused as stale twice in one call. */
function changedAgain(cause: DnsProviderError): DnsProviderError {
  return new DnsProviderError(
    "conflict",
    "Route 53 record set changed again after the re-read (another writer is changing it); nothing was written, the next pass reads again",
    { ...(cause.status !== undefined ? { status: cause.status } : {}), cause },
  );
}

function bareChangeId(id: string): string {
  return id.replace(/^\/change\//, "");
}
