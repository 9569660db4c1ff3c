/**
 * Finds the hosted zone of `aws_domain`: the configured `aws_zoneid`
 * (checked with GetHostedZone), else the one public zone of that name
 * (ListHostedZonesByName). Pure over the two calls it is given.
 * @module
 */
import { DnsProviderError } from "./provider.ts";
import { normalName } from "./route53_sets.ts";

/** The parts of an SDK `HostedZone` read here. */
export interface RawZone {
  Id?: string | undefined;
  Name?: string | undefined;
  Config?: { PrivateZone?: boolean | undefined } | undefined;
}

/** One page of ListHostedZonesByName. */
export interface ZonePage {
  zones: RawZone[];
  /** Where the next page starts; undefined on the last page. */
  next?: { dnsName: string; zoneId: string } | undefined;
}

/** The calls the lookup needs. */
export interface ZoneCalls {
  getZone(id: string): Promise<RawZone>;
  listByName(dnsName: string, zoneId?: string): Promise<ZonePage>;
}

/** Bound on pages of zones read with one name. */
const MAX_ZONE_PAGES = 10;

/** @returns the id without its "/hostedzone/" prefix */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, "");
}

/**
 * @param domain `aws_domain`, lower case
 * @param zoneId `aws_zoneid`, or null to look it up
 * @param calls GetHostedZone and ListHostedZonesByName
 * @returns the hosted zone id
 * @throws {DnsProviderError} "config" naming the key when no zone,
 *   several zones, or a zone of another name matches
 */
export async function findZone(
  domain: string,
  zoneId: string | null,
  calls: ZoneCalls,
): Promise<string> {
  if (zoneId) {
    const zone = await calls.getZone(zoneId);
    const name = normalName(zone.Name ?? "");
    if (name !== domain) {
      throw new DnsProviderError(
        "config",
        `Route 53 hosted zone "${zoneId}" ("route53.aws_zoneid") is "${name}", not "${domain}" ("route53.aws_domain")`,
      );
    }
    return zoneId;
  }
  const found: string[] = [];
  let page = await calls.listByName(domain);
  for (let n = 1; n <= MAX_ZONE_PAGES; n++) {
    let past = false;
    for (const z of page.zones) {
      if (normalName(z.Name ?? "") !== domain) past = true;
      else if (z.Config?.PrivateZone !== true && z.Id) {
        found.push(bareZoneId(z.Id));
      }
    }
    if (past || !page.next || normalName(page.next.dnsName) !== domain) break;
    page = await calls.listByName(page.next.dnsName, page.next.zoneId);
  }
  if (found.length === 1) return found[0]!;
  throw new DnsProviderError(
    "config",
    found.length === 0
      ? `Route 53 has no public hosted zone "${domain}" ("route53.aws_domain"): check the name and the credentials' account`
      : `Route 53 has ${found.length} public hosted zones "${domain}" (${
        found.join(", ")
      }): set "route53.aws_zoneid" to the one to manage`,
  );
}
