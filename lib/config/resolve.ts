/**
 * Checked keys → the resolved {@linkcode Config}: defaults filled in, and the
 * checks that span several keys (cluster completeness, quorum size, keys).
 * @module
 */
import type { CheckedTree, ConfigIssue } from "./load.ts";
import type { SlackAddr } from "./rules.ts";
import { DEFAULT_MEMBERS_PORT } from "./schema.ts";
import { cloudflareWarnings } from "./cloudflare_checks.ts";
import type { CloudflareConfig, Config, ProbeType } from "./types.ts";
import { DEFAULT_API_BUDGET_SHARE } from "./types.ts";
import { resolveRoute53 } from "./route53_resolve.ts";
import { requireKeys } from "./required.ts";
import { withDnsProvider } from "./dns_pool.ts";
import { checkAcrossPools, resolvePools } from "./pools.ts";

/** Where the agent keeps its state unless told otherwise. */
export const DEFAULT_STATE_DIR = "/var/lib/goavail";

/**
 * Builds the config, appending cross-key problems to `errors`.
 * @returns the config (meaningful only when `errors` stayed empty)
 */
export function resolve(
  tree: CheckedTree,
  errors: ConfigIssue[],
  warnings: string[],
): Config {
  const top = tree.values[""] ?? {};
  const m = tree.values.members ?? {};
  const cf = tree.values.cloudflare ?? {};
  const pathOf = (p: string) => tree.paths[p] ?? p;
  const fail = (p: string, message: string) =>
    errors.push({ path: pathOf(p), message });
  const get = <T>(
    o: Record<string, unknown>,
    k: string,
    d: T,
  ): T => (k in o ? o[k] as T : d);

  const interval = get(top, "interval", 1);
  const failureThreshold = get(top, "failure_threshold", 3);
  const retryInterval = get<number | null>(top, "retry_interval", null);
  if (retryInterval !== null && retryInterval >= interval) {
    fail(
      "retry_interval",
      `must be shorter than "interval" (${interval} s), got ${retryInterval}`,
    );
  }
  if (retryInterval === null && get(top, "recovery_retry", false)) {
    warnings.push(
      `"${pathOf("recovery_retry")}" has no effect without "retry_interval"`,
    );
  }
  const ports = get<number[]>(top, "ports", []);
  if (ports.length > 1 && !("port" in top)) {
    warnings.push(
      `"ports" lists ${ports.length} ports; only the first (${
        ports[0]
      }) is probed`,
    );
  }

  const members = resolveMembers(m, pathOf, fail, warnings);
  const hasCloudflare = tree.values.cloudflare !== undefined;
  const route53 = resolveRoute53(tree, errors);
  const hasPools = tree.pools.length > 0;
  // With [[pool]]s, the section is a pool only when it names hostnames or IPs.
  const cfIsPool = !hasPools || "hostnames" in cf || "ip_addresses" in cf;
  if ((hasCloudflare || !route53) && cfIsPool) {
    requireKeys(tree, errors, "cloudflare", [
      "dns_domain",
      "hostnames",
      "ip_addresses",
    ]);
  }
  const r53 = tree.values.route53 ?? {};
  const dnsProvider = route53 && (!hasCloudflare || r53.provider === "route53")
    ? "route53"
    : "cloudflare";
  const ipAddresses = dnsProvider === "route53" && route53
    ? route53.ipAddresses
    : get<string[]>(cf, "ip_addresses", []);
  const minRecords = get(top, "min_records", 1);
  if (
    ipAddresses.length > 0 && minRecords >= ipAddresses.length &&
    "min_records" in top
  ) {
    warnings.push(
      `"min_records" is ${minRecords} with ${ipAddresses.length} IPs: no record can ever be removed`,
    );
  }
  if (hasCloudflare) {
    warnings.push(...cloudflareWarnings({
      ttl: get(cf, "ttl", 1),
      ttlSet: "ttl" in cf,
      proxied: get(cf, "dns_proxied", false),
      ipAddresses: get<string[]>(cf, "ip_addresses", []),
    }, pathOf));
  }
  const slack = get<string | null>(
    tree.values.notify ?? {},
    "slack_webhook_url",
    null,
  );
  const slackAddr = get<SlackAddr | null>(top, "slack_addr", null);
  if (slack && slackAddr) {
    warnings.push(
      `"${pathOf("slack_addr")}" is ignored: "${
        pathOf("notify.slack_webhook_url")
      }" is set too`,
    );
  }
  const cloudflare: CloudflareConfig = {
    dnsDomain: get(cf, "dns_domain", ""),
    zoneId: get(cf, "zone_id", null),
    hostnames: get(cf, "hostnames", []),
    ipAddresses: get(cf, "ip_addresses", []),
    proxied: get(cf, "dns_proxied", false),
    ttl: get(cf, "ttl", 1),
    apiUrl: get(cf, "api_url", null),
    apiTokenFile: get(cf, "api_token_file", null),
    reconcileInterval: get(cf, "reconcile_interval", 60),
    apiBudgetShare: get(cf, "api_budget_share", DEFAULT_API_BUDGET_SHARE),
  };
  const sectionDomain = dnsProvider === "route53" && route53
    ? route53.awsDomain
    : cloudflare.dnsDomain;
  const pools = resolvePools(tree.pools, {
    interval,
    failureThreshold,
    recoveryThreshold: get<number | null>(top, "recovery_threshold", null),
    retryInterval,
    minRecords,
    maxRemovalsFraction: get(top, "max_removals_fraction", 0.5),
    ttl: dnsProvider === "route53" && route53 ? route53.ttl : cloudflare.ttl,
    proxied: dnsProvider === "route53" ? false : cloudflare.proxied,
    dnsDomain: sectionDomain,
    zoneId: dnsProvider === "route53" ? null : cloudflare.zoneId,
    provider: dnsProvider,
  }, errors);
  if (sectionDomain === "" && pools[0]) {
    // No provider section names the zone: the first pool's is the agent's.
    cloudflare.dnsDomain = pools[0].dnsDomain;
    cloudflare.zoneId = pools[0].zoneId;
    // Pools in other zones are Cloudflare's (Route 53: one hosted zone,
    // which its section names, so a file without one is Cloudflare's).
  }
  const withCloudflare = hasCloudflare || (!route53 && hasPools);
  const config = withDnsProvider({
    interval,
    failureThreshold,
    recoveryThreshold: get(top, "recovery_threshold", failureThreshold),
    probeType: get<ProbeType>(top, "probe_type", "icmp"),
    port: get(top, "port", ports[0] ?? 80),
    probeTimeout: get(top, "probe_timeout", Math.min(interval, 1)),
    probeTimeoutAdaptive: !("probe_timeout" in top),
    retryInterval,
    recoveryRetry: get(top, "recovery_retry", false),
    stateDir: get(top, "state_dir", DEFAULT_STATE_DIR),
    minRecords,
    maxRemovalsFraction: get(top, "max_removals_fraction", 0.5),
    dryRun: get(top, "dry_run", true),
    logLevel: get(top, "log_level", "info"),
    logFormat: get(top, "log_format", "text"),
    summaryInterval: get(top, "summary_interval", 60),
    dnsProvider,
    members,
    cloudflare,
    sections: { cloudflare: withCloudflare ? cloudflare : null, route53 },
    pools,
    status: {
      listen: get(tree.values.status ?? {}, "listen", "127.0.0.1:8000"),
    },
    notify: {
      webhookUrl: get(tree.values.notify ?? {}, "webhook_url", null),
      slackWebhookUrl: slack ?? slackAddr?.url ?? null,
      slackFormat: slack ? "json" : slackAddr?.format ?? "json",
    },
    secretFiles: [],
  }, dnsProvider);
  checkAcrossPools(
    config.pools,
    errors,
    config.dnsProvider === "cloudflare"
      ? {
        path: "cloudflare",
        dnsDomain: config.cloudflare.dnsDomain,
        zoneId: config.cloudflare.zoneId,
      }
      : undefined,
  );
  return config;
}

