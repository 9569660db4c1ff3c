/**
 * Checks of `[cloudflare]` values against what the API accepts, so a
 * config that would fail at the first restore fails (or warns) at load:
 *
 * - `ttl`: 1 (automatic) or 60–86400 s; 30–59 only on Enterprise zones
 *   (cloudflare-typescript `src/resources/dns/records.ts`, `TTL`: "Value must
 *   be between 60 and 86400, with the minimum reduced to 30 for Enterprise
 *   zones"; other plans answer 9021 "TTL must be between …"). 30–59 loads
 *   with a warning rather than an error: goavail cannot know the zone's plan
 *   at load time, and refusing would lock Enterprise users out of a value
 *   their zone accepts.
 * - `ttl` with `dns_proxied = true`: proxied records always have TTL 1.
 * - `dns_proxied = true` with an IP Cloudflare will not proxy (private,
 *   loopback, link-local, CGNAT, …; see `lib/net/ip_scope.ts`): the API
 *   refuses such a record with 9003.
 * @module
 */
import { documentationKind, nonPublicKind } from "../net/ip_scope.ts";
import { type Checked, show } from "./rules.ts";

/** Lowest TTL every plan accepts; below it (down to 30) Enterprise only. */
export const MIN_TTL = 60;
/** Lowest TTL an Enterprise zone accepts. */
export const MIN_ENTERPRISE_TTL = 30;
/** Highest TTL Cloudflare accepts. */
export const MAX_TTL = 86400;

/** `cloudflare.ttl`: 1, or an integer from 30 (Enterprise) to 86400. */
export function cloudflareTtl(raw: unknown): Checked<number> {
  if (
    typeof raw === "number" && Number.isInteger(raw) &&
    (raw === 1 || (raw >= MIN_ENTERPRISE_TTL && raw <= MAX_TTL))
  ) return { ok: true, value: raw };
  return {
    ok: false,
    error:
      `must be 1 (automatic) or an integer from ${MIN_TTL} to ${MAX_TTL} ` +
      `(from ${MIN_ENTERPRISE_TTL} on Enterprise zones), got ${show(raw)}`,
  };
}

/** The resolved `[cloudflare]` values the warnings look at. */
export interface CloudflareValues {
  ttl: number;
  /** Whether `ttl` was written in the file. */
  ttlSet: boolean;
  proxied: boolean;
  ipAddresses: readonly string[];
}

/**
 * @param cf the values
 * @param pathOf the key path as the user wrote it, e.g. "Cloudflare.ttl"
 * @returns one warning per value Cloudflare would refuse or ignore
 */
export function cloudflareWarnings(
  cf: CloudflareValues,
  pathOf: (path: string) => string,
): string[] {
  const out: string[] = [];
  const ttl = `"${pathOf("cloudflare.ttl")}"`;
  const proxied = `"${pathOf("cloudflare.dns_proxied")}"`;
  if (cf.ttl >= MIN_ENTERPRISE_TTL && cf.ttl < MIN_TTL) {
    out.push(
      `${ttl} is ${cf.ttl}: Cloudflare accepts a TTL below ${MIN_TTL} on Enterprise zones only; on other plans every record created from the defaults is refused (9021)`,
    );
  }
  if (cf.proxied && cf.ttlSet && cf.ttl !== 1) {
    out.push(
      `${ttl} is ${cf.ttl} but ${proxied} is true: proxied records always have TTL 1 (automatic), so it does not apply`,
    );
  }
  if (!cf.proxied) return out;
  for (const ip of cf.ipAddresses) {
    const doc = documentationKind(ip);
    if (doc !== null) {
      out.push(
        `"${
          pathOf("cloudflare.ip_addresses")
        }" lists ${ip}, ${doc}, and ${proxied} is true: Cloudflare accepts it proxied only as a placeholder origin (for Workers); nothing answers there on the Internet, so check it is not a copied example`,
      );
      continue;
    }
    const kind = nonPublicKind(ip);
    if (kind === null) continue;
    out.push(
      `"${
        pathOf("cloudflare.ip_addresses")
      }" lists ${ip}, ${kind}, and ${proxied} is true: Cloudflare refuses to proxy it (9003 "not allowed for a proxied record"), so its record cannot be created proxied; set dns_proxied = false or use a public IP`,
    );
  }
  return out;
}
