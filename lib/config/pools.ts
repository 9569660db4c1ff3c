/**
 * Checked `[[pool]]` tables → {@linkcode PoolConfig}s with defaults, and the
 * pool `default` that the original `[cloudflare]` (or `[route53]`) section
 * stands for. Checks that span keys or pools:
 *
 * - a pool's name is unique (`default` is taken by the provider section
 *   when it names hostnames);
 * - a fully qualified name belongs to one pool only: a pool's names hold
 *   exactly its IPs, so two pools on one name would ask for two sets;
 * - a backup IP is not one of the pool's primaries, and the pool has a
 *   primary of its family;
 * - check keys that mean nothing for the check type are refused, not
 *   silently ignored (`port` of an ICMP check, `path` of a TCP one);
 * - the pool's zone is the provider's: one provider client writes one zone
 *   for now.
 * @module
 */
import type { ConfigIssue } from "./load.ts";
import type { CheckedPool } from "./pool_check.ts";
import { cloudflareTtl } from "./cloudflare_checks.ts";
import { canonicalIp } from "../net/ip.ts";
import type {
  CheckConfig,
  CheckType,
  Config,
  DnsProviderName,
  PoolConfig,
} from "./types.ts";

/** The name of the pool the provider section stands for. */
export const DEFAULT_POOL = "default";

/** Values a `[[pool]]` takes from the top level and the provider section. */
export interface PoolDefaults {
  interval: number;
  failureThreshold: number;
  /** The top-level `recovery_threshold` when written, else null. */
  recoveryThreshold: number | null;
  retryInterval: number | null;
  minRecords: number;
  maxRemovalsFraction: number;
  ttl: number;
  proxied: boolean;
  /** The provider section's zone ("" when none). */
  dnsDomain: string;
  zoneId: string | null;
  provider: DnsProviderName;
}

const DEFAULT_PORT: Record<CheckType, number | null> = {
  icmp: null,
  tcp: 80,
  http: 80,
  https: 443,
};

/** Check keys that only some check types read. */
const ONLY_FOR: Record<string, readonly CheckType[]> = {
  port: ["tcp", "http", "https"],
  path: ["http", "https"],
  expect_status: ["http", "https"],
  expect_body: ["http", "https"],
  host: ["http", "https"],
  tls_verify: ["https"],
};

/** @returns `hostname` qualified in `zone` (as `lib/dns/provider.ts` fqdn). */
function qualify(hostname: string, zone: string): string {
  if (hostname === "@" || hostname === zone) return zone;
  return hostname.endsWith(`.${zone}`) ? hostname : `${hostname}.${zone}`;
}

/**
 * @param pools the checked tables
 * @param d the defaults they take
 * @param errors receives every cross-key problem, by path
 * @returns the pools with every value filled in
 */
export function resolvePools(
  pools: readonly CheckedPool[],
  d: PoolDefaults,
  errors: ConfigIssue[],
): PoolConfig[] {
  return pools.map((p) => resolvePool(p, d, errors));
}

