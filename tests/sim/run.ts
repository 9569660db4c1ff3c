/**
 * One simulated run: builds 3–5 agents and the world from a seed, drives
 * them through random faults in virtual time, then a calm in which every
 * fault heals, and reports the invariants it broke with the last events.
 * @module
 */
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { Truth, type Violation } from "./invariants.ts";
import { off, type Policy } from "./policy.ts";
import { Prng } from "./prng.ts";
import { SimAgent } from "./sim_agent.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import type { ZoneRecord } from "./sim_cloudflare.ts";
import { buildDns, type ProviderName } from "./sim_dns.ts";
import { checkSetEdge } from "./invariants_sets.ts";
import { SimClock, type WorldTime } from "./sim_clock.ts";
import { SimNetwork } from "./sim_network.ts";
import {
  chaos,
  configFor,
  heal,
  lifecycle,
  NAMES,
  probe,
  shuffled,
  type Slot,
  ZONE,
} from "./world.ts";

/** Options of one run. */
export interface RunOptions {
  seed: number;
  /** Agents; 0 = 3 to 5, drawn from the seed. */
  agents: number;
  /** Steps of 500 ms with faults (a calm follows). */
  steps: number;
  policy: Policy;
  /** The DNS provider modelled. @default "cloudflare" */
  provider?: ProviderName;
  /**
   * Share of DNS calls that fail (429, 5xx, lost reply, late commit; a
   * quarter each) instead of the seed's draw from 0-15 %: a heavier fault
   * profile for rules that guard against DNS faults (README, mutation
   * check). The seed's other draws are unchanged. @default the seed's
   */
  apiFaults?: number;
}

/** What one run found. */
export interface RunResult {
  seed: number;
  violations: Violation[];
  /** The last events before the first violation (or the end). */
  trace: string[];
  /** Every event, for determinism checks. */
  events: number;
  /** What the DNS API answered, by kind (Route 53 runs). */
  api: Readonly<Record<string, number>>;
}

const STEP_MS = 500;
/**
 * The calm: 80 s, longer than the slowest recovery the agent promises
 * after every fault heals: a refused token is read again once a minute
 * (`authRetryMs`), then the writer waits its handover (peer_timeout +
 * heartbeat + 5 s) and makes one pass. A shorter calm (40 s) made seed 52523
 * report I5 for three agents whose tokens had all been refused.
 */
const CALM_STEPS = 160;
const TRACE = 30;
const ALL_IPS = [
  "198.51.100.1",
  "198.51.100.2",
  "198.51.100.3",
  "2001:db8::1",
];

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
    known: (key) =>
      slots.some((s) =>
        s.store.snapshots().has(key) ||
        (s.agent?.snapshots.snapshots().has(key) ?? false)
      ),
  });
  // deno-lint-ignore prefer-const
  let slots: Slot[];
  const edgeEvent = (kind: string, r: ZoneRecord, by: string, sent?: number) =>
    ev(
      `edge ${kind} ${r.name} ${r.content} by ${by}${
        sent === undefined ? "" : ` (sent t=${(sent / 1000).toFixed(1)}s)`
      }${votersOf(slots, by, r.content)}`,
    );
  const provider = o.provider ?? "cloudflare";
  const dns = buildDns(
    provider,
    rng,
    names,
    IPS,
    {
      cloudflare: (c, zone) => {
        edgeEvent(
          c.kind,
          c.record,
          c.by,
          c.sentAt === world.nowMs ? undefined : c.sentAt,
        );
        truth.edge(c, world.nowMs, zone);
      },
      route53: (e) =>
        checkSetEdge(
          truth,
          e,
          world.nowMs,
          names,
          (kind, r) => edgeEvent(kind, r, e.by, e.sentAt),
        ),
    },
    () => world.nowMs,
    !off(o.policy, "plan_order"),
  );
  truth.start(dns.edgeRecords());
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
      config: configFor(i, ids, mpa, IPS, provider),
      clock,
      store: new MemoryStateStore({ clock }),
      access: dns.access(i),
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
  const launch = (i: number, provider: DnsProvider) => {
    const s = slots[i]!;
    if (!s.keepState) s.store = new MemoryStateStore({ clock: s.clock });
    s.agent = new SimAgent(
      s.config,
      s.clock,
      s.store,
      provider,
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
  // Synchronous when the provider is at hand (Cloudflare), so no agent's
  // loops run between two starts; a Route 53 provider is built first.
  const start = (i: number): Promise<void> | undefined => {
    const p = dns.provider(i, slots[i]!.config);
    if (!(p instanceof Promise)) return void launch(i, p);
    return p.then((provider) => launch(i, provider));
  };
  for (let i = 0; i < slots.length; i++) {
    const started = start(i);
    if (started) await started;
  }
  const faults = {
    loss: rng.next() * 0.2,
    delay: rng.next() * 0.2,
    duplicate: rng.next() * 0.1,
    api: rng.next() * 0.15,
  };
  if (o.apiFaults !== undefined) faults.api = o.apiFaults;
  net.faults = {
    loss: faults.loss,
    delay: faults.delay,
    duplicate: faults.duplicate,
  };
  dns.setFaults({
    rateLimited: faults.api / 4,
    server: faults.api / 4,
    lostReply: faults.api / 4,
    late: faults.api / 4,
  });
  const total = o.steps + CALM_STEPS;
  for (let step = 0; step < total; step++) {
    world.nowMs += STEP_MS;
    const calm = step >= o.steps;
    if (step === o.steps) {
      await heal(slots, net, dns, targetUp, flapping, rng, ev, start);
    }
    if (!calm) {
      await chaos(rng, slots, net, targetUp, flapping, ev, k, world.nowMs);
    }
    await lifecycle(slots, world.nowMs, ev, start);
    await net.flush();
    dns.commitDue();
    dns.beginStep();
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
      const behind = truth.unconverged(dns.edgeRecords(), up, world.nowMs);
      if (!dns.idle() && behind.length === 0) {
        behind.push({
          invariant: "I5",
          detail: "accepted changes still on their way to the edge",
          atMs: world.nowMs,
        });
      }
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
    api: dns.stats(),
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
