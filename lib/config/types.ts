/**
 * The resolved configuration: every key present, defaults filled in, names in
 * camelCase. Produced by `lib/config/load.ts`; everything else reads only this.
 * @module
 */

/**
 * The name of the one pool a config has today (the `[cloudflare]` or
 * `[route53]` section): what `/status`, drains and `goavail status` call it.
 */
export const DEFAULT_POOL = "default";

/** How targets are probed. */
export type ProbeType = "icmp" | "tcp";

/** How a pool's IPs are checked (`[pool.check] type`). */
export type CheckType = "icmp" | "tcp" | "http" | "https";

/** A pool's health check (`[pool.check]`). */
export interface CheckConfig {
  /** @default "icmp" */
  type: CheckType;
  /** TCP/HTTP(S) port; null for ICMP. @default 80 for tcp and http, 443 for https */
  port: number | null;
  /** HTTP(S) request path. @default "/" */
  path: string;
  /** Statuses that count as up; null: any 2xx or 3xx. @default null */
  expectStatus: number[] | null;
  /** Substring the first 64 KiB of the body must hold. @default null */
  expectBody: string | null;
  /** Host header and TLS SNI. @default the pool's first hostname, qualified */
  host: string;
  /** Seconds a check waits. @default min(interval, 1) */
  timeout: number;
  /** True when `timeout` is not set (ICMP then waits each IP's RTO). */
  timeoutAdaptive: boolean;
  /** Verify the server's certificate (https only). @default true */
  tlsVerify: boolean;
}

/**
 * One pool: names that hold exactly its IPs, checked its own way. The
 * original `[cloudflare]` (or `[route53]`) section is the pool `default`.
 */
export interface PoolConfig {
  /** Label in logs, metrics and the status (`default` for the section). */
  name: string;
  /** Where it was written: "pool[1]", or the provider section's name. */
  path: string;
  /** Zone name. @default the provider section's */
  dnsDomain: string;
  /** Zone id. @default null (looked up, or the provider section's) */
  zoneId: string | null;
  /** Record names relative to the zone; "@" is the apex. */
  hostnames: string[];
  /** The IPs its names hold while up, canonical. */
  ipAddresses: string[];
  /** Published only while no primary of the family is up. @default [] */
  backupIps: string[];
  /** @default the top-level value */
  minRecords: number;
  /** @default the top-level value */
  maxRemovalsFraction: number;
  /** @default the top-level value */
  failureThreshold: number;
  /** @default the top-level value */
  recoveryThreshold: number;
  /** @default the top-level value */
  interval: number;
  /** @default the top-level value */
  retryInterval: number | null;
  /** TTL of records created without a snapshot. @default the provider section's */
  ttl: number;
  /** `proxied` of records created without a snapshot. @default the section's */
  proxied: boolean;
  check: CheckConfig;
}

/** DNS providers a config may name (`-p/--dns-provider`, as the original). */
export type DnsProviderName = "cloudflare" | "route53";

/** Cluster settings (`[members]`). */
export interface MembersConfig {
  /** Peer heartbeat addresses, `host:port`. @default [] */
  peers: string[];
  /** This agent's heartbeat listen address, `host:port`; null = single node. @default null */
  localAddr: string | null;
  /** Heartbeat port used when `local_addr` or a peer has no port. @default 7947 */
  membersPort: number;
  /** Live peers that must also see an IP down before it is removed. @default 0 */
  minPeersAgree: number;
  /** Peer encryption keys; the first seals, any opens. @default [] */
  cryptoKeys: string[];
  /** Allow cluster mode without a key (lab only). @default false */
  insecurePlaintext: boolean;
  /** Seconds between heartbeats. @default 1 */
  heartbeatInterval: number;
  /** Seconds without a heartbeat before a peer stops counting. @default 3 × heartbeatInterval */
  peerTimeout: number;
  /** This agent's id in the cluster: its `local_addr`, or "local". */
  nodeId: string;
}

/** DNS settings (`[cloudflare]`). */
export interface CloudflareConfig {
  /** Zone name, e.g. "example.com". */
  dnsDomain: string;
  /** Zone id; looked up by `dns_domain` when null. @default null */
  zoneId: string | null;
  /** Record names relative to the zone; "@" is the apex. */
  hostnames: string[];
  /** The IPs watched and managed. */
  ipAddresses: string[];
  /** `proxied` for records created without a snapshot. @default false */
  proxied: boolean;
  /** TTL for records created without a snapshot; 1 = automatic. @default 1 */
  ttl: number;
  /** API base URL; `CLOUDFLARE_BASE_URL` overrides. @default null (SDK default) */
  apiUrl: string | null;
  /** File holding the API token. @default null */
  apiTokenFile: string | null;
  /** Seconds between drift-repair passes. @default 60 */
  reconcileInterval: number;
  /**
   * Share of the API budget (1,200 calls per 5 minutes) this agent may
   * spend; drift repair is spaced to stay below it. In (0, 1].
   * @default 0.25
   */
  apiBudgetShare: number;
}

