/**
 * Which Cloudflare zone the records live in. `GET /zones?name=` lists every
 * zone of that name the credentials can see, whatever its `status`
 * ("initializing", "pending", "active", "moved"; cloudflare-typescript
 * `src/resources/zones/zones.ts`, `Zone.status`) and in every account
 * (`Zone.account`, `{id, name}`). Only an active zone serves DNS
 * (https://developers.cloudflare.com/dns/zone-setups/reference/domain-status/:
 * "An active domain status is a requirement for your application services
 * configurations to be applied"), and a name left pending in one account can
 * sit next to the live one in another. So:
 *
 * - exactly one active zone of the name → use it;
 * - several active → refuse, naming the accounts and ids, and ask for
 *   `cloudflare.zone_id`;
 * - none active but some pending/initializing/moved → refuse, saying so;
 * - `cloudflare.zone_id` set → `GET /zones/{id}` once, on first use: the zone
 *   must be active and named `dns_domain`. One call per start buys the
 *   certainty that a typo or a zone left pending after a move does not
 *   take the writes.
 *
 * A refusal is kind "config" (nothing a retry can fix); it is remembered for
 * {@linkcode ZONE_RETRY_MS} so a wrong zone costs one lookup a minute, not
 * one per pass.
 * @module
 */

import { DnsProviderError } from "./provider.ts";
import { toProviderError } from "./cloudflare_map.ts";
import { type Logger, silentLogger } from "../observe/log.ts";

/** How long a zone refusal is kept before the zone is looked up again, ms. */
export const ZONE_RETRY_MS = 60_000;

/** Bound on zones read from the listing. */
const MAX_ZONES = 1000;

/** The fields of a zone goavail reads. */
export interface ZoneInfo {
  id: string;
  name: string;
  /** "active", "pending", "initializing", "moved", … ("" when absent). */
  status: string;
  accountId: string;
  accountName: string;
}

/** The two zone calls, as the provider makes them through the SDK. */
export interface ZoneApi {
  /** `GET /zones?name=…`, every page. */
  list(name: string): AsyncIterable<unknown>;
  /** `GET /zones/{id}`. */
  get(id: string): Promise<unknown>;
}

/**
 * @param raw a zone object from the API
 * @returns its id, name, status and account, or null when it has no id/name
 */
export function toZoneInfo(raw: unknown): ZoneInfo | null {
  if (typeof raw !== "object" || raw === null) return null;
  const z = raw as {
    id?: unknown;
    name?: unknown;
    status?: unknown;
    account?: { id?: unknown; name?: unknown } | null;
  };
  if (typeof z.id !== "string" || typeof z.name !== "string") return null;
  return {
    id: z.id,
    name: z.name.toLowerCase().replace(/\.$/, ""),
    status: typeof z.status === "string" ? z.status : "",
    accountId: typeof z.account?.id === "string" ? z.account.id : "",
    accountName: typeof z.account?.name === "string" ? z.account.name : "",
  };
}

const describe = (z: ZoneInfo) =>
  `${z.id} (${z.status || "no status"}, account ${
    z.accountName ? `"${z.accountName}" ` : ""
  }${z.accountId || "unknown"})`;

/**
 * Picks the zone to write to from a listing.
 * @param zoneName `dns_domain`
 * @param zones the zones listed for that name (other names are ignored)
 * @returns the one active zone
 * @throws {DnsProviderError} kind "config" when none or several are active
 */
export function pickZone(
  zoneName: string,
  zones: readonly ZoneInfo[],
): ZoneInfo {
  const named = zones.filter((z) => z.name === zoneName);
  const active = named.filter((z) => z.status === "active");
  if (active.length === 1) return active[0]!;
  if (active.length > 1) {
    throw new DnsProviderError(
      "config",
      `Cloudflare has ${active.length} active zones named "${zoneName}": ${
        active.map(describe).join(", ")
      }; set cloudflare.zone_id to the one goavail should write to`,
    );
  }
  if (named.length > 0) {
    const pending = named.some((z) =>
      z.status === "pending" || z.status === "initializing"
    );
    throw new DnsProviderError(
      "config",
      `Cloudflare zone "${zoneName}" is not active: ${
        named.map(describe).join(", ")
      }; ${
        pending
          ? "a pending zone serves no DNS until its nameservers point to Cloudflare and it turns active"
          : "only an active zone serves DNS"
      } (cloudflare.dns_domain, or set cloudflare.zone_id)`,
    );
  }
  throw new DnsProviderError(
    "config",
    `Cloudflare zone "${zoneName}" not found: check cloudflare.dns_domain and that the token can read the zone (Zone:Read)`,
  );
}

