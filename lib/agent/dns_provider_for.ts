/**
 * The DNS provider a config asks for, built the same way for the agent and
 * for `goavail restore`, so a restore goes through exactly what the agent
 * writes with.
 * @module
 */
import type { Config } from "../config/types.ts";
import { createCloudflareProvider } from "../dns/cloudflare.ts";
import { DryRunProvider } from "../dns/dry_run.ts";
import { type DnsProvider, DnsProviderError } from "../dns/provider.ts";
import { createRoute53Provider } from "../dns/route53.ts";
import { ZoneRouter } from "../dns/zone_router.ts";
import { writePools } from "./write_facts.ts";
import type { Logger } from "../observe/log.ts";

/** Options of {@linkcode dnsProviderFor}. */
export interface ProviderFactoryOptions {
  logger: Logger;
  /** Receives each credential, so loggers can mask it. */
  secrets: Set<string>;
  /** Environment for credentials and the base URL. @default Deno.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * @param config the config (its `dry_run`, `dnsProvider` and sections)
 * @param options logger and secret sink
 * @returns the dry-run provider when `dry_run`, else the real one
 * @throws {DnsProviderError} when the real one has no credentials, or the
 *   provider's section is missing
 */
export function dnsProviderFor(
  config: Config,
  options: ProviderFactoryOptions,
): Promise<DnsProvider> {
  const route53 = config.dnsProvider === "route53"
    ? config.sections.route53
    : null;
  if (config.dnsProvider === "route53" && !route53) {
    return Promise.reject(
      new DnsProviderError(
        "bad_request",
        'DNS provider "route53" needs a [route53] section in the config',
      ),
    );
  }
  if (config.dryRun) {
    return Promise.resolve(
      new DryRunProvider(config.cloudflare.ipAddresses, {
        ttl: config.cloudflare.ttl,
        proxied: config.cloudflare.proxied,
        logger: options.logger,
        // Each pool's names pretend to hold that pool's IPs (not backups).
        ipsByName: new Map(
          writePools(config).flatMap((p) => p.names.map((n) => [n, p.ips])),
        ),
        ...(route53
          ? { target: `route53 ${route53.zoneId ?? route53.awsDomain}` }
          : {}),
      }),
    );
  }
  if (route53) {
    return createRoute53Provider(route53, {
      logger: options.logger,
      secrets: options.secrets,
    });
  }
  const zones = cloudflareZones(config);
  const make = (section: Config["cloudflare"]) =>
    createCloudflareProvider(section, {
      logger: options.logger,
      secrets: options.secrets,
      ...(options.env ? { env: options.env } : {}),
    });
  if (zones.length <= 1) return make(withEveryPoolIp(config));
  const key = (d: string) => d.toLowerCase().replace(/\.$/, "");
  const users = (zone: string) =>
    config.pools.filter((p) => key(p.dnsDomain) === key(zone))
      .map((p) => `${p.path} ${JSON.stringify(p.name)}`).join(", ");
  return Promise.all(zones.map(make)).then((providers) =>
    new ZoneRouter(
      providers.map((provider, i) => ({
        zone: zones[i]!.dnsDomain,
        provider,
        label: users(zones[i]!.dnsDomain) || "the provider section",
      })),
    )
  );
}

/**
 * @param config the config
 * @returns one provider section per Cloudflare zone the pools use (the
 *   section's zone first), each with the IPs and backups of its pools
 */
export function cloudflareZones(config: Config): Config["cloudflare"][] {
  const cf = config.cloudflare;
  const key = (domain: string) => domain.toLowerCase().replace(/\.$/, "");
  const zones = new Map<string, Config["cloudflare"]>();
  if (cf.dnsDomain !== "") {
    zones.set(key(cf.dnsDomain), { ...cf, ipAddresses: [...cf.ipAddresses] });
  }
  for (const p of config.pools) {
    const k = key(p.dnsDomain);
    const z = zones.get(k) ??
      { ...cf, dnsDomain: p.dnsDomain, zoneId: p.zoneId, ipAddresses: [] };
    // A pool's zone_id names its zone when the section's does not.
    z.zoneId ??= p.zoneId;
    zones.set(k, z);
    for (const ip of [...p.ipAddresses, ...p.backupIps]) {
      if (!z.ipAddresses.includes(ip)) z.ipAddresses.push(ip);
    }
  }
  return [...zones.values()];
}

/**
 * @param config the config
 * @returns the provider section with every pool's IPs and backups, so the
 *   provider lists each record type any pool manages (a [[pool]] may hold
 *   AAAA addresses while the section holds only A ones)
 */
export function withEveryPoolIp(config: Config): Config["cloudflare"] {
  const ips = new Set(config.cloudflare.ipAddresses);
  for (const p of config.pools) {
    for (const ip of [...p.ipAddresses, ...p.backupIps]) ips.add(ip);
  }
  return { ...config.cloudflare, ipAddresses: [...ips] };
}

/**
 * @param config the config
 * @returns the record types the provider lists for it, e.g. "A,AAAA"; a
 *   reload that changes them needs a new provider
 */
export function listedTypes(config: Config): string {
  return typesOf(withEveryPoolIp(config).ipAddresses);
}

/** @returns the record types of `ips`, e.g. "A,AAAA" */
function typesOf(ips: readonly string[]): string {
  return ["A", "AAAA"].filter((t) =>
    ips.some((ip) => ip.includes(":") === (t === "AAAA"))
  ).join(",");
}

/**
 * @param config the config
 * @returns what the provider is built from besides the section: each
 *   zone the pools use and the record types listed there; a reload that
 *   changes it needs a new provider
 */
export function providerShape(config: Config): string {
  return JSON.stringify([
    listedTypes(config),
    // The dry-run provider pretends each pool's names hold its IPs.
    config.dryRun ? writePools(config).map((p) => [p.names, p.ips]) : null,
    cloudflareZones(config).map((z) => [
      z.dnsDomain.toLowerCase(),
      z.zoneId,
      typesOf(z.ipAddresses),
    ]),
  ]);
}
