/**
 * Withdrawn records: the snapshots in the state store (each one a record
 * goavail removed and will put back), and whether the config still manages
 * them. A record whose IP, hostname or zone left the config is never
 * restored by the agent; it must not vanish silently, so the agent warns at
 * start and on each reload that drops one, keeps the snapshot, and
 * `goavail snapshots` / `goavail restore` show and restore it.
 * @module
 */
import type { Config } from "../config/types.ts";
import {
  canonicalIp,
  type DnsRecord,
  fqdn,
  recordTypeOf,
} from "../dns/provider.ts";
import type { Logger } from "../observe/log.ts";
import type { SnapshotInfo } from "./state_file.ts";
import type { SnapshotOrigin } from "./state_store.ts";
import { isCluster } from "./config_view.ts";

/** One saved snapshot, with where it came from when known. */
export interface Withdrawn {
  /** Its key in the state store. */
  key: string;
  record: DnsRecord;
  info: SnapshotInfo | null;
}

/** Why a config does not manage a withdrawn record. */
export type UnmanagedReason = "zone" | "hostname" | "ip";

/** What a state store (or state file) offers to list withdrawn records. */
export interface SnapshotSource {
  snapshots(): ReadonlyMap<string, DnsRecord>;
  snapshotInfo(): ReadonlyMap<string, SnapshotInfo>;
}

/**
 * @param source the state store
 * @returns every withdrawn record, sorted by name, type and content
 */
export function withdrawnRecords(source: SnapshotSource): Withdrawn[] {
  const info = source.snapshotInfo();
  return [...source.snapshots()].map(([key, record]) => ({
    key,
    record,
    info: info.get(key) ?? null,
  })).sort((a, b) => compare(a.record, b.record));
}

function compare(a: DnsRecord, b: DnsRecord): number {
  return a.name.localeCompare(b.name) || a.type.localeCompare(b.type) ||
    a.content.localeCompare(b.content);
}

/**
 * @param w a withdrawn record
 * @param config the config to check against
 * @returns why `config` does not manage it; empty when it does (the agent
 *   then restores it itself once its IP is up)
 */
export function unmanagedReasons(
  w: Withdrawn,
  config: Config,
): UnmanagedReason[] {
  const cf = config.cloudflare;
  const pools: ManagedSet[] = config.pools?.length
    ? config.pools
    : [{ ...cf, backupIps: [] }];
  // Managed when some pool manages it; else the reasons of the closest pool.
  // (A pool of the record's zone is closer than any other.)
  const distance = (r: UnmanagedReason[]) => r.includes("zone") ? 10 : r.length;
  let best: UnmanagedReason[] | null = null;
  for (const p of pools) {
    const reasons = reasonsFor(w, p);
    if (best === null || distance(reasons) < distance(best)) best = reasons;
  }
  return best ?? ["zone"];
}

/** What a pool manages: its zone, names, IPs and backups. */
interface ManagedSet {
  dnsDomain: string;
  hostnames: readonly string[];
  ipAddresses: readonly string[];
  backupIps: readonly string[];
}

function reasonsFor(w: Withdrawn, p: ManagedSet): UnmanagedReason[] {
  const zone = fqdn("@", p.dnsDomain);
  const name = w.record.name.toLowerCase();
  if (
    (w.info?.zone && fqdn("@", w.info.zone) !== zone) ||
    (name !== zone && !name.endsWith(`.${zone}`))
  ) {
    return ["zone"];
  }
  const out: UnmanagedReason[] = [];
  if (!p.hostnames.some((h) => fqdn(h, zone) === name)) out.push("hostname");
  const ip = canonicalIp(w.record.content);
  if (
    recordTypeOf(ip) !== w.record.type ||
    ![...p.ipAddresses, ...p.backupIps].some((a) => canonicalIp(a) === ip)
  ) {
    out.push("ip");
  }
  return out;
}

/** A withdrawn record and why a config leaves it out. */
export interface Unmanaged {
  withdrawn: Withdrawn;
  reasons: UnmanagedReason[];
}

/**
 * @param all the withdrawn records
 * @param next the config now in force
 * @param prev the config before (on a reload): only records it managed are
 *   returned, so a reload does not repeat older warnings
 * @returns the records `next` does not manage
 */
export function unmanagedRecords(
  all: readonly Withdrawn[],
  next: Config,
  prev?: Config,
): Unmanaged[] {
  return all.map((withdrawn) => ({
    withdrawn,
    reasons: unmanagedReasons(withdrawn, next),
  })).filter((u) =>
    u.reasons.length > 0 &&
    (!prev || unmanagedReasons(u.withdrawn, prev).length === 0)
  );
}

const REASON_TEXT: Record<UnmanagedReason, string> = {
  zone: "its zone is not the config's dns_domain",
  hostname: "its hostname left the config",
  ip: "its IP left the config",
};

/**
 * Logs one warning per record the config does not manage.
 * @param log where to warn
 * @param items from {@linkcode unmanagedRecords}
 * @param stateFile the state file holding the snapshots
 */
export function warnUnmanaged(
  log: Logger,
  items: readonly Unmanaged[],
  stateFile: string | null,
): void {
  for (const { withdrawn: { record: r }, reasons } of items) {
    log.warn(
      `Withdrawn record ${r.type} ${r.name} ${r.content} is not managed by ` +
        `the config (${reasons.map((x) => REASON_TEXT[x]).join(", ")}), ` +
        `so it will not be restored; its snapshot is kept${
          stateFile ? ` in "${stateFile}"` : ""
        }. "goavail snapshots" lists it, "goavail restore ${r.content}" ` +
        "puts it back",
      {
        type: r.type,
        name: r.name,
        content: r.content,
        reason: reasons.join(","),
      },
    );
  }
}

/**
 * @param config the config in force
 * @param hostname this machine's name, when known
 * @returns what snapshots taken now are recorded with: the node id in a
 *   cluster, else the host name
 */
export function snapshotOrigin(
  config: Config,
  hostname?: string | null,
): SnapshotOrigin {
  const zone = fqdn("@", config.cloudflare.dnsDomain);
  const zones = [
    ...new Set([zone, ...config.pools.map((p) => fqdn("@", p.dnsDomain))]),
  ].filter((z) => z !== "");
  return {
    by: isCluster(config) ? config.members.nodeId : hostname ?? null,
    zone,
    ...(zones.length > 1 ? { zones } : {}),
  };
}