function resolveMembers(
  m: Record<string, unknown>,
  pathOf: (p: string) => string,
  fail: (p: string, msg: string) => void,
  warnings: string[],
): Config["members"] {
  const port = (m.members_port as number | undefined) ?? DEFAULT_MEMBERS_PORT;
  const withPort = (addr: string) =>
    /:\d+$/.test(addr) ? addr : `${addr}:${port}`;
  const peers = ((m.peers as string[] | undefined) ?? []).map(withPort);
  const localAddr = m.local_addr === undefined
    ? null
    : withPort(m.local_addr as string);
  const cluster = peers.length > 0 && localAddr !== null;
  // Unset in a cluster: a majority must agree (1 of 2 peers, 2 of 4), the
  // safe choice; a single node needs no peer.
  const minPeersAgree = (m.min_peers_agree as number | undefined) ??
    (cluster ? Math.floor((peers.length + 1) / 2) : 0);
  const repeat = peers.findIndex((p, i) => peers.indexOf(p) < i);
  if (repeat >= 0) {
    fail("members.peers", `[${repeat}] repeats "${peers[repeat]}"`);
  }
  if (peers.length > 0 && localAddr === null) {
    fail(
      "members.local_addr",
      'is required when "peers" is set (cluster mode needs both)',
    );
  }
  if (localAddr !== null && peers.length === 0 && "peers" in m) {
    fail(
      "members.peers",
      'must list at least one peer when "local_addr" is set',
    );
  }
  if (localAddr !== null && peers.includes(localAddr)) {
    fail(
      "members.peers",
      `must not include this agent's own "local_addr" (${localAddr})`,
    );
  }
  if (minPeersAgree > peers.length && "min_peers_agree" in m) {
    fail(
      "members.min_peers_agree",
      `must be from 0 to the number of peers (${peers.length}), got ${minPeersAgree}`,
    );
  }
  if (cluster && minPeersAgree === 0) {
    warnings.push(
      `"${
        pathOf("members.min_peers_agree")
      }" is 0: every agent acts on its own verdict alone`,
    );
  }
  if ("crypto_key" in m && "crypto_keys" in m) {
    fail(
      "members.crypto_keys",
      'cannot be set together with "crypto_key"; keep one',
    );
  }
  const cryptoKeys = (m.crypto_keys as string[] | undefined) ??
    (m.crypto_key === undefined ? [] : [m.crypto_key as string]);
  const insecurePlaintext = (m.insecure_plaintext as boolean | undefined) ??
    false;
  if (insecurePlaintext && cryptoKeys.length > 0) {
    warnings.push(
      '"members.insecure_plaintext" is ignored: a crypto key is set, so only heartbeats sealed with one of the keys are accepted',
    );
  }
  if (cluster && cryptoKeys.length === 0 && !insecurePlaintext) {
    fail(
      "members.crypto_key",
      'is required in cluster mode (make one with "goavail keygen"), ' +
        'or set "insecure_plaintext = true" for a lab',
    );
  }
  const heartbeatInterval = (m.heartbeat_interval as number | undefined) ?? 1;
  const peerTimeout = (m.peer_timeout as number | undefined) ??
    3 * heartbeatInterval;
  if (peerTimeout <= heartbeatInterval) {
    fail(
      "members.peer_timeout",
      `must be longer than "heartbeat_interval" (${heartbeatInterval} s), got ${peerTimeout}`,
    );
  }
  return {
    peers,
    localAddr,
    membersPort: port,
    minPeersAgree,
    cryptoKeys,
    insecurePlaintext,
    heartbeatInterval,
    peerTimeout,
    nodeId: localAddr ?? "local",
  };
}

/**
 * @returns every secret the config holds (crypto keys, webhook URLs), for
 * the logger to mask
 */
export function secretsOf(config: Config): string[] {
  return [
    ...config.members.cryptoKeys,
    config.notify.webhookUrl,
    config.notify.slackWebhookUrl,
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
}
