/**
 * Gathers the write decision's input from the agent's live state: own
 * verdicts and their trust, the isolation facts, the cluster's votes. The
 * decision itself is pure (lib/write/); this file only reads.
 * @module
 */
import type { Config } from "../config/types.ts";
import { fqdn } from "../dns/provider.ts";
import type { HealthTable } from "../health/table.ts";
import type { PeerView } from "../cluster/types.ts";
import type { Membership } from "../cluster/membership.ts";
import type {
  ClusterFacts,
  SelfFacts,
  WriteInput,
  WriteMemory,
  WriteSettings,
} from "../write/types.ts";
import { canonicalIp } from "../net/ip.ts";
import { DNS_CALL_BOUND_MS } from "../write/in_doubt.ts";
import { DEFAULT_POOL, type WritePool } from "../write/pools.ts";

/** What {@linkcode writeInput} reads. */
export interface WriteSources {
  now: number;
  config: Config;
  health: HealthTable;
  /** The `[[pool]]`s' verdicts, by target key. */
  pools?: {
    view(): PeerView;
    unsettled(): ReadonlySet<string>;
  };
  /** Null when no cluster link runs. */
  membership: Membership | null;
  /** The config says cluster. */
  clusterExpected: boolean;
  unsettled: ReadonlySet<string>;
  warmingUp: boolean;
  dnsBlocked: boolean;
  memory: WriteMemory;
  /** IPs an operator drained (canonical). @default none */
  drained?: ReadonlySet<string>;
}

/**
 * @param config the config in force
 * @returns the write decision's settings
 */
export function writeSettings(config: Config): WriteSettings {
  let settings = settingsOfConfig.get(config);
  if (!settings) {
    settings = Object.freeze(buildSettings(config));
    settingsOfConfig.set(config, settings);
  }
  return settings;
}

/** {@linkcode writeSettings} by config (see {@linkcode poolsOfConfig}). */
const settingsOfConfig = new WeakMap<Config, WriteSettings>();

function buildSettings(config: Config): WriteSettings {
  const cf = config.cloudflare;
  const m = config.members;
  const pools = writePools(config);
  return {
    names: [...new Set(pools.flatMap((p) => p.names))],
    ips: [...new Set(pools.flatMap((p) => p.ips))],
    pools,
    minPeersAgree: m.minPeersAgree,
    guards: {
      minRecords: config.minRecords,
      maxRemovalsFraction: config.maxRemovalsFraction,
    },
    defaults: { ttl: cf.ttl, proxied: cf.proxied },
    handoverMs: handoverMs(m.peerTimeout, m.heartbeatInterval),
  };
}

/**
 * @param config the config in force
 * @returns its pools as the write decision plans them; a config of the
 *   provider section alone is the one pool `default`, as before pools
 */
export function writePools(config: Config): readonly WritePool[] {
  let pools = poolsOfConfig.get(config);
  if (!pools) {
    pools = Object.freeze(buildPools(config));
    poolsOfConfig.set(config, pools);
  }
  return pools;
}

/**
 * {@linkcode writePools} by config: a config is never changed once loaded
 * (a reload builds a new one), and every pass, status read and scrape asks.
 */
const poolsOfConfig = new WeakMap<Config, readonly WritePool[]>();

function buildPools(config: Config): WritePool[] {
  const cf = config.cloudflare;
  // A config built by hand without pools is the section alone.
  const pools = config.pools?.length ? config.pools : [{
    name: DEFAULT_POOL,
    dnsDomain: cf.dnsDomain,
    hostnames: cf.hostnames,
    ipAddresses: cf.ipAddresses,
    backupIps: [] as string[],
    minRecords: config.minRecords,
    maxRemovalsFraction: config.maxRemovalsFraction,
    ttl: cf.ttl,
    proxied: cf.proxied,
  }];
  return pools.map((p) => ({
    name: p.name,
    names: [...new Set(p.hostnames.map((h) => fqdn(h, p.dnsDomain)))],
    ips: [...new Set(p.ipAddresses.map((ip) => canonicalIp(ip) ?? ip))],
    backups: [
      ...new Set(p.backupIps.map((ip) => canonicalIp(ip) ?? ip)),
    ],
    guards: {
      minRecords: p.minRecords,
      maxRemovalsFraction: p.maxRemovalsFraction,
    },
    defaults: { ttl: p.ttl, proxied: p.proxied },
  }));
}

/**
 * How long a new writer waits (SAFETY.md, rule H): the previous writer
 * stops counting itself acknowledged at most `peer_timeout` plus one
 * heartbeat after the new one stopped hearing of it, and a call it sent
 * just before may still land for {@linkcode DNS_CALL_BOUND_MS}.
 * @param peerTimeoutSec `members.peer_timeout`
 * @param heartbeatSec `members.heartbeat_interval`
 * @returns milliseconds
 */
export function handoverMs(
  peerTimeoutSec: number,
  heartbeatSec: number,
): number {
  return Math.round((peerTimeoutSec + heartbeatSec) * 1000) +
    DNS_CALL_BOUND_MS;
}

/** @returns the write decision's input, read from the agent now. */
export function writeInput(src: WriteSources): WriteInput {
  const summary = src.health.summary();
  const faulty = summary.lastLocalFault > 0
    ? src.health.states().find((s) => s.last === "local")
    : undefined;
  const m = src.membership;
  const self: SelfFacts = {
    nodeId: m?.nodeId ?? src.config.members.nodeId,
    view: { ...src.health.view(), ...src.pools?.view() },
    unsettled: src.pools
      ? new Set([...src.unsettled, ...src.pools.unsettled()])
      : src.unsettled,
    isolation: {
      targets: summary.total,
      down: summary.down,
      lastMissed: summary.lastMissed,
      lastLocalFault: summary.lastLocalFault,
      localFaultDetail: faulty?.lastDetail ?? null,
      lostAllPeers: m?.lostAllPeers() ?? false,
    },
    dnsBlocked: src.dnsBlocked,
  };
  const cluster: ClusterFacts | null = src.clusterExpected
    ? {
      linked: m !== null,
      configuredPeers: m?.peerIds ?? [],
      live: m ? m.liveViews() : [],
      warmingUp: src.warmingUp,
    }
    : null;
  return {
    now: src.now,
    settings: { ...writeSettings(src.config), drained: src.drained },
    self,
    cluster,
    memory: src.memory,
  };
}
