/**
 * One simulated run: builds 3–5 agents and the world from a seed, drives
 * them through random faults in virtual time, then a calm in which every
 * fault heals, and reports the invariants it broke with the last events.
 * @module
 */
import { loadConfigText } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/types.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { Truth, type Violation } from "./invariants.ts";
import { off, type Policy } from "./policy.ts";
import { Prng } from "./prng.ts";
import { SimAgent } from "./sim_agent.ts";
import { NO_FAULTS, SimProvider, SimZone } from "./sim_cloudflare.ts";
import { SimClock, type WorldTime } from "./sim_clock.ts";
import { SimNetwork } from "./sim_network.ts";

/** Options of one run. */
export interface RunOptions {
  seed: number;
  /** Agents; 0 = 3 to 5, drawn from the seed. */
  agents: number;
  /** Steps of 500 ms with faults (a calm follows). */
  steps: number;
  policy: Policy;
}

/** What one run found. */
export interface RunResult {
  seed: number;
  violations: Violation[];
  /** The last events before the first violation (or the end). */
  trace: string[];
  /** Every event, for determinism checks. */
  events: number;
}

const STEP_MS = 500;
const CALM_STEPS = 80;
const TRACE = 30;
const ZONE = "example.com";
const NAMES = ["www", "api"];
const ALL_IPS = [
  "198.51.100.1",
  "198.51.100.2",
  "198.51.100.3",
  "2001:db8::1",
];

