/**
 * The `[route53]` section → {@linkcode Route53Config}, with defaults.
 * @module
 */
import type { CheckedTree, ConfigIssue } from "./load.ts";
import { requireKeys } from "./required.ts";
import type { Route53Config } from "./types.ts";

/** TTL of a set created without a snapshot (the Route 53 console's default). */
export const DEFAULT_ROUTE53_TTL = 300;

/**
 * @param tree the checked keys
 * @param errors receives "is required" for missing keys
 * @returns the section, or null when the file has none
 */
export function resolveRoute53(
  tree: CheckedTree,
  errors: ConfigIssue[],
): Route53Config | null {
  const r = tree.values.route53;
  if (!r) return null;
  requireKeys(tree, errors, "route53", [
    "aws_domain",
    "hostnames",
    "ip_addresses",
  ]);
  return {
    awsDomain: (r.aws_domain as string | undefined) ?? "",
    zoneId: (r.aws_zoneid as string | undefined) ?? null,
    region: (r.aws_region as string | undefined) ?? null,
    hostnames: (r.hostnames as string[] | undefined) ?? [],
    ipAddresses: (r.ip_addresses as string[] | undefined) ?? [],
    ttl: (r.ttl as number | undefined) ?? DEFAULT_ROUTE53_TTL,
    reconcileInterval: (r.reconcile_interval as number | undefined) ?? 60,
  };
}
