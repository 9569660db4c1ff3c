/**
 * The simulated world around the agents: the starting zone, what a probe
 * sees, the random faults of each step, restarts and relinks when due, and
 * the calm in which every fault heals.
 * @module
 */
import { loadConfigText } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/types.ts";
import type { MemoryStateStore } from "../../lib/agent/state_store.ts";
import type { Prng } from "./prng.ts";
import type { SimAgent } from "./sim_agent.ts";
import { NO_FAULTS, type SimZone } from "./sim_cloudflare.ts";
import type { ProviderName, SimDns } from "./sim_dns.ts";
import type { Route53Access } from "./sim_route53.ts";
import type { SimClock } from "./sim_clock.ts";
import type { SimNetwork } from "./sim_network.ts";

/** The zone every run manages. */
export const ZONE = "example.com";
/** Managed hostnames. */
export const NAMES = ["www", "api"];

/** One agent slot: its settings and its current process (if any). */
export interface Slot {
  id: string;
  config: Config;
  clock: SimClock;
  store: MemoryStateStore;
  /** Its DNS credentials (the world may reject them). */
  access: Route53Access;
  agent: SimAgent | null;
  pausedUntil: number;
  restartAt: number | null;
  keepState: boolean;
  relinkAt: number | null;
  /** Sends fail on this host (no route): isolated. */
  localFault: boolean;
  /** Targets this agent cannot reach while they are up. */
  blind: Set<string>;
  hbPhase: number;
  /** The clock's offset when it agrees with the others. */
  baseOffsetMs: number;
}

/**
 * @param i the agent's slot
 * @param ids every agent's address
 * @param mpa `min_peers_agree`
 * @param ips the managed IPs
 * @param provider which provider's section the file has
 * @returns agent `i`'s config
 */
export function configFor(
  i: number,
  ids: string[],
  mpa: number,
  ips: readonly string[],
  provider: ProviderName = "cloudflare",
): Config {
  const pool = `hostnames = [${NAMES.map((n) => `"${n}"`).join(", ")}]
ip_addresses = [${ips.map((ip) => `"${ip}"`).join(", ")}]`;
  const section = provider === "cloudflare"
    ? `[cloudflare]
dns_domain = "${ZONE}"
${pool}`
    : `[route53]
aws_domain = "${ZONE}"
aws_region = "us-east-1"
ttl = 120
${pool}`;
  const peers = ids.filter((_, j) => j !== i).map((p) => `"${p}"`).join(", ");
  const text = `failure_threshold = 2
interval = 1
dry_run = false
min_records = 1
max_removals_fraction = 1.0
state_dir = "/nonexistent"
[members]
peers = [${peers}]
local_addr = "${ids[i]}"
min_peers_agree = ${mpa}
insecure_plaintext = true
heartbeat_interval = 1
${section}
[status]
listen = ""
`;
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(`sim config: ${JSON.stringify(r.errors)}`);
  return r.value.config;
}

export function seedZone(
  zone: SimZone,
  rng: Prng,
  names: string[],
  IPS: readonly string[],
): void {
  for (const name of names) {
    for (const ip of IPS) {
      if (rng.chance(0.1)) continue;
      zone.seed({
        type: ip.includes(":") ? "AAAA" : "A",
        name,
        content: ip,
        ttl: rng.pick([1, 60, 300]),
        proxied: rng.chance(0.5),
        comment: rng.chance(0.5) ? `origin ${ip}` : null,
        tags: rng.chance(0.5) ? ["team:edge"] : [],
      });
    }
    // Records outside the managed set: another IP (on the second name
    // only, so the first can be emptied), another type.
    if (name !== names[0]) {
      zone.seed({
        type: "A",
        name,
        content: "203.0.113.9",
        ttl: 1,
        proxied: false,
        comment: null,
        tags: [],
      });
    }
    zone.seed({
      type: "TXT",
      name,
      content: "v=spf1 -all",
      ttl: 1,
      proxied: false,
      comment: null,
      tags: [],
    });
  }
  zone.seed({
    type: "A",
    name: `other.${ZONE}`,
    content: IPS[0]!,
    ttl: 1,
    proxied: false,
    comment: null,
    tags: [],
  });
}

export function probe(
  rng: Prng,
  s: Slot,
  ip: string,
  targetUp: Map<string, boolean>,
  flapping: Set<string>,
): { ip: string; ok: boolean; local: boolean } {
  if (s.localFault) return { ip, ok: false, local: true };
  let up = targetUp.get(ip) === true;
  if (flapping.has(ip)) up = rng.chance(0.5);
  if (s.blind.has(ip)) up = false;
  return { ip, ok: up, local: false };
}

