/**
 * Builders for write-decision inputs: votes, listings and a three-agent
 * cluster over one name with two IPv4 IPs and one IPv6 IP.
 * @module
 */
import type { PeerView } from "../../lib/cluster/types.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import type { Vote, WriteInput } from "../../lib/write/types.ts";

export const NAME = "www.example.com";
export const X = "192.0.2.1";
export const Y = "192.0.2.2";
export const V6 = "2001:db8::1";
export const IPS = [X, Y, V6];
export const A = "198.51.100.1:7947";
export const B = "198.51.100.2:7947";
export const C = "198.51.100.3:7947";

/** @returns a view from `{ip: "up"|"down"}`. */
export function viewOf(verdicts: Record<string, "up" | "down">): PeerView {
  const out: PeerView = {};
  for (const [ip, verdict] of Object.entries(verdicts)) {
    out[ip] = { verdict, since: 0, consecutive: 10 };
  }
  return out;
}

/** @returns every IP up except `down`. */
export function seeing(down: string[] = []): PeerView {
  return viewOf(
    Object.fromEntries(
      IPS.map((ip) => [ip, down.includes(ip) ? "down" : "up"]),
    ),
  );
}

/** @returns a live peer's vote. */
export function vote(
  nodeId: string,
  view: PeerView,
  over: Partial<Vote> = {},
): Vote {
  return {
    nodeId,
    isolated: false,
    writable: true,
    hears: [],
    acked: true,
    backs: [],
    view,
    ...over,
  };
}

/** Options of {@linkcode clusterInput}. */
export interface ClusterCase {
  self?: string;
  view?: PeerView;
  live?: Vote[];
  minPeersAgree?: number;
  now?: number;
  writerSince?: number | null;
  over?: Partial<WriteInput>;
}

/** @returns a cluster input for agent `self` (default A) with `live` peers. */
export function clusterInput(c: ClusterCase = {}): WriteInput {
  const self = c.self ?? A;
  const configured = [A, B, C].filter((id) => id !== self);
  return {
    now: c.now ?? 100_000,
    settings: {
      names: [NAME],
      ips: IPS,
      minPeersAgree: c.minPeersAgree ?? 1,
      guards: { minRecords: 1, maxRemovalsFraction: 0.5 },
      defaults: { ttl: 1, proxied: false },
      handoverMs: 4000,
    },
    self: {
      nodeId: self,
      view: c.view ?? seeing(),
      unsettled: new Set(),
      isolation: {
        targets: IPS.length,
        down: 0,
        lastMissed: 0,
        lastLocalFault: 0,
        lostAllPeers: false,
      },
      dnsBlocked: false,
    },
    cluster: {
      linked: true,
      configuredPeers: configured,
      live: c.live ?? [],
      warmingUp: false,
    },
    memory: { writerSince: c.writerSince === undefined ? 0 : c.writerSince },
    ...c.over,
  };
}

/** @returns a record of `ip` on `name`. */
export function rec(ip: string, over: Partial<DnsRecord> = {}): DnsRecord {
  return {
    id: `id-${ip}`,
    type: ip.includes(":") ? "AAAA" : "A",
    name: NAME,
    content: ip,
    ttl: 1,
    proxied: false,
    comment: null,
    tags: [],
    ...over,
  };
}

/** @returns a listing of `ips` on the one name. */
export function listing(ips: string[] = IPS): Map<string, DnsRecord[]> {
  return new Map([[NAME, ips.map((ip) => rec(ip))]]);
}