function resolvePool(
  p: CheckedPool,
  d: PoolDefaults,
  errors: ConfigIssue[],
): PoolConfig {
  const v = p.values;
  const fail = (key: string, message: string) =>
    errors.push({ path: `${p.path}.${key}`, message });
  for (const key of ["name", "hostnames", "ip_addresses"]) {
    const at = `${p.path}.${key}`;
    const reported = errors.some((e) =>
      e.path === at || e.path.startsWith(`${at}[`)
    );
    if (!(key in v) && !reported) {
      fail(key, "is required");
    }
  }
  const zoneId = (v.zone_id as string | undefined) ?? null;
  const dnsDomain = (v.dns_domain as string | undefined) ??
    (zoneId === null || zoneId === d.zoneId ? d.dnsDomain : "");
  if (dnsDomain === "" && !("dns_domain" in v)) {
    fail(
      "dns_domain",
      zoneId === null
        ? "is required: no [cloudflare] or [route53] section gives a zone"
        : "is required with a \"zone_id\" other than the provider section's (the zone's name qualifies the hostnames)",
    );
  } else if (
    d.provider === "route53" && d.dnsDomain !== "" &&
    dnsDomain !== d.dnsDomain
  ) {
    fail(
      "dns_domain",
      `must be the [route53] section's hosted zone ${
        JSON.stringify(d.dnsDomain)
      } (with Route 53 one hosted zone per agent), got ${
        JSON.stringify(dnsDomain)
      }`,
    );
  }
  const interval = (v.interval as number | undefined) ?? d.interval;
  const failureThreshold = (v.failure_threshold as number | undefined) ??
    d.failureThreshold;
  const retryInterval = (v.retry_interval as number | undefined) ??
    d.retryInterval;
  if (retryInterval !== null && retryInterval >= interval) {
    fail(
      "retry_interval",
      `must be shorter than "interval" (${interval} s), got ${retryInterval}`,
    );
  }
  const ttl = (v.ttl as number | undefined) ?? d.ttl;
  if ("ttl" in v && d.provider === "cloudflare") {
    const c = cloudflareTtl(ttl);
    if (!c.ok) fail("ttl", c.error);
  }
  const hostnames = (v.hostnames as string[] | undefined) ?? [];
  const ipAddresses = (v.ip_addresses as string[] | undefined) ?? [];
  const backupIps = (v.backup_ips as string[] | undefined) ?? [];
  const canon = (ip: string) => canonicalIp(ip) ?? ip;
  const primaries = new Set(ipAddresses.map(canon));
  backupIps.forEach((ip, i) => {
    if (primaries.has(canon(ip))) {
      fail(`backup_ips[${i}]`, `is also in "ip_addresses": ${ip}`);
    } else if (
      ![...primaries].some((q) => q.includes(":") === ip.includes(":"))
    ) {
      fail(
        `backup_ips[${i}]`,
        `${ip} has no primary of its family in "ip_addresses": a backup stands in for the primaries of its family (A or AAAA) while every one of them is down`,
      );
    }
  });
  const first = hostnames[0] ? qualify(hostnames[0], dnsDomain) : dnsDomain;
  return {
    name: (v.name as string | undefined) ?? "",
    path: p.path,
    dnsDomain,
    zoneId,
    hostnames,
    ipAddresses,
    backupIps,
    minRecords: (v.min_records as number | undefined) ?? d.minRecords,
    maxRemovalsFraction: (v.max_removals_fraction as number | undefined) ??
      d.maxRemovalsFraction,
    failureThreshold,
    recoveryThreshold: (v.recovery_threshold as number | undefined) ??
      d.recoveryThreshold ?? failureThreshold,
    interval,
    retryInterval,
    ttl,
    proxied: (v.dns_proxied as boolean | undefined) ?? d.proxied,
    check: resolveCheck(p, interval, first, errors),
  };
}

function resolveCheck(
  p: CheckedPool,
  interval: number,
  firstName: string,
  errors: ConfigIssue[],
): CheckConfig {
  const c = p.check;
  const type = (c.type as CheckType | undefined) ?? "icmp";
  for (const [key, types] of Object.entries(ONLY_FOR)) {
    if (key in c && !types.includes(type)) {
      errors.push({
        path: `${p.path}.check.${key}`,
        message: `has no meaning for a ${
          JSON.stringify(type)
        } check (only for ${types.map((t) => JSON.stringify(t)).join(", ")})`,
      });
    }
  }
  return {
    type,
    port: (c.port as number | undefined) ?? DEFAULT_PORT[type],
    path: (c.path as string | undefined) ?? "/",
    expectStatus: (c.expect_status as number[] | undefined) ?? null,
    expectBody: (c.expect_body as string | undefined) ?? null,
    host: (c.host as string | undefined) ?? firstName,
    timeout: (c.timeout as number | undefined) ?? Math.min(interval, 1),
    timeoutAdaptive: !("timeout" in c),
    tlsVerify: (c.tls_verify as boolean | undefined) ?? true,
  };
}

/**
 * @param config a resolved config (its `cloudflare` is the provider's section)
 * @returns the pool `default` that section stands for, probed the top-level
 *   way (`probe_type`, `port`, `probe_timeout`); null when it names no
 *   hostname (a file of `[[pool]]`s only)
 */
