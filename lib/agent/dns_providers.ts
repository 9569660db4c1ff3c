/**
 * Which DNS providers this build can write to, by the name
 * `-p/--dns-provider` gives (the original goavail's flag). The config carries
 * the name (`Config.dnsProvider`); `dnsProviderFor()` in
 * `dns_provider_for.ts` builds it, so adding a provider is its entry here
 * and its branch there.
 * @module
 */
import type { DnsProviderName } from "../config/types.ts";

/** Providers with an implementation. */
export const BUILT_DNS_PROVIDERS: ReadonlySet<DnsProviderName> = new Set([
  "cloudflare",
]);

/**
 * @param name the configured provider
 * @returns why it cannot be used, or null when it can
 */
export function unsupportedDnsProvider(name: DnsProviderName): string | null {
  if (BUILT_DNS_PROVIDERS.has(name)) return null;
  return `DNS provider "${name}" is not supported yet: this build writes to ${
    [...BUILT_DNS_PROVIDERS].map((p) => `"${p}"`).join(", ")
  } only (run without -p/--dns-provider, or with "-p cloudflare")`;
}
