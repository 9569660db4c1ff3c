/**
 * The reconciler end to end: real SDK, fake Cloudflare API, real state files.
 */
import assert from "node:assert/strict";
import {
  DnsReconciler,
  type ReconcilerSettings,
} from "../../lib/dns/reconciler.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import type { Intent } from "../../lib/write/plan.ts";
import {
  FileStateStore,
  MemoryStateStore,
} from "../../lib/agent/state_store.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type { CloudflareConfig } from "../../lib/config/types.ts";
import {
  type ApiRecord,
  type FakeCloudflare,
  type FakeRecordInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

const TOKEN = "CANARY-TOKEN-1234567890";
const WWW = "www.example.com";
const APEX = "example.com";
const IPS = ["192.0.2.10", "192.0.2.11", "2001:db8::10"];

const SETTINGS: ReconcilerSettings = {
  zone: "example.com",
  hostnames: ["www", "@"],
  ips: IPS,
  minRecords: 1,
  maxRemovalsFraction: 0.5,
  ttl: 1,
  proxied: false,
};

const CF: CloudflareConfig = {
  dnsDomain: "example.com",
  zoneId: null,
  hostnames: ["www", "@"],
  ipAddresses: IPS,
  proxied: false,
  ttl: 1,
  apiUrl: null,
  apiTokenFile: null,
  reconcileInterval: 60,
  apiBudgetShare: 0.25,
};

function initial(): FakeRecordInput[] {
  const out: FakeRecordInput[] = [];
  for (const name of [WWW, APEX]) {
    for (const ip of IPS) {
      out.push({
        type: ip.includes(":") ? "AAAA" : "A",
        name,
        content: ip,
        ttl: 300,
        proxied: true,
        comment: `edge ${ip}`,
        tags: ["owner:ops", "tier:edge"],
      });
    }
  }
  out.push({ type: "A", name: WWW, content: "198.51.100.1", ttl: 60 });
  out.push({ type: "TXT", name: WWW, content: "unmanaged" });
  return out;
}

interface Env {
  fake: FakeCloudflare;
  rec: DnsReconciler;
  provider: DnsProvider;
  store: FileStateStore;
  dir: string;
}

async function withEnv(
  fn: (env: Env) => Promise<void>,
  token = TOKEN,
): Promise<void> {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ name: "example.com", records: initial() }],
  });
  const dir = await Deno.makeTempDir({ prefix: "goavail-dns-" });
  const lines: string[] = [];
  try {
    const { logger } = createLogger({
      level: "debug",
      sink: (l) => lines.push(l),
    });
    const provider = await createCloudflareProvider(CF, {
      env: { CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_BASE_URL: fake.url },
      logger,
      timeoutMs: 300,
    });
    const store = await FileStateStore.open(dir, { logger });
    const rec = new DnsReconciler(provider, store, SETTINGS, {
      logger,
      backoffMs: 20,
    });
    await fn({ fake, rec, provider, store, dir });
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.ok(!line.includes(TOKEN), `token leaked: ${line}`);
    }
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const intents = (down: string[]): Map<string, Intent> =>
  new Map(IPS.map((ip) => [ip, down.includes(ip) ? "absent" : "present"]));

function managed(fake: FakeCloudflare, name: string): ApiRecord[] {
  return fake.state.recordsOf(name).filter((r) => IPS.includes(r.content))
    .sort((a, b) => a.content.localeCompare(b.content));
}

function strip(r: ApiRecord): Partial<ApiRecord> {
  const { id: _i, created_on: _c, modified_on: _m, ...rest } = r;
  return rest;
}

Deno.test("DnsReconciler with Cloudflare: a remove/restore round trip leaves records identical but for the id", async () => {
  await withEnv(async ({ fake, rec }) => {
    const before = [...managed(fake, WWW), ...managed(fake, APEX)].map(strip);
    const down = await rec.reconcile(
      intents(["192.0.2.10"]),
      new Set(["192.0.2.10"]),
    );
    assert.equal(down.status, "ok");
    assert.equal(fake.writes().length, 1);
    assert.deepEqual(managed(fake, WWW).map((r) => r.content), [
      "192.0.2.11",
      "2001:db8::10",
    ]);
    const up = await rec.reconcile(intents([]), new Set());
    assert.equal(up.status, "ok");
    assert.deepEqual(
      [...managed(fake, WWW), ...managed(fake, APEX)].map(strip),
      before,
    );
    assert.equal(fake.state.recordsOf(WWW).length, 5);
    fake.assertNeverEmpty();
  });
});