/** Default of `[cloudflare] api_budget_share`. */
export const DEFAULT_API_BUDGET_SHARE = 0.25;

/** Route 53 settings (`[route53]`, the original's `[Route53]`). */
export interface Route53Config {
  /** Hosted zone name, e.g. "example.com". */
  awsDomain: string;
  /** Hosted zone id; looked up by `aws_domain` (public zones) when null. @default null */
  zoneId: string | null;
  /** AWS region for the client; null = `AWS_REGION`, else "us-east-1". @default null */
  region: string | null;
  /** Record names relative to the zone; "@" is the apex. */
  hostnames: string[];
  /** The IPs watched and managed. */
  ipAddresses: string[];
  /** TTL of a record set created without a snapshot. @default 300 */
  ttl: number;
  /** Seconds between drift-repair passes. @default 60 */
  reconcileInterval: number;
}

/** Status HTTP server (`[status]`). */
export interface StatusConfig {
  /** `host:port` of the status server; "" disables it. @default "127.0.0.1:8000" */
  listen: string;
}

/** Notifications (`[notify]`). */
export interface NotifyConfig {
  /** Generic JSON webhook. @default null */
  webhookUrl: string | null;
  /** Slack incoming webhook (also the original `slack_addr`). @default null */
  slackWebhookUrl: string | null;
  /**
   * How Slack messages are sent: "json" (`{"text": …}`), or "form" (a
   * `payload` form field, as the original goavail sent to its short
   * `slack_addr`). @default "json"
   */
  slackFormat: "json" | "form";
}

/** A `*_file` key in use (see `secret_files.ts`). */
export interface SecretFile {
  /** The key as written, e.g. "members.crypto_key_file". */
  key: string;
  /** The systemd credential that stands for it, e.g. "crypto_key". */
  credential: string;
  /** The file it names. */
  path: string;
}

/** The whole resolved configuration. */
export interface Config {
  /** Seconds between probes of one target (≥ 0.1). @default 1 */
  interval: number;
  /** Consecutive misses before an IP is down. @default 3 */
  failureThreshold: number;
  /** Consecutive replies before a down IP is up. @default failureThreshold */
  recoveryThreshold: number;
  /** Probe kind. @default "icmp" */
  probeType: ProbeType;
  /** TCP probe port (`port`, or the first of the original `ports`). @default 80 */
  port: number;
  /**
   * Seconds a probe waits for its reply: `probe_timeout`, or without it
   * min(interval, 1), the wait until a target has 3 replies when adaptive.
   * @default min(interval, 1)
   */
  probeTimeout: number;
  /**
   * True when `probe_timeout` is not set: each ICMP target then waits its
   * own RTO (RFC 6298), clamped to [50 ms, interval]. @default true
   */
  probeTimeoutAdaptive: boolean;
  /**
   * Seconds after a miss (of an IP that is still up) to probe it again,
   * until it reaches `failure_threshold` misses or answers; null: off.
   * @default null
   */
  retryInterval: number | null;
  /** Retry the same way while a down IP recovers. @default false */
  recoveryRetry: boolean;
  /** Where snapshots and verdicts are kept. @default "/var/lib/goavail" */
  stateDir: string;
  /** Records a hostname always keeps. @default 1 */
  minRecords: number;
  /** Largest share of a hostname's IPs removed at once. @default 0.5 */
  maxRemovalsFraction: number;
  /** Log intended DNS changes instead of making them. @default true */
  dryRun: boolean;
  /** Least severe level logged. @default "info" */
  logLevel: "debug" | "info" | "warn" | "error";
  /** Log line encoding. @default "text" */
  logFormat: "text" | "json";
  /**
   * Seconds between the one-line summaries `monitor` logs at info level
   * (targets up/down, DNS in sync, peers live); 0 = off. @default 60
   */
  summaryInterval: number;
  /**
   * Which provider's DNS is kept in line (`-p/--dns-provider`).
   * @default "route53" when the file has `[route53]` with `provider =
   * "route53"` or no `[cloudflare]`, else "cloudflare"
   */
  dnsProvider: DnsProviderName;
  members: MembersConfig;
  /**
   * The managed zone, names and IPs: the `[cloudflare]` section, or, when
   * the provider is Route 53, the `[route53]` section's (see
   * `lib/config/dns_pool.ts`), so probing and the write decision read one
   * place whichever provider writes.
   */
  cloudflare: CloudflareConfig;
  /** The provider sections as written; null when the file has none. */
  sections: {
    cloudflare: CloudflareConfig | null;
    route53: Route53Config | null;
  };
  /**
   * Every pool: `default` from the provider section when it names
   * hostnames, then each `[[pool]]` in file order. @default []
   */
  pools: PoolConfig[];
  status: StatusConfig;
  notify: NotifyConfig;
  /**
   * Secret files named by `*_file` keys, each with the systemd credential
   * that stands for it under a service. @default []
   */
  secretFiles: SecretFile[];
}