/** One agent slot: its settings and its current process (if any). */
interface Slot {
  id: string;
  config: Config;
  clock: SimClock;
  store: MemoryStateStore;
  provider: SimProvider;
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

function configFor(
  i: number,
  ids: string[],
  mpa: number,
  ips: readonly string[],
): Config {
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
[cloudflare]
dns_domain = "${ZONE}"
hostnames = [${NAMES.map((n) => `"${n}"`).join(", ")}]
ip_addresses = [${ips.map((ip) => `"${ip}"`).join(", ")}]
[status]
listen = ""
`;
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(`sim config: ${JSON.stringify(r.errors)}`);
  return r.value.config;
}

/** Runs one seed. */
export async function runSeed(o: RunOptions): Promise<RunResult> {
  const rng = new Prng(o.seed);
  const k = o.agents || rng.int(3, 5);
  const mpa = Math.floor(k / 2);
  // Two or three IPv4 targets (two: a name is emptied sooner), one IPv6.
  const IPS = rng.chance(0.5)
    ? ALL_IPS.filter((ip) => ip !== "198.51.100.3")
    : ALL_IPS;
  const world: WorldTime = { nowMs: 0 };
  const log: string[] = [];
  let events = 0;
  const ev = (s: string) => {
    events++;
    log.push(`t=${(world.nowMs / 1000).toFixed(1)}s ${s}`);
    if (log.length > 200) log.splice(0, 100);
  };
  const ids = Array.from({ length: k }, (_, i) => `192.0.2.${i + 1}:7947`);
  const names = NAMES.map((n) => `${n}.${ZONE}`);
  const truth = new Truth({
    names,
    ips: IPS,
    agents: k,
    minPeersAgree: mpa,
    minRecords: 1,
    voteMs: (3 + 2) * 1000,
  });
  // deno-lint-ignore prefer-const
  let slots: Slot[];
  const zone: SimZone = new SimZone(rng, (c) => {
    ev(
      `edge ${c.kind} ${c.record.name} ${c.record.content} by ${c.by}${
        votersOf(slots, c.by, c.record.content)
      }`,
    );
    truth.edge(c, world.nowMs, zone.records.values());
  }, () => world.nowMs);
  seedZone(zone, rng, names, IPS);
  truth.start(zone.records.values());
  const net = new SimNetwork(rng, ids);
  // Targets: really up or down, and flapping ones.
  const targetUp = new Map(IPS.map((ip) => [ip, true]));
  const flapping = new Set<string>();
  slots = ids.map((id, i) => {
    const base = 1_700_000_000_000 + rng.int(-10_000, 10_000);
    const clock = new SimClock(
      world,
      base + (rng.chance(0.05) ? 35_000 : 0),
      rng.int(-200, 200),
    );
    return {
      id,
      config: configFor(i, ids, mpa, IPS),
      clock,
      store: new MemoryStateStore({ clock }),
      provider: new SimProvider(zone, `a${i}`, !off(o.policy, "plan_order")),
      agent: null,
      pausedUntil: 0,
      restartAt: null,
      keepState: true,
      relinkAt: null,
      localFault: false,
      blind: new Set(),
      hbPhase: rng.int(0, 1),
      baseOffsetMs: base,
    };
  });
  const start = (i: number) => {
    const s = slots[i]!;
    if (!s.keepState) s.store = new MemoryStateStore({ clock: s.clock });
    s.agent = new SimAgent(
      s.config,
      s.clock,
      s.store,
      s.provider,
      net.transportFor(i),
      o.policy,
    );
    const a = s.agent;
    net.setSink(i, {
      deliver: (f, from, ip) =>
        s.agent === a && world.nowMs >= s.pausedUntil
          ? a.receive(f, from, ip)
          : Promise.resolve(null),
    });
    ev(`a${i} starts${s.keepState ? "" : " without its state directory"}`);
  };
  slots.forEach((_, i) => start(i));
  const faults = {
    loss: rng.next() * 0.2,
    delay: rng.next() * 0.2,
    duplicate: rng.next() * 0.1,
    api: rng.next() * 0.15,
  };
  net.faults = {
    loss: faults.loss,
    delay: faults.delay,
    duplicate: faults.duplicate,
  };
  zone.faults = {
    rateLimited: faults.api / 4,
    server: faults.api / 4,
    lostReply: faults.api / 4,
    late: faults.api / 4,
  };
  const total = o.steps + CALM_STEPS;
  for (let step = 0; step < total; step++) {
    world.nowMs += STEP_MS;
    const calm = step >= o.steps;
    if (step === o.steps) {
      await heal(slots, net, zone, targetUp, flapping, rng, ev, start);
    }
    if (!calm) {
      await chaos(rng, slots, net, targetUp, flapping, ev, k, world.nowMs);
    }
    await lifecycle(slots, world.nowMs, ev, start);
    await net.flush();
    zone.commitDue();
    zone.beginStep();
    const order = shuffled(rng, slots.map((_, i) => i));
    for (const i of order) {
      const s = slots[i]!;
      const a = s.agent;
      if (!a || world.nowMs < s.pausedUntil) {
        truth.observe(i, world.nowMs, null);
        continue;
      }
      // Each agent's second: probes, a heartbeat, the DNS tick.
      if (step % 2 !== s.hbPhase) continue;
      a.observe(IPS.map((ip) => probe(rng, s, ip, targetUp, flapping)));
      truth.observe(i, world.nowMs, a.seen());
      await a.heartbeat();
      await a.dnsPass();
      truth.observe(i, world.nowMs, a.seen());
    }
    if (truth.violations.length > 0) break;
    // I5: once DNS matches what every agent sees, the calm has done its
    // work; if it does not by the calm's end, that is a violation.
    if (calm) {
      const up = new Set(IPS.filter((ip) => targetUp.get(ip)));
      const behind = truth.unconverged(zone.records.values(), up, world.nowMs);
      if (behind.length === 0) break;
      if (step === total - 1) {
        truth.violations.push(...behind);
        slots.forEach((s, i) => ev(`a${i} at the end: ${describe(s.agent)}`));
      }
    }
  }
  for (const s of slots) await s.agent?.stop(false);
  return {
    seed: o.seed,
    violations: truth.violations,
    trace: log.slice(-TRACE),
    events,
  };
}

/** @returns who the writer counts as seeing `ip` down, for the trace. */
function votersOf(slots: Slot[], by: string, ip: string): string {
  const a = slots[Number(by.slice(1))]?.agent;
  if (!a) return "";
  const input = a.input();
  const own = input.self.unsettled.has(ip)
    ? undefined
    : input.self.view[ip]?.verdict;
  const live = input.cluster?.live ?? [];
  const down = live.filter((v) => !v.isolated && v.view[ip]?.verdict === "down")
    .map((v) => `a${slots.findIndex((s) => s.id === v.nodeId)}`);
  return ` (own ${own}, peers down: ${down.join(",") || "none"})`;
}

function describe(a: SimAgent | null): string {
  const d = a?.decided;
  if (!a || !d) return "not running";
  const holds = [...d.ips.values()].map((x) =>
    `${x.ip}:${x.intent}/${x.hold ?? "act"}(${x.downVotes}d${x.upVotes}u)`
  );
  const rej = a.membership
    ? Object.entries(a.membership.rejections.snapshot()).filter(([, n]) =>
      n > 0
    )
      .map(([r, n]) => `${r}=${n}`).join(",")
    : "no link";
  const live = a.membership?.liveIds().join(",") ?? "";
  return `clock=${
    a.clock.now() - 1_700_000_000_000
  } live=[${live}] rejected=[${rej}] writer=${d.role.writer} active=${d.role.active} reason=${d.role.reason} ${
    holds.join(" ")
  }`;
}

function seedZone(
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

function probe(
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

async function chaos(
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
      s.provider.authRejected = !s.provider.authRejected;
      ev(
        `a${i} API token ${s.provider.authRejected ? "rejected" : "accepted"}`,
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

async function lifecycle(
  slots: Slot[],
  now: number,
  ev: (s: string) => void,
  start: (i: number) => void,
): Promise<void> {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.restartAt !== null && now >= s.restartAt) {
      s.restartAt = null;
      start(i);
    }
    if (s.relinkAt !== null && now >= s.relinkAt) {
      s.relinkAt = null;
      s.agent?.restoreLink();
      ev(`a${i} valid reload: cluster link back`);
    }
  }
  await Promise.resolve();
}

async function heal(
  slots: Slot[],
  net: SimNetwork,
  zone: SimZone,
  targetUp: Map<string, boolean>,
  flapping: Set<string>,
  rng: Prng,
  ev: (s: string) => void,
  start: (i: number) => void,
): Promise<void> {
  const IPS = [...targetUp.keys()];
  net.healAll();
  zone.faults = NO_FAULTS;
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
    s.provider.authRejected = false;
    // Clocks agree within 30 s again (an NTP step).
    s.clock.offsetMs = s.baseOffsetMs;
    if (!s.agent) {
      s.restartAt = null;
      s.keepState = true;
      start(i);
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

function shuffled<T>(rng: Prng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
