/**
 * DNS costs: the pure diff at scale, one failover pass through the real SDK
 * against the fake Cloudflare API on loopback (requests and latency per
 * event), and the durable snapshot write (fsync) that precedes each delete.
 * Run: `deno task bench --only dns`.
 * @module
 */

import { planChanges } from "../../lib/write/plan.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import type { Intent } from "../../lib/write/plan.ts";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import { FileStateStore } from "../../lib/agent/state_store.ts";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";

function ipOf(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.1`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? NaN;
}

/** planChanges() over `names` × `ips`, 10 % of IPs absent. */
function benchPlan(names: number, ips: number): string {
  const ipList = Array.from({ length: ips }, (_, i) => ipOf(i));
  const nameList = Array.from({ length: names }, (_, i) => `h${i}.example.com`);
  const current = new Map<string, DnsRecord[]>(nameList.map((n) => [
    n,
    ipList.map((ip, i) => ({
      id: `${n}-${i}`,
      type: "A" as const,
      name: n,
      content: ip,
      ttl: 1,
      proxied: false,
      comment: null,
      tags: [],
    })),
  ]));
  const intents = new Map<string, Intent>(
    ipList.map((ip, i) => [ip, i % 10 === 0 ? "absent" : "present"]),
  );
  const down = new Set(ipList.filter((_, i) => i % 10 === 0));
  const input = {
    names: nameList,
    ips: ipList,
    intents,
    down,
    current,
    snapshots: new Map(),
    guards: { minRecords: 1, maxRemovalsFraction: 0.5 },
    defaults: { ttl: 1, proxied: false },
  };
  const times: number[] = [];
  let changes = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    changes = planChanges(input).changes.length;
    times.push(performance.now() - t);
  }
  return `planChanges ${names} names x ${ips} IPs: median ${
    median(times).toFixed(2)
  } ms, ${changes} changes`;
}

/** Remove/restore passes through the SDK against the fake on loopback. */
async function benchPass(rounds: number): Promise<string[]> {
  const names = ["www", "api", "@", "cdn"];
  const ips = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];
  const fake = startFakeCloudflare({
    zones: [{
      name: "example.com",
      records: names.flatMap((h) =>
        ips.map((ip) => ({
          type: "A",
          name: h === "@" ? "example.com" : `${h}.example.com`,
          content: ip,
          ttl: 300,
        }))
      ),
    }],
  });
  const dir = await Deno.makeTempDir();
  try {
    const cf = {
      dnsDomain: "example.com",
      zoneId: null,
      hostnames: names,
      ipAddresses: ips,
      proxied: false,
      ttl: 1,
      apiUrl: null,
      apiTokenFile: null,
      reconcileInterval: 60,
      apiBudgetShare: 0.25,
    };
    const provider = await createCloudflareProvider(cf, {
      env: {
        CLOUDFLARE_API_TOKEN: "test-token",
        CLOUDFLARE_BASE_URL: fake.url,
      },
    });
    const store = await FileStateStore.open(dir);
    const rec = new DnsReconciler(provider, store, {
      zone: "example.com",
      hostnames: names,
      ips,
      minRecords: 1,
      maxRemovalsFraction: 0.5,
      ttl: 1,
      proxied: false,
    });
    const all = new Map<string, Intent>(ips.map((ip) => [ip, "present"]));
    await rec.reconcile(all, new Set()); // warm up: zone lookup, SDK import
    const times: number[] = [];
    let requests = 0;
    let writes = 0;
    for (let i = 0; i < rounds; i++) {
      const failing = i % 2 === 0;
      const intents = new Map(all);
      if (failing) intents.set("192.0.2.2", "absent");
      const before = fake.audit.length;
      const t = performance.now();
      const r = await rec.reconcile(
        intents,
        failing ? new Set(["192.0.2.2"]) : new Set(),
      );
      times.push(performance.now() - t);
      requests += fake.audit.length - before;
      writes += r.requests;
    }
    fake.assertNeverEmpty();
    return [
      `failover pass (4 names x 4 IPs, list + snapshot + batch): median ${
        median(times).toFixed(2)
      } ms, p95 ${p95(times).toFixed(2)} ms over ${rounds}`,
      `requests per event: ${(requests / rounds).toFixed(1)} (writes ${
        (writes / rounds).toFixed(1)
      })`,
    ];
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Durable snapshot writes (temp file + fsync + rename + dir fsync). */
async function benchStore(n: number): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const store = await FileStateStore.open(dir);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await store.putSnapshot({
        type: "A",
        name: "www.example.com",
        content: ipOf(i),
        ttl: 300,
        proxied: true,
        comment: "bench",
        tags: ["a:b"],
      });
      times.push(performance.now() - t);
    }
    return `snapshot write (state file with up to ${n} snapshots): median ${
      median(times).toFixed(2)
    } ms, p95 ${p95(times).toFixed(2)} ms`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs every DNS measurement and prints one line each. */
export async function run(): Promise<void> {
  const lines = [
    benchPlan(10, 100),
    benchPlan(10, 1000),
    benchPlan(100, 1000),
    ...(await benchPass(200)),
    await benchStore(200),
  ];
  for (const line of lines) {
    Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  }
}

if (import.meta.main) await run();