export async function chaos(
  rng: Prng,
  slots: Slot[],
  net: SimNetwork,
  targetUp: Map<string, boolean>,
  flapping: Set<string>,
  ev: (s: string) => void,
  k: number,
  nowMs: number,
): Promise<void> {
  const IPS = [...targetUp.keys()];
  for (const ip of IPS) {
    if (rng.chance(0.01)) {
      targetUp.set(ip, !targetUp.get(ip));
      ev(`target ${ip} ${targetUp.get(ip) ? "up" : "down"} for all`);
    }
    if (rng.chance(0.004)) {
      if (flapping.has(ip)) flapping.delete(ip);
      else flapping.add(ip);
      ev(`target ${ip} ${flapping.has(ip) ? "flaps" : "stops flapping"}`);
    }
  }
  for (let i = 0; i < k; i++) {
    const s = slots[i]!;
    for (const ip of IPS) {
      if (rng.chance(0.004)) {
        if (s.blind.has(ip)) s.blind.delete(ip);
        else s.blind.add(ip);
        ev(`a${i} ${s.blind.has(ip) ? "cannot reach" : "reaches"} ${ip}`);
      }
    }
    if (rng.chance(0.002)) {
      s.localFault = !s.localFault;
      ev(
        `a${i} ${
          s.localFault
            ? "loses its route (local send errors)"
            : "has its route back"
        }`,
      );
    }
    for (let j = 0; j < k; j++) {
      if (i !== j && rng.chance(0.006)) {
        net.setLink(i, j, !net.isUp(i, j));
        ev(`link a${i}→a${j} ${net.isUp(i, j) ? "up" : "down"}`);
      }
    }
    if (!s.agent) continue;
    const x = rng.next();
    if (x < 0.002) {
      s.pausedUntil = Math.max(s.pausedUntil, nowMs) + rng.int(2, 20) * 1000;
      ev(`a${i} paused until t=${(s.pausedUntil / 1000).toFixed(1)}s`);
    } else if (x < 0.004) {
      const clean = rng.chance(0.5);
      await s.agent.stop(clean);
      s.agent = null;
      net.setSink(i, null);
      s.keepState = rng.chance(0.6);
      s.restartAt = nowMs + rng.int(1, 15) * 1000;
      ev(`a${i} ${clean ? "stopped" : "killed"}`);
    } else if (x < 0.006 && s.agent.membership) {
      await s.agent.dropLink();
      s.relinkAt = nowMs + rng.int(2, 15) * 1000;
      ev(`a${i} reload cannot bind: no cluster link`);
    } else if (x < 0.007) {
      s.access.authRejected = !s.access.authRejected;
      ev(
        `a${i} API token ${s.access.authRejected ? "rejected" : "accepted"}`,
      );
    }
  }
  if (rng.chance(0.003)) {
    // A swap: one target fails as another recovers.
    const down = IPS.filter((ip) => !targetUp.get(ip));
    const up = IPS.filter((ip) => targetUp.get(ip));
    if (down.length > 0 && up.length > 0) {
      const back = rng.pick(down);
      const gone = rng.pick(up);
      targetUp.set(back, true);
      targetUp.set(gone, false);
      ev(`target ${back} up and ${gone} down for all`);
    }
  }
  if (rng.chance(0.003)) {
    // Split blindness: each agent cannot reach a random part of the IPv4
    // targets while they are up.
    const v4 = IPS.filter((ip) => !ip.includes(":"));
    for (let i = 0; i < k; i++) {
      slots[i]!.blind = new Set(v4.filter(() => rng.chance(0.4)));
    }
    ev(
      `blindness ${
        slots.map((s, i) =>
          `a${i}:[${[...s.blind].map((ip) => ip.split(".")[3])}]`
        ).join(" ")
      }`,
    );
  }
  if (rng.chance(0.003)) {
    const side = slots.map(() => rng.chance(0.5));
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i !== j) net.setLink(i, j, side[i] === side[j]);
      }
    }
    ev(
      `partition [${
        side.map((x, i) => x ? `a${i}` : "").filter(Boolean)
      }] | rest`,
    );
  }
}

export async function lifecycle(
  slots: Slot[],
  now: number,
  ev: (s: string) => void,
  start: (i: number) => Promise<void> | undefined,
): Promise<void> {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.restartAt !== null && now >= s.restartAt) {
      s.restartAt = null;
      const started = start(i);
      if (started) await started;
    }
    if (s.relinkAt !== null && now >= s.relinkAt) {
      s.relinkAt = null;
      s.agent?.restoreLink();
      ev(`a${i} valid reload: cluster link back`);
    }
  }
  await Promise.resolve();
}

export async function heal(
  slots: Slot[],
  net: SimNetwork,
  dns: SimDns,
  targetUp: Map<string, boolean>,
  flapping: Set<string>,
  rng: Prng,
  ev: (s: string) => void,
  start: (i: number) => Promise<void> | undefined,
): Promise<void> {
  const IPS = [...targetUp.keys()];
  net.healAll();
  dns.setFaults(NO_FAULTS);
  for (const ip of flapping) targetUp.set(ip, rng.chance(0.5));
  flapping.clear();
  // Every target down makes every agent suspect itself (by design): keep
  // one up so the cluster is healthy.
  if (![...targetUp.values()].some(Boolean)) targetUp.set(rng.pick(IPS), true);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    s.pausedUntil = 0;
    s.localFault = false;
    s.blind.clear();
    s.access.authRejected = false;
    // Clocks agree within 30 s again (an NTP step).
    s.clock.offsetMs = s.baseOffsetMs;
    if (!s.agent) {
      s.restartAt = null;
      s.keepState = true;
      const started = start(i);
      if (started) await started;
    }
    if (s.relinkAt !== null) {
      s.relinkAt = null;
      s.agent?.restoreLink();
    }
  }
  ev(
    `calm: every fault healed; up: ${
      IPS.filter((ip) => targetUp.get(ip)).join(" ")
    }`,
  );
  await Promise.resolve();
}

export function shuffled<T>(rng: Prng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