Deno.test("DnsReconciler with Cloudflare: the snapshot is on disk before the delete is sent", async () => {
  await withEnv(async ({ fake, rec, store }) => {
    for (const method of ["POST", "DELETE"]) {
      fake.faults.push({
        kind: "status",
        status: 500,
        match: { method },
        times: 10,
      });
    }
    const report = await rec.reconcile(
      intents(["192.0.2.11"]),
      new Set(["192.0.2.11"]),
    );
    assert.equal(report.status, "failed");
    const file = JSON.parse(await Deno.readTextFile(store.path));
    assert.deepEqual(Object.keys(file.snapshots).sort(), [
      `${APEX}|A|192.0.2.11`,
      `${WWW}|A|192.0.2.11`,
    ]);
    assert.equal(
      file.snapshots[`${WWW}|A|192.0.2.11`].comment,
      "edge 192.0.2.11",
    );
  });
});

Deno.test("DnsReconciler with Cloudflare: a 500 converges without duplicates", async () => {
  await withEnv(async ({ fake, rec }) => {
    await rec.reconcile(intents(["192.0.2.10"]), new Set(["192.0.2.10"]));
    fake.faults.push({
      kind: "status",
      status: 500,
      match: { method: "POST" },
    });
    const report = await rec.reconcile(intents([]), new Set());
    assert.equal(report.status, "ok");
    assert.deepEqual(report.apiErrors, { server: 1 });
    assert.equal(managed(fake, WWW).length, 3);
    assert.equal(managed(fake, APEX).length, 3);
  });
});

Deno.test("DnsReconciler with Cloudflare: nothing is sent before a 429's retry-after", async () => {
  await withEnv(async ({ fake, rec }) => {
    fake.faults.push({
      kind: "status",
      status: 429,
      retryAfter: "0.3",
      match: { method: "POST" },
    });
    const report = await rec.reconcile(
      intents(["192.0.2.10"]),
      new Set(["192.0.2.10"]),
    );
    assert.equal(report.status, "ok");
    const i = fake.audit.findIndex((e) => e.status === 429);
    const limited = fake.audit[i]!;
    const after = fake.audit.slice(i + 1);
    assert.ok(after.length > 0);
    for (const e of after) {
      assert.ok(
        e.at >= limited.at + 300,
        `request ${e.at - limited.at} ms after the 429`,
      );
    }
  });
});

Deno.test("DnsReconciler with Cloudflare: a dropped reply after commit leaves no duplicate", async () => {
  await withEnv(async ({ fake, rec }) => {
    await rec.reconcile(intents(["192.0.2.10"]), new Set(["192.0.2.10"]));
    fake.faults.push({ kind: "drop", match: { method: "POST" } });
    const report = await rec.reconcile(intents([]), new Set());
    assert.equal(report.status, "ok");
    assert.deepEqual(report.apiErrors, { server: 1 });
    assert.equal(managed(fake, WWW).length, 3);
    assert.equal(managed(fake, APEX).length, 3);
  });
});

Deno.test("DnsReconciler with Cloudflare: a slow reply times out and the retry converges", async () => {
  await withEnv(async ({ fake, rec }) => {
    fake.faults.push({
      kind: "slow",
      delayMs: 10_000,
      match: { method: "POST" },
    });
    const report = await rec.reconcile(
      intents(["192.0.2.11"]),
      new Set(["192.0.2.11"]),
    );
    assert.equal(report.status, "ok");
    assert.deepEqual(report.apiErrors, { server: 1 });
    assert.deepEqual(managed(fake, WWW).map((r) => r.content), [
      "192.0.2.10",
      "2001:db8::10",
    ]);
  });
});