/**
 * Checks the zone `cloudflare.zone_id` names.
 * @param zoneName `dns_domain`
 * @param zone the zone as `GET /zones/{id}` returned it
 * @returns the zone
 * @throws {DnsProviderError} kind "config" when it is not active or has
 *   another name
 */
export function checkConfiguredZone(
  zoneName: string,
  zone: ZoneInfo,
): ZoneInfo {
  if (zone.name !== zoneName) {
    throw new DnsProviderError(
      "config",
      `cloudflare.zone_id "${zone.id}" is the zone "${zone.name}", not cloudflare.dns_domain "${zoneName}"`,
    );
  }
  if (zone.status !== "active") {
    throw new DnsProviderError(
      "config",
      `cloudflare.zone_id "${zone.id}" (${zoneName}) is ${
        zone.status || "without status"
      }, not active: it serves no DNS${
        zone.status === "pending"
          ? " until its nameservers point to Cloudflare"
          : ""
      }`,
    );
  }
  return zone;
}

/** Finds (once) and remembers the zone id, with refusals kept a minute. */
export class ZoneLookup {
  #api: ZoneApi;
  #zoneName: string;
  #zoneId: string | null;
  #now: () => number;
  #log: Logger;
  #found: string | null = null;
  #refused: { error: DnsProviderError; until: number } | null = null;

  /**
   * @param api the zone calls
   * @param zoneName `dns_domain`, lower case without trailing dot
   * @param zoneId `cloudflare.zone_id`, or null to look it up by name
   * @param log says once which zone is used
   * @param now wall clock, ms
   */
  constructor(
    api: ZoneApi,
    zoneName: string,
    zoneId: string | null,
    log: Logger = silentLogger,
    now: () => number = Date.now,
  ) {
    this.#api = api;
    this.#zoneName = zoneName;
    this.#zoneId = zoneId;
    this.#log = log;
    this.#now = now;
  }

  /**
   * @returns the zone id to write to
   * @throws {DnsProviderError} kind "config" for a zone that cannot be used
   *   (again without a call for {@linkcode ZONE_RETRY_MS}), other kinds
   *   when the call failed
   */
  async id(): Promise<string> {
    if (this.#found) return this.#found;
    if (this.#refused && this.#now() < this.#refused.until) {
      throw this.#refused.error;
    }
    try {
      const zone = this.#zoneId
        ? await this.#checkConfigured(this.#zoneId)
        : await this.#findByName();
      this.#log.info("Using Cloudflare zone", {
        zone: zone.name,
        zone_id: zone.id,
        account: zone.accountId,
      });
      this.#found = zone.id;
      this.#refused = null;
      return zone.id;
    } catch (e) {
      const error = toProviderError(e, "look up the zone");
      if (error.kind === "config") {
        this.#refused = { error, until: this.#now() + ZONE_RETRY_MS };
      }
      throw error;
    }
  }

  async #checkConfigured(zoneId: string): Promise<ZoneInfo> {
    let raw: unknown;
    try {
      raw = await this.#api.get(zoneId);
    } catch (e) {
      const error = toProviderError(e, "get zone");
      if (error.status === 404) {
        throw new DnsProviderError(
          "config",
          `cloudflare.zone_id "${zoneId}" not found: check it, and that the token can read the zone (Zone:Read)`,
          { status: 404, codes: error.codes },
        );
      }
      throw error;
    }
    const zone = toZoneInfo(raw);
    if (!zone) {
      throw new DnsProviderError(
        "server",
        `Cloudflare get zone "${zoneId}" returned no zone`,
      );
    }
    return checkConfiguredZone(this.#zoneName, zone);
  }

  async #findByName(): Promise<ZoneInfo> {
    const zones: ZoneInfo[] = [];
    try {
      for await (const raw of this.#api.list(this.#zoneName)) {
        const z = toZoneInfo(raw);
        if (z) zones.push(z);
        if (zones.length >= MAX_ZONES) break;
      }
    } catch (e) {
      throw toProviderError(e, "list zones");
    }
    return pickZone(this.#zoneName, zones);
  }
}
