/**
 * Refreshes the agent's Prometheus metrics from its state, just before each
 * scrape: per-target gauges, probe counters (as deltas of the prober's
 * totals), peers, guards and rejected peer messages.
 * @module
 */
import type { RejectReason } from "../cluster/types.ts";
import type { ProbeStats } from "../probe/types.ts";
import { DEFAULT_POOL } from "../config/types.ts";
import type { Agent } from "./agent.ts";
import { holdOf } from "./agent_status.ts";

const lastHolds = new WeakMap<Agent, Map<string, string>>();
const lastStats = new WeakMap<
  Agent,
  { prober: unknown; stats: ProbeStats; rejected: Map<string, number> }
>();

/** Brings every metric of `agent` up to date. */
export function collectMetrics(agent: Agent): void {
  const m = agent.metrics;
  const now = agent.deps.clock.now();
  for (const s of agent.health.states()) {
    const ip = s.ip;
    if (s.lastRttMicros !== null) {
      m.targetRttSeconds.set({ ip }, s.lastRttMicros / 1e6);
    }
    const timeout = agent.prober.probeTimeoutMicros(ip);
    if (timeout !== null) {
      m.targetProbeTimeoutSeconds.set({ ip }, timeout / 1e6);
    }
    const loss = agent.loss.loss(ip, now);
    if (loss !== null) m.targetLossRatio.set({ ip }, loss);
    m.targetUp.set({ ip }, s.verdict === "up" ? 1 : 0);
    m.targetDrained.set(
      { pool: DEFAULT_POOL, ip },
      agent.drains.get(DEFAULT_POOL, ip) ? 1 : 0,
    );
    const inDns = agent.dns.inDns(ip);
    if (inDns !== null) m.targetInDns.set({ ip }, inDns ? 1 : 0);
    m.clusterVotesDown.set({ ip }, agent.decided?.ips.get(ip)?.downVotes ?? 0);
  }
  const prev = lastStats.get(agent);
  const stats = agent.prober.stats();
  const base = prev && prev.prober === agent.prober ? prev.stats : zeroStats();
  m.probesSent.inc(stats.sent - base.sent);
  m.probeReplies.inc(stats.received - base.received);
  m.probeTimeouts.inc(stats.timeouts - base.timeouts);
  m.probeLateReplies.inc(stats.late - base.late);
  m.probeLocalFaults.inc(stats.localFaults - base.localFaults);
  const rejected = new Map(prev?.rejected ?? []);
  const counts = agent.membership?.rejections.snapshot() ??
    {} as Record<RejectReason, number>;
  for (const [reason, n] of Object.entries(counts)) {
    const delta = n - (rejected.get(reason) ?? 0);
    if (delta > 0) m.peerMessagesRejected.inc({ reason }, delta);
    rejected.set(reason, n);
  }
  lastStats.set(agent, { prober: agent.prober, stats, rejected });
  m.peersConfigured.set(agent.config.members.peers.length);
  m.peersLive.set(agent.membership?.liveIds().length ?? 0);
  m.guardIsolated.set(agent.isolation.isolated ? 1 : 0);
  m.writerActive.set(agent.decided?.role.active ? 1 : 0);
  m.dnsCredentialsRejected.set(agent.reconciler.credentialsRejected ? 1 : 0);
  m.dnsApiCalls5m.set(agent.apiCalls.count(agent.deps.clock.now()));
  m.dnsApiBudget5m.set(agent.apiBudget.allowance);
  const limit = agent.rateLimit;
  if (limit) {
    m.dnsApiRemaining.set(limit.remaining);
    m.dnsApiRemainingReset.set(Math.max(0, (limit.resetAtMs - now) / 1000));
    if (limit.quota !== null) m.dnsApiQuota.set(limit.quota);
  }
  collectHolds(agent);
}

/** One `target_write_held` series per IP, for its current reason. */
function collectHolds(agent: Agent): void {
  const m = agent.metrics;
  const before = lastHolds.get(agent) ?? new Map<string, string>();
  const now = new Map<string, string>();
  for (const s of agent.health.states()) {
    const reason = holdOf(agent, s.ip);
    if (reason !== null) now.set(s.ip, reason);
  }
  for (const [ip, reason] of before) {
    if (now.get(ip) !== reason) m.targetHeld.remove({ ip, reason });
  }
  for (const [ip, reason] of now) m.targetHeld.set({ ip, reason }, 1);
  lastHolds.set(agent, now);
}

function zeroStats(): ProbeStats {
  return { sent: 0, received: 0, late: 0, timeouts: 0, localFaults: 0 };
}
