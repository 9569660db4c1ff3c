/**
 * The DNS provider interface and the plain data it trades in: records,
 * changes, per-change outcomes, and {@linkcode DnsProviderError}.
 *
 * Names are always fully qualified (`www.example.com`); use
 * {@linkcode fqdn} to turn a configured hostname into one.
 * @module
 */

import { canonicalIp as canonicalText } from "../net/ip.ts";
import type { RateLimitState } from "./ratelimit_headers.ts";

/** Record types goavail manages. */
export type RecordType = "A" | "AAAA";

/** One A/AAAA record as the provider holds it. */
export interface DnsRecord {
  /** Provider id; absent for records not yet created (snapshots, plans). */
  id?: string;
  type: RecordType;
  /** Fully qualified name, lower case, no trailing dot. */
  name: string;
  /** The IP address, in canonical form (see {@linkcode canonicalIp}). */
  content: string;
  /** Seconds; 1 = automatic. */
  ttl: number;
  proxied: boolean;
  /** Free-text note; null when the record has none. */
  comment: string | null;
  /** Cloudflare tags (`name:value`); empty when none. */
  tags: string[];
  /**
   * Route 53: the record set this value belongs to, as it was listed (the
   * set's TTL is `ttl`). Absent for Cloudflare records.
   */
  recordSet?: RecordSetInfo;
  /**
   * Cloudflare record settings (`ipv4_only`, `ipv6_only`, …), kept as the
   * API returned them; absent when the record has none.
   */
  settings?: Record<string, unknown>;
  /** Cloudflare `private_routing`; absent unless the record has it set. */
  privateRouting?: boolean;
}

/** A Route 53 record set as listed, kept with each of its values. */
export interface RecordSetInfo {
  /** Hosted zone id, without "/hostedzone/". */
  zoneId: string;
  /** Every value of the set, in the order listed. */
  values: string[];
}

/**
 * Checks the optional provider fields of a stored or received record:
 * `settings` a plain object of at most 20 keys, `privateRouting` a boolean.
 * Records saved before these fields existed have neither and pass.
 * @param x the record as parsed from JSON
 * @returns whether the optional fields are well formed
 */
export function validOptionalFields(x: Record<string, unknown>): boolean {
  const s = x.settings;
  if (
    s !== undefined &&
    (typeof s !== "object" || s === null || Array.isArray(s) ||
      Object.keys(s).length > 20)
  ) return false;
  return x.privateRouting === undefined ||
    typeof x.privateRouting === "boolean";
}

/** One write: remove a record, or create one (from a snapshot or defaults). */
export type Change =
  | {
    kind: "delete";
    record: DnsRecord;
    /**
     * False when the name keeps `min_records` (and at least one) of the
     * records listed, without this pass's creates: the delete may then go
     * out even if a create of the name fails. Absent or true: it waits
     * until every create of the name in the pass was confirmed.
     */
    needsCreates?: boolean;
  }
  | { kind: "create"; record: DnsRecord; fromSnapshot: boolean };

/** How one change ended. */
export type ChangeOutcome =
  | {
    change: Change;
    /** "done" = applied now; "already" = the provider was already there. */
    result: "done" | "already";
    /** For creates: the record as created (with its new id) when known. */
    record?: DnsRecord;
  }
  | { change: Change; result: "failed"; error: DnsProviderError };

/** Result of {@linkcode DnsProvider.apply}: one outcome per change, in order. */
export interface ApplyResult {
  outcomes: ChangeOutcome[];
  /** Number of API write requests sent. */
  requests: number;
}

/** A place that holds DNS records (Cloudflare, Route 53, or the dry-run stand-in). */
export interface DnsProvider {
  /** True for providers that only pretend (dry-run). */
  readonly dryRun?: boolean;
  /**
   * Called for each API request the provider sends, by kind (a read lists,
   * a write changes), so the agent can count them against the budget.
   */
  onRequest?: (kind: ApiCallKind) => void;
  /**
   * Called with what a response's `Ratelimit` / `Ratelimit-Policy` headers
   * say of the account's budget, when it sends them (Cloudflare).
   */
  onRateLimit?: (state: RateLimitState) => void;
  /**
   * Reads the A/AAAA records of each name.
   * @param names fully qualified names
   * @returns every A/AAAA record per name (managed or not); each name is a key
   * @throws {DnsProviderError} when the records cannot be read
   */
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>>;
  /**
   * Applies changes, idempotently: deleting a missing record or creating an
   * existing one counts as "already". Never throws for API failures: they
   * come back as "failed" outcomes.
   * @param changes the changes
   * @param options asked between requests whether to go on
   */
  apply(
    changes: readonly Change[],
    options?: ApplyOptions,
  ): Promise<ApplyResult>;
}

