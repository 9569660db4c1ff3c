/**
 * The `/status` document, assembled from the agent's live state.
 * @module
 */
import { DEFAULT_POOL } from "../config/types.ts";
import { canonicalIp } from "../dns/provider.ts";
import type { StatusSnapshot, TargetStatus } from "../observe/status.ts";
import { VERSION } from "../version.ts";
import type { HoldReason } from "../write/types.ts";
import type { Agent } from "./agent.ts";
import { writePools } from "./write_facts.ts";
import type { SummaryFacts } from "./progress_log.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** @returns the status document of `agent` right now. */
export function statusSnapshot(agent: Agent): StatusSnapshot {
  const now = agent.deps.clock.now();
  const c = agent.config;
  const paused = writesPaused(agent);
  return {
    version: VERSION,
    node: c.members.nodeId,
    dryRun: agent.dns.dryRun,
    startedAt: iso(agent.startedAt),
    config: {
      interval: c.interval,
      failureThreshold: c.failureThreshold,
      recoveryThreshold: c.recoveryThreshold,
      hostnames: [...c.cloudflare.hostnames],
      path: agent.deps.configPath,
    },
    targets: targetStatuses(agent),
    peers: (agent.membership?.peerStatus() ?? []).map((p) => ({
      addr: p.id,
      live: p.live,
      lastSeen: p.lastSeenAgoMs === null ? null : iso(now - p.lastSeenAgoMs),
    })),
    dns: {
      provider: agent.dns.dryRun ? "dry-run" : c.dnsProvider,
      lastActions: agent.dns.actions().map((a) => ({
        at: iso(a.at),
        action: a.action,
        hostname: a.hostname,
        type: a.type,
        ip: a.ip,
        result: a.result,
      })),
      writesPaused: paused,
    },
    guards: {
      isolated: agent.isolation.isolated,
      reason: agent.isolation.reason,
    },
    writer: {
      node: agent.decided?.role.writer ?? null,
      active: agent.decided?.role.active ?? false,
      reason: agent.decided?.role.reason ?? null,
    },
  };
}

/**
 * @returns one row per (pool, IP): the pool `default` first, then every
 *   `[[pool]]` with a check of its own (for `/status` and metrics)
 */
export function targetStatuses(agent: Agent): TargetStatus[] {
  const now = agent.deps.clock.now();
  return [...defaultTargets(agent, now), ...poolTargets(agent)];
}

/** @returns the rows of the pool `default`, checked by the agent's prober */
function defaultTargets(agent: Agent, now: number): TargetStatus[] {
  return agent.health.states().map((s) => {
    const d = agent.decided?.ips.get(s.ip);
    const change = agent.lastChange.get(s.ip);
    return {
      pool: DEFAULT_POOL,
      ip: s.ip,
      verdict: s.verdict,
      since: iso(s.since),
      lastRttMicros: s.lastRttMicros,
      probeTimeoutMicros: agent.prober.probeTimeoutMicros(s.ip),
      lossLastMinute: agent.loss.loss(s.ip, now),
      inDns: agent.dns.inDns(s.ip, namesOf(agent, DEFAULT_POOL)),
      lastChange: change ? { at: iso(change.at), reason: change.reason } : null,
      clusterDown: d ? d.downVotes >= d.needed : s.verdict === "down",
      votesDown: d?.downVotes ?? (s.verdict === "down" ? 1 : 0),
      votesUp: d?.upVotes ?? (s.verdict === "up" ? 1 : 0),
      hold: holdOf(agent, s.ip),
      backup: false,
      drained: drainOf(agent, DEFAULT_POOL, s.ip),
    };
  });
}

/**
 * @returns the rows of the `[[pool]]`s with checks of their own, keyed in
 *   the write decision by `pool/IP`; no loss window is kept for them
 */
function poolTargets(agent: Agent): TargetStatus[] {
  return agent.poolChecks.targets().map((t) => {
    const s = t.health;
    const d = agent.decided?.ips.get(t.key);
    const change = agent.lastChange.get(t.key);
    return {
      pool: t.pool,
      ip: s.ip,
      verdict: s.verdict,
      since: iso(s.since),
      lastRttMicros: s.lastRttMicros,
      probeTimeoutMicros: t.probeTimeoutMicros,
      lossLastMinute: null,
      inDns: agent.dns.inDns(s.ip, namesOf(agent, t.pool)),
      lastChange: change ? { at: iso(change.at), reason: change.reason } : null,
      clusterDown: d ? d.downVotes >= d.needed : s.verdict === "down",
      votesDown: d?.downVotes ?? (s.verdict === "down" ? 1 : 0),
      votesUp: d?.upVotes ?? (s.verdict === "up" ? 1 : 0),
      hold: holdOf(agent, t.key),
      backup: isBackup(agent, t.pool, s.ip),
      drained: drainOf(agent, t.pool, s.ip),
    };
  });
}

/** @returns the fully qualified names of `pool`; undefined if unknown */
function namesOf(agent: Agent, pool: string): readonly string[] | undefined {
  return writePools(agent.config).find((p) => p.name === pool)?.names;
}

/** @returns whether `ip` is one of `pool`'s `backup_ips` */
function isBackup(agent: Agent, pool: string, ip: string): boolean {
  const p = writePools(agent.config).find((w) => w.name === pool);
  return p?.backups?.includes(canonicalIp(ip)) ?? false;
}

function drainOf(
  agent: Agent,
  pool: string,
  ip: string,
): TargetStatus["drained"] {
  const d = agent.drains.get(pool, ip);
  return d ? { reason: d.reason, by: d.by, at: iso(d.at) } : null;
}

/** @returns why DNS writes stop, as the status page shows it; null if not. */
function writesPaused(agent: Agent): string | null {
  const blocked = agent.reconciler.blockedBy;
  if (blocked?.kind === "config") {
    return `DNS writes blocked: ${blocked.message}`;
  }
  const rejected = agent.reconciler.credentialsRejected;
  if (rejected) {
    const codes = rejected.codes.length > 0
      ? `, codes ${rejected.codes.join(", ")}`
      : "";
    return `DNS writes blocked: credentials rejected (HTTP ${
      rejected.status ?? "?"
    }${codes}); the error log says what to check`;
  }
  return agent.lastReport?.status === "rate_limited"
    ? "DNS writes paused: the DNS API's rate limit"
    : null;
}

/**
 * @returns why the agent leaves `ip` as it is: the last plan's reason when the
 * agent planned, else the first stage's (a non-writer plans nothing).
 */
export function holdOf(agent: Agent, ip: string): HoldReason | null {
  const early = agent.decided?.ips.get(ip)?.hold ?? null;
  if (early !== null || !agent.decided?.role.active) return early;
  return agent.lastPlan?.holds.get(ip) ?? null;
}

/**
 * @returns what the periodic summary line reports: verdicts, the IPs whose
 *   records are still to change (when this agent writes), peers live
 */
export function summaryFacts(agent: Agent): SummaryFacts {
  const states = agent.health.states();
  const writing = agent.decided?.role.active ?? false;
  const peers = agent.membership?.peerStatus() ?? [];
  return {
    up: states.filter((s) => s.verdict === "up").map((s) => s.ip),
    down: states.filter((s) => s.verdict === "down").map((s) => s.ip),
    pending: writing
      ? states.map((s) => s.ip).filter((ip) => {
        const hold = holdOf(agent, ip);
        return hold === null || hold === "not_applied";
      })
      : null,
    writer: agent.decided?.role.writer ?? null,
    peersLive: peers.filter((p) => p.live).length,
    peersTotal: peers.length,
  };
}
