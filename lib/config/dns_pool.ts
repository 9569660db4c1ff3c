/**
 * Which section's zone, names and IPs the agent manages. The original
 * goavail's file may hold both `[Cloudflare]` and `[Route53]`, and
 * `-p/--dns-provider` picks one; `Config.cloudflare` always holds the pool
 * of the provider in use, so probing, the write decision and the status
 * read one place whichever provider writes.
 * @module
 */
import type {
  CloudflareConfig,
  Config,
  DnsProviderName,
  Route53Config,
} from "./types.ts";
import { DEFAULT_API_BUDGET_SHARE } from "./types.ts";
import { legacyPool } from "./pools.ts";

/**
 * @param route53 the `[route53]` section
 * @returns the pool it describes, in the shape the agent reads
 */
export function route53Pool(route53: Route53Config): CloudflareConfig {
  return {
    dnsDomain: route53.awsDomain,
    zoneId: null,
    hostnames: route53.hostnames,
    ipAddresses: route53.ipAddresses,
    proxied: false,
    ttl: route53.ttl,
    apiUrl: null,
    apiTokenFile: null,
    reconcileInterval: route53.reconcileInterval,
    apiBudgetShare: DEFAULT_API_BUDGET_SHARE,
  };
}

/**
 * @param config a resolved config
 * @param name the provider to use
 * @returns `config` writing to `name`, with that section's pool (and the
 *   pool `default` it stands for, before the `[[pool]]`s); the pool stays
 *   as it was when the file has no section for `name` (see
 *   {@linkcode dnsProviderProblem})
 */
export function withDnsProvider(config: Config, name: DnsProviderName): Config {
  const { cloudflare, route53 } = config.sections;
  const pool = name === "route53"
    ? (route53 ? route53Pool(route53) : null)
    : cloudflare;
  const next = {
    ...config,
    dnsProvider: name,
    cloudflare: pool ?? config.cloudflare,
  };
  const own = config.pools.filter((p) => /^pool\[/i.test(p.path));
  const section = legacyPool(next);
  return { ...next, pools: section ? [section, ...own] : own };
}

/**
 * @param config a resolved config, after `-p/--dns-provider`
 * @returns why its provider cannot be used (the section it needs is
 *   missing), or null when it can
 */
export function dnsProviderProblem(config: Config): string | null {
  const section = config.dnsProvider === "route53" ? "route53" : "cloudflare";
  if (config.sections[section]) {
    return section === "route53" ? route53ZoneProblem(config) : null;
  }
  return `DNS provider "${config.dnsProvider}" needs a [${section}] section in the config (the file has ${
    config.sections.cloudflare ? "[cloudflare]" : "[route53]"
  } only; pick that one with -p ${
    config.sections.cloudflare ? "cloudflare" : "route53"
  })`;
}

/**
 * @param config a config writing to Route 53
 * @returns why a [[pool]] cannot be written there (Route 53 writes one
 *   hosted zone per agent), or null
 */
function route53ZoneProblem(config: Config): string | null {
  const zone = (d: string) => d.toLowerCase().replace(/\.$/, "");
  const hosted = zone(config.cloudflare.dnsDomain);
  const off = config.pools.find((p) => zone(p.dnsDomain) !== hosted);
  if (!off) return null;
  return `${off.path}.dns_domain: "${off.dnsDomain}" is not the [route53] hosted zone "${hosted}"; with Route 53 every pool must be in that zone (other zones are for Cloudflare)`;
}