Deno.test("DnsReconciler with Cloudflare: a rejected token stops all requests and keeps the records", async () => {
  await withEnv(async ({ fake, rec }) => {
    const first = await rec.reconcile(
      intents(["192.0.2.10"]),
      new Set(["192.0.2.10"]),
    );
    assert.equal(first.status, "auth_blocked");
    const seen = fake.audit.length;
    const again = await rec.reconcile(
      intents(["192.0.2.10"]),
      new Set(["192.0.2.10"]),
    );
    assert.equal(again.status, "auth_blocked");
    assert.equal(fake.audit.length, seen);
    assert.equal(managed(fake, WWW).length, 3);
  }, "CANARY-TOKEN-1234567890-wrong");
});

Deno.test("DnsReconciler with Cloudflare: every IP down removes nothing and the names never go empty", async () => {
  await withEnv(async ({ fake, rec }) => {
    const report = await rec.reconcile(intents(IPS), new Set(IPS));
    assert.equal(report.status, "ok");
    assert.equal(fake.writes().length, 0);
    assert.deepEqual(
      report.notes.map((n) => `${n.name} ${n.type} ${n.guard}`).sort(),
      [
        `${APEX} A all_down`,
        `${APEX} AAAA all_down`,
        `${WWW} A all_down`,
        `${WWW} AAAA all_down`,
      ],
    );
    fake.assertNeverEmpty();
  });
});

Deno.test("DnsReconciler with Cloudflare: another agent restores a record exactly from what it last saw", async () => {
  await withEnv(async ({ fake, rec: agentA, provider }) => {
    const before = managed(fake, WWW).map(strip);
    // Agent B has its own (empty) state store but has seen the records.
    const agentB = new DnsReconciler(
      provider,
      new MemoryStateStore(),
      SETTINGS,
      { backoffMs: 20 },
    );
    assert.equal((await agentB.reconcile(intents([]), new Set())).planned, 0);
    await agentA.reconcile(intents(["192.0.2.10"]), new Set(["192.0.2.10"]));
    const report = await agentB.reconcile(intents([]), new Set());
    assert.equal(report.writes.done, 2);
    assert.deepEqual(managed(fake, WWW).map(strip), before);
    // An agent that never saw the record can only use the config defaults.
    await agentA.reconcile(intents(["192.0.2.10"]), new Set(["192.0.2.10"]));
    const newcomer = new DnsReconciler(
      provider,
      new MemoryStateStore(),
      SETTINGS,
    );
    await newcomer.reconcile(intents([]), new Set());
    const restored = managed(fake, WWW).find((r) => r.content === "192.0.2.10");
    assert.deepEqual([restored?.ttl, restored?.proxied, restored?.comment], [
      1,
      false,
      null,
    ]);
  });
});

Deno.test("DnsReconciler sends no delete batch after the create batch once the writer role is gone", async () => {
  await withEnv(async ({ fake, rec }) => {
    const want = (absent: string) =>
      new Map<string, Intent>(
        IPS.map((ip) => [ip, ip === absent ? "absent" : "present"]),
      );
    assert.equal(
      (await rec.reconcile(want("192.0.2.10"), new Set(["192.0.2.10"])))
        .status,
      "ok",
    );
    const before = fake.writes().length;
    // .10 comes back and .11 dies on the same names: creates, then deletes
    // in a second request. The role is lost between the two.
    let asked = 0;
    const report = await rec.reconcile(
      want("192.0.2.11"),
      new Set(["192.0.2.11"]),
      { mayWrite: () => asked++ === 0 },
    );
    assert.notEqual(report.status, "ok");
    const sent = fake.writes().slice(before);
    assert.equal(sent.length, 1, "one request: the creates");
    assert.match(sent[0]!.body, /"posts":\[\{/);
    assert.doesNotMatch(sent[0]!.body, /"deletes":\[\{/);
    for (const name of [WWW, APEX]) {
      assert.ok(
        fake.state.recordsOf(name).some((r) => r.content === "192.0.2.11"),
        `${name} kept .11: nothing deleted without the role`,
      );
    }
  });
});
