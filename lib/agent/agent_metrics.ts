/**
 * Refreshes the agent's Prometheus metrics from its state, just before each
 * scrape: per-target gauges, probe counters (as deltas of the prober's
 * totals), peers, guards and rejected peer messages.
 * @module
 */
import type { RejectReason } from "../cluster/types.ts";
import type { ProbeStats } from "../probe/types.ts";
import type { TargetStatus } from "../observe/status.ts";
import type { Agent } from "./agent.ts";
import { targetStatuses } from "./agent_status.ts";

const lastHolds = new WeakMap<Agent, Map<string, Held>>();
const lastTargets = new WeakMap<Agent, Map<string, TargetStatus>>();
const lastStats = new WeakMap<
  Agent,
  { prober: unknown; stats: ProbeStats; rejected: Map<string, number> }
>();

/** Brings every metric of `agent` up to date. */
export function collectMetrics(agent: Agent): void {
  const m = agent.metrics;
  const now = agent.deps.clock.now();
  const targets = targetStatuses(agent);
  forgetGone(agent, targets);
  for (const t of targets) {
    const at = { pool: t.pool, ip: t.ip };
    if (t.lastRttMicros !== null) {
      m.targetRttSeconds.set(at, t.lastRttMicros / 1e6);
    }
    if (t.probeTimeoutMicros !== null) {
      m.targetProbeTimeoutSeconds.set(at, t.probeTimeoutMicros / 1e6);
    }
    if (t.lossLastMinute !== null) m.targetLossRatio.set(at, t.lossLastMinute);
    m.targetUp.set(at, t.verdict === "up" ? 1 : 0);
    m.targetDrained.set(at, t.drained ? 1 : 0);
    if (t.inDns !== null) m.targetInDns.set(at, t.inDns ? 1 : 0);
    m.clusterVotesDown.set(at, t.votesDown);
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
  collectHolds(agent, targets);
}

/** One `target_write_held` series per (pool, IP), for its current reason. */
function collectHolds(agent: Agent, targets: readonly TargetStatus[]): void {
  const m = agent.metrics;
  const before = lastHolds.get(agent) ?? new Map<string, Held>();
  const now = new Map<string, Held>();
  for (const t of targets) {
    if (t.hold === null) continue;
    now.set(`${t.pool}/${t.ip}`, { pool: t.pool, ip: t.ip, reason: t.hold });
  }
  for (const [key, held] of before) {
    if (now.get(key)?.reason !== held.reason) m.targetHeld.remove(held);
  }
  for (const held of now.values()) m.targetHeld.set(held, 1);
  lastHolds.set(agent, now);
}

/**
 * Drops the per-target series of every (pool, IP) the last scrape showed
 * and this one does not (a reload removed the target or its pool).
 */
function forgetGone(agent: Agent, targets: readonly TargetStatus[]): void {
  const m = agent.metrics;
  const now = new Map(targets.map((t) => [`${t.pool}/${t.ip}`, t]));
  for (const [key, t] of lastTargets.get(agent) ?? []) {
    if (now.has(key)) continue;
    const at = { pool: t.pool, ip: t.ip };
    m.targetRttSeconds.remove(at);
    m.targetProbeTimeoutSeconds.remove(at);
    m.targetLossRatio.remove(at);
    m.targetUp.remove(at);
    m.targetDrained.remove(at);
    m.targetInDns.remove(at);
    m.clusterVotesDown.remove(at);
  }
  lastTargets.set(agent, now);
}

interface Held {
  pool: string;
  ip: string;
  reason: string;
}

function zeroStats(): ProbeStats {
  return { sent: 0, received: 0, late: 0, timeouts: 0, localFaults: 0 };
}