export function legacyPool(config: Config): PoolConfig | null {
  const cf = config.cloudflare;
  if (cf.hostnames.length === 0 && cf.ipAddresses.length === 0) return null;
  const tcp = config.probeType === "tcp";
  return {
    name: DEFAULT_POOL,
    path: config.dnsProvider,
    dnsDomain: cf.dnsDomain,
    zoneId: cf.zoneId,
    hostnames: cf.hostnames,
    ipAddresses: cf.ipAddresses,
    backupIps: [],
    minRecords: config.minRecords,
    maxRemovalsFraction: config.maxRemovalsFraction,
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
    interval: config.interval,
    retryInterval: config.retryInterval,
    ttl: cf.ttl,
    proxied: cf.proxied,
    check: {
      type: config.probeType,
      port: tcp ? config.port : null,
      path: "/",
      expectStatus: null,
      expectBody: null,
      host: qualify(cf.hostnames[0] ?? "@", cf.dnsDomain),
      timeout: config.probeTimeout,
      timeoutAdaptive: config.probeTimeoutAdaptive,
      tlsVerify: true,
    },
  };
}

/**
 * The checks across pools: unique names, each fully qualified name in one
 * pool only.
 * @param pools every pool, `default` first when present
 * @param errors receives each problem at the later pool's path
 * @param section the provider section's zone, which the agent writes even
 *   when the section lists no names (Cloudflare: a zone of its own)
 */
export function checkAcrossPools(
  pools: readonly PoolConfig[],
  errors: ConfigIssue[],
  section?: { path: string; dnsDomain: string; zoneId: string | null },
): void {
  const names = new Map<string, PoolConfig>();
  const hosts = new Map<string, PoolConfig>();
  const zoneOf = (d: string) => d.toLowerCase().replace(/\.$/, "");
  const owners = section?.dnsDomain ? [section, ...pools] : pools;
  const zones = [...new Set(owners.map((p) => zoneOf(p.dnsDomain)))]
    .filter((z) => z !== "");
  const ids = new Map<string, { path: string; zoneId: string | null }>();
  for (const p of owners) {
    const other = p.zoneId === null ? undefined : ids.get(zoneOf(p.dnsDomain));
    if (other && other.zoneId !== p.zoneId) {
      errors.push({
        path: `${p.path}.zone_id`,
        message: `${
          JSON.stringify(p.zoneId)
        } is another zone id for "${p.dnsDomain}" than ${other.path}'s ${
          JSON.stringify(other.zoneId)
        }: one zone name, one zone`,
      });
    } else if (p.zoneId !== null) ids.set(zoneOf(p.dnsDomain), p);
  }
  for (const p of pools) {
    const seen = names.get(p.name);
    if (seen && p.name !== "") {
      errors.push({
        path: `${p.path}.name`,
        message: `repeats the name of ${
          seen.name === DEFAULT_POOL && !/^pool\[/i.test(seen.path)
            ? `the pool "default" that [${seen.path}] stands for`
            : `${seen.path} (${JSON.stringify(p.name)})`
        }; pool names must be unique`,
      });
    } else names.set(p.name, p);
    p.hostnames.forEach((h, i) => {
      const full = qualify(h, p.dnsDomain);
      const other = hosts.get(full);
      // A name inside a child zone another pool uses lives in that zone:
      // writing it through its parent's zone would miss its records.
      const own = zoneOf(p.dnsDomain);
      const child = zones.find((z) =>
        z !== own && z.endsWith(`.${own}`) &&
        (full === z || full.endsWith(`.${z}`))
      );
      if (child) {
        errors.push({
          path: `${p.path}.hostnames[${i}]`,
          message: `${
            JSON.stringify(full)
          } is inside the zone "${child}" another pool uses, not in "${own}": give it to a pool of that zone`,
        });
      } else if (other && other !== p) {
        errors.push({
          path: `${p.path}.hostnames[${i}]`,
          message: `${JSON.stringify(full)} is already a name of pool ${
            JSON.stringify(other.name)
          }: a name holds one pool's IPs`,
        });
      } else hosts.set(full, p);
    });
  }
}
