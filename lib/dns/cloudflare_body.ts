/**
 * What goavail sends to Cloudflare for a restore, and how it reads the
 * record-level refusals of a create: extras the zone's plan does not allow
 * (comment length, tags), another record type at the name, and the zone's
 * record quota. Pure; no SDK import.
 * @module
 */

import { DnsProviderError, type DnsRecord } from "./provider.ts";

/**
 * Codes of a create refused for its comment or tags; the record itself is
 * fine without them.
 * - 9313 "DNS record comment exceeds the maximum length of 100 characters."
 *   (https://github.com/STRRL/cloudflare-tunnel-ingress-controller/issues/168;
 *   Free zones allow 100 characters, paid plans 500:
 *   https://developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/)
 * - 9300 "DNS record has 1 tags, exceeding the quota of 0.", inside a 1004
 *   "DNS Validation Error" `error_chain`
 *   (https://github.com/kubernetes-sigs/external-dns/issues/3706; tags are
 *   not available on Free zones).
 */
export const EXTRAS_REFUSED_CODES: readonly number[] = [9300, 9313];

/**
 * Codes of a create refused because the name holds a record of another
 * type: 81053 "An A, AAAA, or CNAME record with that host already exists."
 * (https://github.com/HermanMartinus/bearblog/issues/105) and 81054 "A CNAME
 * record with that host already exists."
 * (https://github.com/favonia/cloudflare-ddns/issues/990).
 */
export const NAME_TAKEN_CODES: readonly number[] = [81053, 81054];

/**
 * The zone's record quota: 81045 "The record quota has been exceeded."
 * (https://github.com/js-org/js.org/issues/2873; Free zones created since
 * 2024-09-01 hold 200 records:
 * https://github.com/cloudflare/cloudflare-docs/pull/16600).
 */
export const QUOTA_CODES: readonly number[] = [81045];

/** The body of a create request, in the API's field names. */
export interface CreateBody {
  type: DnsRecord["type"];
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment?: string;
  tags?: string[];
  settings?: Record<string, unknown>;
  private_routing?: boolean;
}

/**
 * The body of a create. A proxied record always has TTL "automatic" (1):
 * "all proxied records have a TTL of Auto [...] This value cannot be
 * edited" (https://developers.cloudflare.com/dns/manage-dns-records/reference/ttl/),
 * so a proxied restore sends ttl 1 whatever the snapshot says.
 * @param record the record to create
 * @param extras false to leave out comment and tags
 * @returns the request body (without `zone_id`)
 */
export function toCreateBody(record: DnsRecord, extras = true): CreateBody {
  return {
    type: record.type,
    name: record.name,
    content: record.content,
    ttl: record.proxied ? 1 : record.ttl,
    proxied: record.proxied,
    ...(extras && record.comment !== null ? { comment: record.comment } : {}),
    ...(extras && record.tags.length > 0 ? { tags: [...record.tags] } : {}),
    ...(record.settings ? { settings: structuredClone(record.settings) } : {}),
    ...(record.privateRouting ? { private_routing: true } : {}),
  };
}

/**
 * @param record a record
 * @returns the extras a retry without them would drop, e.g. ["comment"]
 */
export function extrasOf(record: DnsRecord): string[] {
  return [
    ...(record.comment !== null ? ["comment"] : []),
    ...(record.tags.length > 0 ? ["tags"] : []),
  ];
}

/**
 * @param error a create's error
 * @returns true when the comment or tags were what the zone refused
 */
export function refusedForExtras(error: DnsProviderError): boolean {
  // `codes` holds each error's `error_chain` codes too (cloudflare_errors.ts).
  return error.codes.some((c) => EXTRAS_REFUSED_CODES.includes(c));
}

/**
 * Rewrites a create's record-level refusal into an error that names the
 * record and says what to do; other errors come back unchanged.
 * @param error the create's error
 * @param record the record that was to be created
 * @returns the error to report
 */
export function explainCreateError(
  error: DnsProviderError,
  record: DnsRecord,
): DnsProviderError {
  const codes = error.codes;
  const what = `${record.type} ${record.name} ${record.content}`;
  let advice: string | undefined;
  if (codes.some((c) => NAME_TAKEN_CODES.includes(c))) {
    advice =
      `another record type (a CNAME?) holds "${record.name}"; remove it or take the name out of "cloudflare.hostnames"`;
  } else if (codes.some((c) => QUOTA_CODES.includes(c))) {
    advice =
      "the zone's record quota is used up; delete unused records or upgrade the zone's plan";
  }
  if (!advice) return error;
  return new DnsProviderError(
    error.kind,
    `Cannot restore ${what}: ${advice} (${error.message})`,
    {
      ...(error.status !== undefined ? { status: error.status } : {}),
      codes: error.codes,
      cause: error,
    },
  );
}
