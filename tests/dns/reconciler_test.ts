import assert from "node:assert/strict";
import {
  DnsReconciler,
  type ReconcilerSettings,
} from "../../lib/dns/reconciler.ts";
import {
  type ApplyResult,
  type Change,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
  recordKey,
} from "../../lib/dns/provider.ts";
import type { Intent } from "../../lib/dns/reconcile.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";

const WWW = "www.example.com";
const API = "api.example.com";
const IPS = ["192.0.2.1", "192.0.2.2", "192.0.2.3"];

/** A clock whose sleeps move time forward at once. */
class JumpClock extends ManualClock {
  sleeps: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const p = super.sleep(ms, signal);
    this.advance(ms);
    return p;
  }
}

/** In-memory DNS with scripted failures; records every call and its time. */
class ScriptProvider implements DnsProvider {
  records = new Map<string, DnsRecord[]>();
  listErrors: (DnsProviderError | null)[] = [];
  applyErrors: (DnsProviderError | null)[] = [];
  calls: { op: "list" | "apply"; at: number; changes?: Change[] }[] = [];
  #id = 0;
  constructor(readonly clock: ManualClock, names: string[], ips: string[]) {
    for (const n of names) {
      this.records.set(
        n,
        ips.map((ip) => this.#rec(n, ip)),
      );
    }
  }
  #rec(name: string, content: string): DnsRecord {
    return {
      id: `r${++this.#id}`,
      type: "A",
      name,
      content,
      ttl: 300,
      proxied: true,
      comment: "c",
      tags: ["t:1"],
    };
  }
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    this.calls.push({ op: "list", at: this.clock.now() });
    const e = this.listErrors.shift();
    if (e) return Promise.reject(e);
    return Promise.resolve(
      new Map(names.map((n) => [n, [...(this.records.get(n) ?? [])]])),
    );
  }
  apply(changes: readonly Change[]): Promise<ApplyResult> {
    this.calls.push({
      op: "apply",
      at: this.clock.now(),
      changes: [...changes],
    });
    const e = this.applyErrors.shift();
    if (e) {
      return Promise.resolve({
        requests: 1,
        outcomes: changes.map((change) => ({
          change,
          result: "failed",
          error: e,
        })),
      });
    }
    for (const c of changes) {
      const list = this.records.get(c.record.name) ?? [];
      if (c.kind === "delete") {
        this.records.set(
          c.record.name,
          list.filter((r) => r.id !== c.record.id),
        );
      } else {list.push({ ...c.record, id: `r${++this.#id}` }),
          this.records.set(c.record.name, list);}
    }
    return Promise.resolve({
      requests: 1,
      outcomes: changes.map((change) => ({ change, result: "done" as const })),
    });
  }
  contents(name = WWW): string[] {
    return (this.records.get(name) ?? []).map((r) => r.content).sort();
  }
}

const SETTINGS: ReconcilerSettings = {
  zone: "example.com",
  hostnames: ["www", "api.example.com"],
  ips: IPS,
  minRecords: 1,
  maxRemovalsFraction: 0.5,
  ttl: 1,
  proxied: false,
};

function setup(options: { maxInlineWaitMs?: number } = {}) {
  const clock = new JumpClock();
  const provider = new ScriptProvider(clock, [WWW, API], IPS);
  const store = new MemoryStateStore();
  const lines: string[] = [];
  const { logger } = createLogger({
    sink: (l) => lines.push(l),
    now: () => clock.now(),
  });
  const rec = new DnsReconciler(provider, store, SETTINGS, {
    clock,
    logger,
    ...options,
  });
  return { clock, provider, store, lines, rec };
}

const intents = (down: string[]): Map<string, Intent> =>
  new Map(IPS.map((ip) => [ip, down.includes(ip) ? "absent" : "present"]));
const err = (kind: DnsProviderError["kind"], retryAfterMs?: number) =>
  new DnsProviderError(kind, `scripted ${kind}`, { retryAfterMs });

Deno.test("DnsReconciler.reconcile() removes a down IP from every name in one apply and logs each change", async () => {
  const { provider, store, lines, rec } = setup();
  const report = await rec.reconcile(
    intents(["192.0.2.2"]),
    new Set(["192.0.2.2"]),
  );
  assert.equal(report.status, "ok");
  assert.deepEqual(report.writes, { done: 2, already: 0, failed: 0 });
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 1);
  assert.deepEqual(provider.contents(WWW), ["192.0.2.1", "192.0.2.3"]);
  assert.equal(store.snapshots().size, 2);
  assert.equal(lines.filter((l) => l.includes('msg="Removed A')).length, 2);
});

Deno.test("DnsReconciler.reconcile() restores from the snapshot and then drops it", async () => {
  const { provider, store, rec } = setup();
  const before = provider.records.get(WWW)!.find((r) =>
    r.content === "192.0.2.2"
  )!;
  await rec.reconcile(intents(["192.0.2.2"]), new Set(["192.0.2.2"]));
  const report = await rec.reconcile(intents([]), new Set());
  assert.equal(report.writes.done, 2);
  const after = provider.records.get(WWW)!.find((r) =>
    r.content === "192.0.2.2"
  )!;
  const { id: _a, ...x } = before;
  const { id: _b, ...y } = after;
  assert.deepEqual(y, x);
  assert.equal(store.snapshots().size, 0);
});