export type { RateLimitState };

/** What an API request does. */
export type ApiCallKind = "read" | "write";

/** Options of {@linkcode DnsProvider.apply}. */
export interface ApplyOptions {
  /**
   * Asked before every request after the first one (a provider may need
   * several: creates confirmed before deletes, chunks, one call per
   * change): false leaves the rest unsent, as "failed" outcomes. The caller
   * checks it before the first request itself.
   */
  mayContinue?: () => boolean;
}

/** @returns the error of changes left unsent because `mayContinue()` said no. */
export function notContinued(): DnsProviderError {
  return new DnsProviderError(
    "conflict",
    "Not sent: this agent is no longer the writer, or its listing grew too old; the next pass reads again",
  );
}

/**
 * What kind of failure a provider call met; callers branch on it. "auth":
 * the credentials are refused; "config": the provider refuses this setup
 * (the zone is missing, not active, or ambiguous) — neither heals by
 * retrying, so both block writes for a while.
 */
export type DnsErrorKind =
  | "rate_limited"
  | "server"
  | "auth"
  | "config"
  | "conflict"
  | "bad_request";

/** Options of {@linkcode DnsProviderError}. */
export interface DnsProviderErrorOptions {
  /** For "rate_limited": how long to send nothing. */
  retryAfterMs?: number;
  /** HTTP status, when there was a reply. */
  status?: number;
  /** Provider error codes from the reply. */
  codes?: number[];
  /** For "auth": what the operator should check (no secrets). */
  hint?: string;
  cause?: unknown;
}

/** A failed provider call. Messages never contain credentials. */
export class DnsProviderError extends Error {
  /** What kind of failure this is. */
  readonly kind: DnsErrorKind;
  /** For "rate_limited": milliseconds to wait before the next request. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when there was a reply. */
  readonly status: number | undefined;
  /** Provider error codes (e.g. Cloudflare 81044). */
  readonly codes: number[];
  /** For "auth": what the operator should check, when the provider says. */
  readonly hint: string | undefined;

  /**
   * @param kind failure class
   * @param message what failed, without secrets
   * @param options status, codes, retry delay and cause
   */
  constructor(
    kind: DnsErrorKind,
    message: string,
    options: DnsProviderErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "DnsProviderError";
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.codes = options.codes ?? [];
    this.hint = options.hint;
  }
}

/**
 * Turns a configured hostname into a fully qualified name.
 * @param hostname "@" (apex), a relative name ("www"), or a name already
 * ending in the zone ("www.example.com", optionally with a trailing dot)
 * @param zone the zone name, e.g. "example.com"
 * @returns the lower-case FQDN without trailing dot
 */
export function fqdn(hostname: string, zone: string): string {
  const z = zone.toLowerCase().replace(/\.$/, "");
  const h = hostname.trim().toLowerCase().replace(/\.$/, "");
  if (h === "@" || h === "" || h === z) return z;
  if (h.endsWith("." + z)) return h;
  return `${h}.${z}`;
}

/**
 * Canonical text form of an IP, so config values and API replies compare
 * equal (IPv6 lower-case and compressed).
 * @param ip an IPv4 or IPv6 address
 * @returns the canonical form, or the input trimmed when it does not parse
 */
export function canonicalIp(ip: string): string {
  const s = ip.trim();
  return canonicalText(s) ?? s.toLowerCase();
}

/**
 * @param ip an IP address
 * @returns "AAAA" for IPv6, else "A"
 */
export function recordTypeOf(ip: string): RecordType {
  return ip.includes(":") ? "AAAA" : "A";
}

/**
 * Key of a record in the snapshot store: name, type and content.
 * @returns e.g. `www.example.com|A|192.0.2.10`
 */
export function recordKey(
  record: Pick<DnsRecord, "name" | "type" | "content">,
): string {
  return `${record.name}|${record.type}|${canonicalIp(record.content)}`;
}

/**
 * One-line description of a change for logs.
 * @returns e.g. `remove A www.example.com 192.0.2.10`
 */
export function describeChange(change: Change): string {
  const r = change.record;
  const verb = change.kind === "delete" ? "remove" : "restore";
  return `${verb} ${r.type} ${r.name} ${r.content}`;
}
