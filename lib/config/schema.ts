/**
 * Every key goavail.toml may hold, by section, with the rule its value must
 * pass. Section names are matched case-insensitively, so the original's
 * `[Members]` and `[Cloudflare]` load unchanged; lowercase is canonical.
 * @module
 */
import {
  boolean,
  cloudflareId,
  domain,
  fraction,
  hostOptionalPort,
  hostPort,
  integer,
  ip,
  list,
  number,
  offOrNumber,
  oneOf,
  recordName,
  type Rule,
  secret,
  slackAddr,
  string,
  url,
} from "./rules.ts";
import { cloudflareTtl } from "./cloudflare_checks.ts";
import { awsRegion, route53ZoneId } from "./route53_rules.ts";

/** Rules of one section, by key. */
export type SectionSpec = Record<string, Rule<unknown>>;

/** Shortest crypto key accepted (the original used 16-character AES keys). */
export const MIN_KEY_LENGTH = 16;

/** Default heartbeat port, as the original's memberlist default. */
export const DEFAULT_MEMBERS_PORT = 7947;

/** Top-level keys. */
export const TOP: SectionSpec = {
  failure_threshold: integer(1, 1000),
  recovery_threshold: integer(1, 1000),
  interval: number(0.1, 3600, " seconds"),
  probe_timeout: number(0.01, 60, " seconds"),
  retry_interval: number(0.01, 3600, " seconds"),
  recovery_retry: boolean,
  probe_type: oneOf(["icmp", "tcp"] as const, { ip: "icmp" }),
  port: integer(1, 65535),
  ports: list(integer(1, 65535), { nonEmpty: true }),
  slack_addr: slackAddr,
  state_dir: string(),
  min_records: integer(1, 1000),
  max_removals_fraction: fraction,
  dry_run: boolean,
  log_level: oneOf(["debug", "info", "warn", "error"] as const),
  log_format: oneOf(["text", "json"] as const),
  summary_interval: offOrNumber(1, 86400, " seconds"),
};

/** `[members]`: cluster mode. */
export const MEMBERS: SectionSpec = {
  // Bare hosts stay bare here: resolve.ts adds `members_port`.
  peers: list(hostOptionalPort, { unique: true }),
  local_addr: hostOptionalPort,
  members_port: integer(1, 65535),
  min_peers_agree: integer(0, 100),
  crypto_key: secret(MIN_KEY_LENGTH),
  crypto_keys: list(secret(MIN_KEY_LENGTH), { nonEmpty: true }),
  crypto_key_file: string(),
  crypto_keys_file: string(),
  insecure_plaintext: boolean,
  heartbeat_interval: number(0.1, 60, " seconds"),
  peer_timeout: number(0.2, 600, " seconds"),
};

/** `[cloudflare]`: the zone and the records goavail manages. */
export const CLOUDFLARE: SectionSpec = {
  dns_domain: domain,
  zone_id: cloudflareId,
  hostnames: list(recordName, { unique: true, nonEmpty: true }),
  ip_addresses: list(ip, { unique: true, nonEmpty: true }),
  dns_proxied: boolean,
  ttl: cloudflareTtl,
  api_url: url,
  api_token_file: string(),
  reconcile_interval: number(5, 3600, " seconds"),
  api_budget_share: fraction,
};

/**
 * `[route53]` (the original's `[Route53]`): the hosted zone and the record
 * sets goavail manages when the DNS provider is Route 53.
 */
export const ROUTE53: SectionSpec = {
  aws_domain: domain,
  aws_zoneid: route53ZoneId,
  aws_region: awsRegion,
  hostnames: list(recordName, { unique: true, nonEmpty: true }),
  ip_addresses: list(ip, { unique: true, nonEmpty: true }),
  // Route 53 API reference, ResourceRecordSet.TTL: "Valid Range: Minimum
  // value of 0. Maximum value of 2147483647."
  ttl: integer(0, 2147483647),
  provider: oneOf(["route53"] as const),
  reconcile_interval: number(5, 3600, " seconds"),
};

/** `[status]`: the local status server. */
export const STATUS: SectionSpec = {
  listen: (raw) => raw === "" ? { ok: true, value: "" } : hostPort()(raw),
};

/** `[notify]`: change notifications. */
export const NOTIFY: SectionSpec = {
  webhook_url: url,
  webhook_url_file: string(),
  slack_webhook_url: url,
  slack_webhook_url_file: string(),
};

/** Every known section by canonical name ("" = top level). */
export const SECTIONS: Record<string, SectionSpec> = {
  "": TOP,
  members: MEMBERS,
  cloudflare: CLOUDFLARE,
  route53: ROUTE53,
  status: STATUS,
  notify: NOTIFY,
};

/**
 * Closest candidate within edit distance 2 (or sharing a 4-character
 * prefix), for "did you mean" hints.
 * @returns the suggestion, or undefined
 */
export function closest(
  word: string,
  candidates: Iterable<string>,
): string | undefined {
  let best: string | undefined, bestScore = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  if (best) return best;
  for (const c of candidates) {
    if (word.length >= 4 && c.startsWith(word.toLowerCase().slice(0, 4))) {
      return c;
    }
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}
