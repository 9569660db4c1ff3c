/**
 * The DNS provider a config asks for, built the same way for the agent and
 * for `goavail restore`, so a restore goes through exactly what the agent
 * writes with.
 * @module
 */
import type { Config } from "../config/types.ts";
import { createCloudflareProvider } from "../dns/cloudflare.ts";
import { DryRunProvider } from "../dns/dry_run.ts";
import type { DnsProvider } from "../dns/provider.ts";
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
 * @param config the config (its `dry_run` and `[cloudflare]` section)
 * @param options logger and secret sink
 * @returns the dry-run provider when `dry_run`, else the real one
 * @throws {DnsProviderError} when the real one has no credentials
 */
export function dnsProviderFor(
  config: Config,
  options: ProviderFactoryOptions,
): Promise<DnsProvider> {
  if (config.dryRun) {
    return Promise.resolve(
      new DryRunProvider(config.cloudflare.ipAddresses, {
        ttl: config.cloudflare.ttl,
        proxied: config.cloudflare.proxied,
        logger: options.logger,
      }),
    );
  }
  return createCloudflareProvider(config.cloudflare, {
    logger: options.logger,
    secrets: options.secrets,
    ...(options.env ? { env: options.env } : {}),
  });
}