Deno.test("DnsReconciler.reconcile() does nothing at all when abstaining", async () => {
  const { provider, rec } = setup();
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
    { abstain: true },
  );
  assert.equal(report.status, "abstained");
  assert.equal(provider.calls.length, 0);
});

Deno.test("DnsReconciler.reconcile() sends nothing before retry-after after a 429", async () => {
  const { clock, provider, rec } = setup();
  provider.applyErrors = [err("rate_limited", 3000)];
  const t0 = clock.now();
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(report.status, "ok");
  assert.deepEqual(report.apiErrors, { rate_limited: 1 });
  const [, firstApply, ...rest] = provider.calls;
  assert.equal(firstApply?.at, t0);
  assert.ok(rest.length > 0 && rest.every((c) => c.at >= t0 + 3000));
  assert.deepEqual(provider.contents(), ["192.0.2.2", "192.0.2.3"]);
});

Deno.test("DnsReconciler.reconcile() ends the pass on a long retry-after and keeps the gate", async () => {
  const { clock, provider, rec } = setup({ maxInlineWaitMs: 1000 });
  provider.applyErrors = [err("rate_limited", 60_000)];
  const first = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(first.status, "rate_limited");
  assert.equal(first.retryAtMs, clock.now() + 60_000);
  const calls = provider.calls.length;
  clock.advance(30_000);
  const second = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(second.status, "rate_limited");
  assert.equal(provider.calls.length, calls);
  clock.advance(30_000);
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])))
      .status,
    "ok",
  );
});

Deno.test("DnsReconciler.reconcile() re-reads and retries 5xx with bounded backoff", async () => {
  const { clock, provider, rec } = setup();
  provider.listErrors = [null, err("server")];
  provider.applyErrors = [err("server")];
  const report = await rec.reconcile(
    intents(["192.0.2.3"]),
    new Set(["192.0.2.3"]),
  );
  assert.equal(report.status, "ok");
  assert.deepEqual(clock.sleeps, [500, 1000]);
  assert.deepEqual(provider.calls.map((c) => c.op), [
    "list",
    "apply",
    "list",
    "list",
    "apply",
    "apply",
  ]);
  assert.deepEqual(report.apiErrors, { server: 2 });
  assert.deepEqual(provider.contents(API), ["192.0.2.1", "192.0.2.2"]);
});

Deno.test("DnsReconciler.reconcile() gives up after maxAttempts of 5xx and reports failed", async () => {
  const { clock, provider, rec } = setup();
  provider.listErrors = Array(10).fill(err("server"));
  const report = await rec.reconcile(
    intents(["192.0.2.3"]),
    new Set(["192.0.2.3"]),
  );
  assert.equal(report.status, "failed");
  assert.equal(report.attempts, 4);
  assert.deepEqual(clock.sleeps, [500, 1000, 2000]);
  assert.equal(provider.listErrors.length, 6);
});

Deno.test("DnsReconciler.reconcile() retries a failed batch per name so one name cannot block another", async () => {
  const { provider, rec } = setup();
  provider.applyErrors = [err("bad_request"), err("bad_request")];
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  const applies = provider.calls.filter((c) => c.op === "apply");
  // Pass 1: the batch fails. Pass 2: www fails again, api still goes. Pass 3: www.
  assert.deepEqual(applies.map((c) => c.changes?.map((x) => x.record.name)), [
    [WWW, API],
    [WWW],
    [API],
    [WWW],
  ]);
  assert.deepEqual(provider.contents(API), ["192.0.2.2", "192.0.2.3"]);
  assert.deepEqual(provider.contents(WWW), ["192.0.2.2", "192.0.2.3"]);
  assert.equal(report.status, "ok");
});

Deno.test("DnsReconciler.reconcile() stops writing on 401 and logs the error at most once a minute", async () => {
  const { clock, provider, lines, rec } = setup();
  provider.applyErrors = [err("auth")];
  const first = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(first.status, "auth_blocked");
  const calls = provider.calls.length;
  for (let i = 0; i < 5; i++) {
    clock.advance(10_000);
    assert.equal(
      (await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])))
        .status,
      "auth_blocked",
    );
  }
  assert.equal(provider.calls.length, calls);
  assert.equal(lines.filter((l) => l.includes("level=error")).length, 1);
  clock.advance(10_001);
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])))
      .status,
    "ok",
  );
});

Deno.test("DnsReconciler.reconcile() never deletes a record whose snapshot could not be saved", async () => {
  const { provider } = setup();
  const clock = new JumpClock();
  const store = new MemoryStateStore();
  store.putSnapshot = () => Promise.reject(new Error("disk full"));
  const rec = new DnsReconciler(provider, store, SETTINGS, {
    clock,
    maxAttempts: 1,
  });
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(report.status, "failed");
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 0);
  assert.deepEqual(provider.contents(), IPS);
});

Deno.test("DnsReconciler.reconcile() drops a stale snapshot when the record is back", async () => {
  const { provider, store, rec } = setup();
  const r = provider.records.get(WWW)![0]!;
  await store.putSnapshot(r);
  await rec.reconcile(intents([]), new Set());
  assert.equal(store.snapshots().has(recordKey(r)), false);
});

Deno.test("DnsReconciler.reconcile() serializes overlapping calls", async () => {
  const { provider, rec } = setup();
  const [a, b] = await Promise.all([
    rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])),
    rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])),
  ]);
  assert.equal(a.writes.done, 2);
  assert.equal(b.planned, 0);
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 1);
});
