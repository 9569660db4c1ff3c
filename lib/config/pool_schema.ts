/**
 * The keys of a `[[pool]]` table and of its `[pool.check]`, each with the
 * rule its value must pass. Lists are checked item by item so an error names
 * the item's own path (`pool[1].check.expect_status[0]`); see
 * `pool_check.ts`.
 * @module
 */
import {
  boolean,
  cloudflareId,
  domain,
  fraction,
  integer,
  ip,
  number,
  oneOf,
  recordName,
  type Rule,
  show,
  string,
} from "./rules.ts";
import { isHostname } from "./net.ts";

/** A list key: the rule of each item and what the list as a whole needs. */
export interface ListKey {
  item: Rule<unknown>;
  /** At least one item. */
  nonEmpty: boolean;
}

/** Rules of one table: scalar keys and list keys. */
export interface TableSpec {
  scalars: Record<string, Rule<unknown>>;
  lists: Record<string, ListKey>;
}

/**
 * Pool names: short, printable in logs, metrics labels and heartbeat keys.
 * At most 24 characters: a verdict's key `pool/IP` then fits the 64
 * characters a heartbeat view key may have (`lib/cluster/types.ts`), with
 * the longest IPv6 text (39).
 */
export function poolName(raw: unknown): ReturnType<Rule<string>> {
  return typeof raw === "string" && /^[a-z0-9][a-z0-9_-]{0,23}$/.test(raw)
    ? { ok: true, value: raw }
    : {
      ok: false,
      error:
        `must be 1 to 24 lowercase letters, digits, "-" or "_" (a letter or digit first), got ${
          show(raw)
        }`,
    };
}

/** A Host header / SNI name (no port, no wildcard). */
function hostHeader(raw: unknown): ReturnType<Rule<string>> {
  return typeof raw === "string" && isHostname(raw) && !raw.includes("*")
    ? { ok: true, value: raw.toLowerCase().replace(/\.$/, "") }
    : {
      ok: false,
      error: `must be a host name such as "www.example.com", got ${show(raw)}`,
    };
}

/** An absolute request path such as "/healthz". */
function requestPath(raw: unknown): ReturnType<Rule<string>> {
  return typeof raw === "string" && /^\/[\x21-\x7e]*$/.test(raw)
    ? { ok: true, value: raw }
    : {
      ok: false,
      error: `must be a path starting with "/" without spaces, got ${
        show(raw)
      }`,
    };
}

/** `[[pool]]` keys (the `check` table apart). */
export const POOL: TableSpec = {
  scalars: {
    name: poolName,
    dns_domain: domain,
    zone_id: cloudflareId,
    min_records: integer(1, 1000),
    max_removals_fraction: fraction,
    failure_threshold: integer(1, 1000),
    recovery_threshold: integer(1, 1000),
    interval: number(0.1, 3600, " seconds"),
    retry_interval: number(0.01, 3600, " seconds"),
    // The provider's own range is checked once the provider is known.
    ttl: integer(0, 2147483647),
    dns_proxied: boolean,
  },
  lists: {
    hostnames: { item: recordName, nonEmpty: true },
    ip_addresses: { item: ip, nonEmpty: true },
    backup_ips: { item: ip, nonEmpty: false },
  },
};

/** `[pool.check]` keys. */
export const POOL_CHECK: TableSpec = {
  scalars: {
    type: oneOf(["icmp", "tcp", "http", "https"] as const),
    port: integer(1, 65535),
    path: requestPath,
    expect_body: string(),
    host: hostHeader,
    timeout: number(0.01, 60, " seconds"),
    tls_verify: boolean,
  },
  lists: {
    expect_status: { item: integer(100, 599), nonEmpty: true },
  },
};

/** @returns every key of `spec`. */
export function keysOf(spec: TableSpec): string[] {
  return [...Object.keys(spec.scalars), ...Object.keys(spec.lists)];
}
