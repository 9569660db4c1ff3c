import assert from "node:assert/strict";
import { DryRunProvider } from "../../lib/dns/dry_run.ts";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type { Intent } from "../../lib/write/plan.ts";

const IPS = ["192.0.2.10", "192.0.2.11", "2001:db8::10"];

function setup() {
  const lines: string[] = [];
  const { logger } = createLogger({ sink: (l) => lines.push(l) });
  const provider = new DryRunProvider(IPS, { ttl: 300, logger });
  const rec = new DnsReconciler(provider, new MemoryStateStore(), {
    zone: "example.com",
    hostnames: ["www"],
    ips: IPS,
    minRecords: 1,
    maxRemovalsFraction: 0.5,
    ttl: 1,
    proxied: false,
  }, { logger });
  return { lines, provider, rec };
}

const intents = (down: string[]): Map<string, Intent> =>
  new Map(IPS.map((ip) => [ip, down.includes(ip) ? "absent" : "present"]));

Deno.test("DryRunProvider.list() believes every name holds every configured IP", async () => {
  const { provider } = setup();
  const got = await provider.list(["www.example.com", "example.com"]);
  assert.deepEqual([...got.keys()], ["www.example.com", "example.com"]);
  assert.deepEqual(
    got.get("example.com")!.map((r) => `${r.type} ${r.content} ${r.ttl}`),
    ["A 192.0.2.10 300", "A 192.0.2.11 300", "AAAA 2001:db8::10 300"],
  );
});

Deno.test("DryRunProvider.apply() logs one line per change and keeps its view consistent", async () => {
  const { lines, provider, rec } = setup();
  const report = await rec.reconcile(
    intents(["192.0.2.11"]),
    new Set(["192.0.2.11"]),
  );
  assert.equal(report.status, "ok");
  assert.equal(report.requests, 0);
  const info = lines.filter((l) => l.includes("level=info"));
  assert.equal(info.length, 1);
  assert.match(
    info[0]!,
    /msg="would remove A www\.example\.com 192\.0\.2\.11"/,
  );
  assert.match(info[0]!, /dry_run=true/);
  assert.deepEqual(
    (await provider.list(["www.example.com"])).get("www.example.com")!.map((
      r,
    ) => r.content),
    ["192.0.2.10", "2001:db8::10"],
  );
  // Same intents again: nothing more to do.
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.11"]), new Set(["192.0.2.11"])))
      .planned,
    0,
  );
  await rec.reconcile(intents([]), new Set());
  assert.match(
    lines.filter((l) => l.includes("level=info")).at(-1)!,
    /would restore A www\.example\.com 192\.0\.2\.11/,
  );
  assert.equal(provider.applied.length, 2);
});

Deno.test("DryRunProvider.apply() sends no network request", async () => {
  const { rec } = setup();
  const realFetch = globalThis.fetch;
  let calls = 0;
  globalThis.fetch = () => {
    calls++;
    return Promise.reject(new Error("no network in dry-run"));
  };
  try {
    await rec.reconcile(intents(["192.0.2.10"]), new Set(["192.0.2.10"]));
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(calls, 0);
});
