/**
 * The agent's own metrics, declared once: names, help texts and labels, and
 * typed handles to update them.
 * @module
 */
import { type Counter, type Gauge, type Kind, Registry } from "./metrics.ts";

/**
 * Every metric the agent exports: handle name → `[kind, name, help, labels?]`.
 * Counter names get `_total` appended; all names get the `goavail_` prefix.
 */
// deno-fmt-ignore
export const AGENT_METRICS = {
  targetRttSeconds: ["gauge", "target_rtt_seconds", "Last probe round-trip time.", ["pool", "ip"]],
  targetProbeTimeoutSeconds: ["gauge", "target_probe_timeout_seconds", "How long the next probe waits for its reply (adaptive: the target's RTO).", ["pool", "ip"]],
  targetLossRatio: ["gauge", "target_loss_ratio", "Share of probes lost in the last minute.", ["pool", "ip"]],
  targetUp: ["gauge", "target_up", "Local verdict: 1 up, 0 down.", ["pool", "ip"]],
  targetDrained: ["gauge", "target_drained", "1 while an operator has drained the IP (goavail drain): its records are withdrawn as if it were down, within the guards.", ["pool", "ip"]],
  targetInDns: ["gauge", "target_in_dns", "1 when the IP's records are in DNS.", ["pool", "ip"]],
  clusterVotesDown: ["gauge", "cluster_votes_down", "Agents (this one and live peers) that see the IP down.", ["pool", "ip"]],
  probesSent: ["counter", "probes_sent", "Probes sent."],
  probeReplies: ["counter", "probe_replies", "Probe replies received in time."],
  probeTimeouts: ["counter", "probe_timeouts", "Probes that got no reply in time."],
  probeLateReplies: ["counter", "probe_late_replies", "Replies that came after their timeout."],
  probeLocalFaults: ["counter", "probe_local_faults", "Probe send errors on this host (EHOSTUNREACH, EPERM, ...)."],
  peersLive: ["gauge", "peers_live", "Peers with a recent valid heartbeat."],
  peersConfigured: ["gauge", "peers_configured", "Peers in the configuration."],
  guardIsolated: ["gauge", "guard_isolated", "1 while the self-isolation guard holds DNS writes back."],
  targetHeld: ["gauge", "target_write_held", "1 for the reason the write decision leaves the IP's records as they are (lib/write/SAFETY.md).", ["pool", "ip", "reason"]],
  writerActive: ["gauge", "writer_active", "1 while this agent is the cluster's DNS writer and may write."],
  dnsWrites: ["counter", "dns_writes", "DNS record writes by result (ok, error, dry_run).", ["result"]],
  dnsCredentialsRejected: ["gauge", "dns_credentials_rejected", "1 while Cloudflare refuses this agent's API token/key: DNS writes are blocked until a call succeeds or a reload brings new credentials."],
  dnsApiCalls: ["counter", "dns_api_calls", "DNS API requests sent, by kind (read, write).", ["kind"]],
  dnsApiCalls5m: ["gauge", "dns_api_calls_5m", "DNS API requests this agent sent in the last 5 minutes (Cloudflare allows 1,200 per user in that window, shared by everything on the account)."],
  dnsApiBudget5m: ["gauge", "dns_api_budget_5m", "DNS API requests this agent allows itself per 5 minutes (cloudflare.api_budget_share of 1,200); drift repair is spaced to stay below it."],
  dnsApiRemaining: ["gauge", "dns_api_ratelimit_remaining", "Requests left in the account's current rate-limit window, from the last Cloudflare Ratelimit header (absent until one came)."],
  dnsApiRemainingReset: ["gauge", "dns_api_ratelimit_reset_seconds", "Seconds until that rate-limit window resets, as of the scrape."],
  dnsApiQuota: ["gauge", "dns_api_ratelimit_quota", "The account's quota from the last Cloudflare Ratelimit-Policy header."],
  dnsDriftSkipped: ["counter", "dns_drift_reads_skipped", "Periodic drift reads not made, by reason: not_writer (a cluster agent that does not write reads only before a write), spacing, window, server (the API budget holds drift repair).", ["reason"]],
  dnsApiErrors: ["counter", "dns_api_errors", "DNS API errors by kind (auth, config, rate_limited, server, conflict, bad_request).", ["kind"]],
  configReloads: ["counter", "config_reloads", "Configuration reloads by result (ok, error).", ["result"]],
  peerMessagesRejected: ["counter", "peer_messages_rejected", "Peer messages rejected by reason.", ["reason"]],
  notificationsSent: ["counter", "notifications", "Notifications sent by channel (webhook, slack) and result (ok, error).", ["channel", "result"]],
  notificationsDropped: ["counter", "notifications_dropped", "Notifications dropped because the queue was full."],
  buildInfo: ["gauge", "build_info", "Build information; always 1.", ["version", "deno"]],
  startTimeSeconds: ["gauge", "start_time_seconds", "Unix time the agent started."],
} as const;

type Spec = readonly [Kind, string, string, (readonly string[])?];
type HandleOf<S extends Spec> = S extends
  readonly [infer K, string, string, readonly (infer L extends string)[]]
  ? K extends "counter" ? Counter<L> : Gauge<L>
  : S[0] extends "counter" ? Counter
  : Gauge;

/** Handles of every metric in {@linkcode AGENT_METRICS}, plus their registry. */
export type AgentMetrics =
  & {
    readonly [K in keyof typeof AGENT_METRICS]: HandleOf<
      (typeof AGENT_METRICS)[K]
    >;
  }
  & { readonly registry: Registry };

/**
 * Declares the agent's metrics once, with known label values pre-created at
 * 0 so rates work from the first scrape.
 * @param build version strings for `goavail_build_info`
 * @param startedAtMs wall-clock start time, ms since the epoch
 * @returns the handles, all in one fresh {@linkcode Registry}
 */
export function createAgentMetrics(
  build: { version: string; deno?: string },
  startedAtMs: number = Date.now(),
): AgentMetrics {
  const registry = new Registry();
  const out: Record<string, unknown> = { registry };
  for (const [key, spec] of Object.entries(AGENT_METRICS) as [string, Spec][]) {
    const [kind, name, help, labelNames] = spec;
    out[key] = kind === "counter"
      ? registry.counter({ name: `goavail_${name}_total`, help, labelNames })
      : registry.gauge({ name: `goavail_${name}`, help, labelNames });
  }
  const m = out as AgentMetrics;
  for (const result of ["ok", "error", "dry_run"]) {
    m.dnsWrites.inc({ result }, 0);
  }
  for (const result of ["ok", "error"]) m.configReloads.inc({ result }, 0);
  for (const kind of ["read", "write"]) m.dnsApiCalls.inc({ kind }, 0);
  const deno = build.deno ?? Deno.version.deno;
  m.buildInfo.set({ version: build.version, deno }, 1);
  m.startTimeSeconds.set(startedAtMs / 1000);
  return m;
}
