/**
 * The Cloudflare API budget (issue 12): calls counted at the fake API, through
 * the real SDK, provider, reconciler and DNS loop.
 *
 * - reads per drift pass, 250 names × 2 IPs, as IPv4 + IPv6 (two record
 *   types, the most reads) and as two IPv4; goal ≤ 2 per zone;
 * - one of two IPv4 dead on all 250 names: write calls to withdraw every
 *   record; goal ⌈250/200⌉ = 2;
 * - steady state, 3 agents × 1,000 names × 2 IPs at the default
 *   `reconcile_interval` (60 s) and `api_budget_share` (0.25): calls in 5
 *   minutes of virtual time (a ManualClock; the API calls are real, on
 *   loopback). One agent is the writer, two are not (the role is fixed here:
 *   the cluster's write decision is not part of this run; a non-writer's
 *   loop is the real one, told `abstain`). Goal ≤ 300 (25 % of 1,200).
 * Run: `deno task bench --only budget`.
 * @module
 */

import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { DnsDriver } from "../../lib/agent/dns_driver.ts";
import { ApiBudget } from "../../lib/agent/api_budget.ts";
import { ApiCallWindow } from "../../lib/agent/api_calls.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import type { Intent } from "../../lib/write/types.ts";
import {
  type FakeCloudflare,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

/** One IPv4 and one IPv6: two record types, the most reads per pass. */
const MIXED = ["192.0.2.1", "2001:db8::1"];
/** Two IPv4: one can be withdrawn (the never-empty guard is per type). */
const V4 = ["192.0.2.1", "192.0.2.2"];

function hostnames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `h${i}`);
}

function startFake(names: number, ips: string[]): FakeCloudflare {
  return startFakeCloudflare({
    zones: [{
      name: "example.com",
      records: hostnames(names).flatMap((h) =>
        ips.map((ip) => ({
          type: ip.includes(":") ? "AAAA" : "A",
          name: `${h}.example.com`,
          content: ip,
          ttl: 300,
        }))
      ),
    }],
  });
}

async function reconciler(
  fake: FakeCloudflare,
  names: number,
  ips: string[],
  clock: ManualClock,
  calls?: ApiCallWindow,
): Promise<DnsReconciler> {
  const provider = await createCloudflareProvider({
    dnsDomain: "example.com",
    zoneId: null,
    hostnames: hostnames(names),
    ipAddresses: ips,
    proxied: false,
    ttl: 1,
    apiUrl: null,
    apiTokenFile: null,
    reconcileInterval: 60,
    apiBudgetShare: 0.25,
  }, {
    env: { CLOUDFLARE_API_TOKEN: "test-token", CLOUDFLARE_BASE_URL: fake.url },
  });
  if (calls) provider.onRequest = () => calls.record(clock.now());
  return new DnsReconciler(provider, new MemoryStateStore(), {
    zone: "example.com",
    hostnames: hostnames(names),
    ips,
    minRecords: 1,
    maxRemovalsFraction: 0.5,
    ttl: 1,
    proxied: false,
  }, { clock });
}

const apiCalls = (f: FakeCloudflare) =>
  f.audit.filter((a) => !a.path.startsWith("/__"));
const present = (ips: string[]) =>
  new Map<string, Intent>(ips.map((ip) => [ip, "present"]));

/** Reads of one drift pass (after a first one that looks up the zone). */
async function passReads(ips: string[]): Promise<string> {
  const fake = startFake(250, ips);
  try {
    const rec = await reconciler(fake, 250, ips, new ManualClock(0));
    await rec.reconcile(present(ips), new Set()); // zone lookup, SDK import
    const before = apiCalls(fake).length;
    await rec.reconcile(present(ips), new Set());
    const reads = apiCalls(fake).slice(before);
    return `drift pass, 250 names x ${
      ips.join(" + ")
    }: ${reads.length} reads (${
      reads.map((a) => a.query).join(" ")
    }); goal <= 2 per zone`;
  } finally {
    await fake.close();
  }
}

/** One IP dead on all 250 names: the calls of the pass that withdraws it. */
async function benchFailover(): Promise<string> {
  const fake = startFake(250, V4);
  try {
    const rec = await reconciler(fake, 250, V4, new ManualClock(0));
    await rec.reconcile(present(V4), new Set()); // zone lookup, SDK import
    const dead = present(V4);
    dead.set(V4[0]!, "absent");
    const before = apiCalls(fake).length;
    const r = await rec.reconcile(dead, new Set([V4[0]!]));
    const calls = apiCalls(fake).slice(before);
    const writes = calls.filter((a) => a.method !== "GET").length;
    const left = (await rec.reconcile(dead, new Set([V4[0]!]))).planned;
    fake.assertNeverEmpty();
    return `one IP dead on all 250 names: ${writes} write calls + ${
      calls.length - writes
    } read, ${r.writes.done} records withdrawn, ${left} left to plan; goal ceil(250/200) = 2 writes`;
  } finally {
    await fake.close();
  }
}

/**
 * 3 agents × 1,000 names for 5 virtual minutes at the defaults.
 * @param writers how many of them act as writer (1 in a healthy cluster;
 *   3 shows what the role gate saves)
 */
async function benchSteady(writers: number): Promise<string> {
  const fake = startFake(1000, MIXED);
  const clock = new ManualClock(1_800_000_000_000);
  const drivers: DnsDriver[] = [];
  const windows: ApiCallWindow[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const calls = new ApiCallWindow();
      const rec = await reconciler(fake, 1000, MIXED, clock, calls);
      const abstain = i >= writers;
      const driver = new DnsDriver(rec, {
        clock,
        logger: silentLogger,
        intervalMs: 60_000,
        budget: new ApiBudget(calls, 0.25),
        wish: () => ({
          intents: present(MIXED),
          down: new Set(),
          abstain,
          wakeAtMs: null,
        }),
      });
      drivers.push(driver);
      windows.push(calls);
      driver.start();
    }
    for (const d of drivers) await d.idle();
    const startup = apiCalls(fake).length;
    for (let s = 0; s < 300; s++) {
      clock.advance(1000);
      for (const d of drivers) await d.idle();
    }
    const steady = apiCalls(fake).length - startup;
    const perAgent = windows.map((w) => w.count(clock.now()));
    const kinds = apiCalls(fake).slice(0, startup).map((a) =>
      `${a.method} ${a.path.replace(/^.*\/zones/, "/zones")}`
    );
    return `steady state, 3 agents (${writers} writer) x 1,000 names x 2 IPs, interval 60 s, 5 virtual minutes: ${steady} calls (per agent, last 5 min: ${
      perAgent.join(", ")
    }); start-up, all agents: ${startup} (${
      [...new Set(kinds)].join(", ")
    }); goal <= 300`;
  } finally {
    for (const d of drivers) await d.stop();
    await fake.close();
  }
}

/** Runs the budget measurements and prints one line each. */
export async function run(): Promise<void> {
  const lines = [
    await passReads(MIXED),
    await passReads(V4),
    await benchFailover(),
    await benchSteady(1),
    await benchSteady(3),
  ];
  for (const line of lines) {
    Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  }
}

if (import.meta.main) await run();
