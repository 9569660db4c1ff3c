/**
 * The DNS side of a simulated run, whichever provider it models: the
 * in-memory Cloudflare zone with its simulated provider
 * (tests/sim/sim_cloudflare.ts), or the in-memory Route 53 zone reached
 * through the real Route 53 provider and SDK (tests/sim/sim_route53.ts).
 * The run drives both through this one interface.
 * @module
 */
import type { Config } from "../../lib/config/types.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import type { Prng } from "./prng.ts";
import {
  type ApiFaults,
  type EdgeChange,
  SimProvider,
  SimZone,
  type ZoneRecord,
} from "./sim_cloudflare.ts";
import { setRecords } from "./invariants_sets.ts";
import {
  type Route53Access,
  route53Sets,
  type SetEdge,
  SIM_ZONE_ID,
  SimRoute53,
} from "./sim_route53.ts";
import { seedZone } from "./world.ts";

/** The providers the simulator models (`--provider`). */
export const PROVIDERS = ["cloudflare", "route53"] as const;

/** One of {@linkcode PROVIDERS}. */
export type ProviderName = typeof PROVIDERS[number];

/** The DNS world of one run. */
export interface SimDns {
  readonly name: ProviderName;
  /** Sets the API's fault rates. */
  setFaults(faults: ApiFaults): void;
  /** Takes the zone as this step's listings show it. */
  beginStep(): void;
  /** Commits late calls now due and propagates what is due. */
  commitDue(): void;
  /** @returns every record as resolvers see it now (one per value) */
  edgeRecords(): ZoneRecord[];
  /** @returns whether nothing accepted is still on its way to the edge */
  idle(): boolean;
  /** What the API answered over the run, by kind (Route 53 only). */
  stats(): Readonly<Record<string, number>>;
  /** Agent `i`'s credentials, which the world may have rejected. */
  access(i: number): Route53Access;
  /**
   * @param i the agent's slot
   * @param config its config
   * @returns the provider a (re)started agent `i` writes with (at once
   *   when it needs no building)
   */
  provider(i: number, config: Config): DnsProvider | Promise<DnsProvider>;
}

/** What the world is told as the edge changes. */
export interface EdgeHooks {
  cloudflare: (c: EdgeChange, zone: Iterable<ZoneRecord>) => void;
  route53: (e: SetEdge) => void;
}

/**
 * Builds the zone and seeds it (drawing from `rng`).
 * @param name which provider
 * @param rng the run's PRNG
 * @param names fully qualified managed names
 * @param ips managed IPs
 * @param hooks the invariant checks per edge change
 * @param now the world's time
 * @param splitBatches Cloudflare: rule 10's batching (plan_order)
 */
export function buildDns(
  name: ProviderName,
  rng: Prng,
  names: string[],
  ips: readonly string[],
  hooks: EdgeHooks,
  now: () => number,
  splitBatches: boolean,
): SimDns {
  return name === "cloudflare"
    ? cloudflare(rng, names, ips, hooks, now, splitBatches)
    : route53(rng, names, ips, hooks, now);
}

function cloudflare(
  rng: Prng,
  names: string[],
  ips: readonly string[],
  hooks: EdgeHooks,
  now: () => number,
  splitBatches: boolean,
): SimDns {
  const zone: SimZone = new SimZone(
    rng,
    (c) => hooks.cloudflare(c, zone.records.values()),
    now,
  );
  seedZone(zone, rng, names, ips);
  // One provider per slot for the whole run: it keeps nothing between calls.
  const providers = new Map<number, SimProvider>();
  const providerOf = (i: number) => {
    let p = providers.get(i);
    if (!p) {
      p = new SimProvider(zone, `a${i}`, splitBatches);
      providers.set(i, p);
    }
    return p;
  };
  return {
    name: "cloudflare",
    setFaults: (f) => zone.faults = f,
    beginStep: () => zone.beginStep(),
    commitDue: () => zone.commitDue(),
    edgeRecords: () => [...zone.records.values()],
    idle: () => true,
    stats: () => ({}),
    access: providerOf,
    provider: providerOf,
  };
}

function route53(
  rng: Prng,
  names: string[],
  ips: readonly string[],
  hooks: EdgeHooks,
  now: () => number,
): SimDns {
  const zone = new SimRoute53(
    rng,
    route53Sets(rng, names, ips),
    hooks.route53,
    now,
  );
  // With aws_zoneid (GetHostedZone) or without (ListHostedZonesByName).
  const zoneId = rng.chance(0.5) ? SIM_ZONE_ID : null;
  const access = new Map<number, Route53Access>();
  const accessOf = (i: number) => {
    let a = access.get(i);
    if (!a) {
      a = { authRejected: false };
      access.set(i, a);
    }
    return a;
  };
  return {
    name: "route53",
    setFaults: (f) => zone.faults = f,
    beginStep: () => zone.beginStep(),
    commitDue: () => zone.commitDue(),
    edgeRecords: () => setRecords(zone.edgeSets()),
    idle: () => zone.idle(),
    stats: () => ({ ...zone.stats }),
    access: accessOf,
    // A new process builds a new provider (its zone id, throttle state).
    provider: (i, config) => {
      const section = config.sections.route53;
      if (!section) throw new Error("sim: a Route 53 run needs [route53]");
      return zone.providerFor({ ...section, zoneId }, `a${i}`, accessOf(i));
    },
  };
}
