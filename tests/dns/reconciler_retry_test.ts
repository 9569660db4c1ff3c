import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import {
  API,
  err,
  intents,
  IPS,
  JumpClock,
  ScriptProvider,
  SETTINGS,
  setup,
  WWW,
} from "./reconciler_harness.ts";

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
  store.putSnapshots = () => Promise.reject(new Error("disk full"));
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

Deno.test("DnsReconciler.reconcile() reads fresh intents through refresh() before each attempt", async () => {
  const { provider, rec } = setup();
  provider.applyErrors = [err("server")];
  let calls = 0;
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
    {
      // The IP recovers while the first attempt fails: the retry must not remove it.
      refresh: () =>
        calls++ === 0
          ? { intents: intents(["192.0.2.1"]), down: new Set(["192.0.2.1"]) }
          : { intents: intents([]), down: new Set() },
    },
  );
  assert.equal(report.status, "ok");
  assert.equal(report.planned, 0);
  assert.deepEqual(provider.contents(), IPS);
  const abstained = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
    {
      refresh: () => ({
        intents: intents(["192.0.2.1"]),
        down: new Set(["192.0.2.1"]),
        abstain: true,
      }),
    },
  );
  assert.equal(abstained.status, "abstained");
});

Deno.test("DnsReconciler.reconcile() drops a plan that went stale before it was sent", async () => {
  const { clock, provider, store, rec } = setup();
  const put = store.putSnapshots.bind(store);
  let paused = false;
  store.putSnapshots = async (r) => {
    await put(r);
    if (!paused) {
      paused = true;
      clock.advance(20_000); // the process was stopped between read and write
    }
  };
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(report.status, "ok");
  assert.deepEqual(provider.calls.map((c) => c.op), ["list", "list", "apply"]);
  assert.deepEqual(report.apiErrors, {});
  assert.deepEqual(provider.contents(), ["192.0.2.2", "192.0.2.3"]);
});

Deno.test("DnsReconciler.reconcile() returns aborted when shutdown interrupts a wait", async () => {
  const clock = new ManualClock();
  const provider = new ScriptProvider(clock, [WWW], IPS);
  provider.applyErrors = [err("rate_limited", 5000)];
  const rec = new DnsReconciler(provider, new MemoryStateStore(), SETTINGS, {
    clock,
  });
  const stop = new AbortController();
  const pending = rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
    { signal: stop.signal },
  );
  for (let i = 0; i < 200 && provider.calls.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 0));
  }
  stop.abort();
  const report = await pending;
  assert.equal(report.status, "aborted");
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 1);
});

Deno.test("DnsReconciler.reconcile() reports rate_limited when every attempt meets a 429", async () => {
  const { clock, provider, rec } = setup();
  provider.applyErrors = Array(4).fill(err("rate_limited", 2000));
  const report = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(report.status, "rate_limited");
  assert.equal(report.attempts, 4);
  assert.equal(report.retryAtMs, clock.now() + 2000);
  assert.equal(rec.notBefore, report.retryAtMs);
});

Deno.test("DnsReconciler backs off 30 s, 60 s, … up to Cloudflare's 5-minute block after 429s without retry-after", async () => {
  const { clock, provider, rec } = setup({ maxInlineWaitMs: 0 });
  const limited = () =>
    new DnsProviderError("rate_limited", "HTTP 429", { status: 429 });
  provider.listErrors = Array.from({ length: 6 }, limited);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    const before = clock.now();
    const r = await rec.reconcile(
      intents(["192.0.2.1"]),
      new Set(["192.0.2.1"]),
    );
    assert.equal(r.status, "rate_limited");
    waits.push(r.retryAtMs! - before);
    clock.advance(r.retryAtMs! - before);
  }
  assert.deepEqual(waits, [30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  // A pass that lists again resets the back-off.
  const ok = await rec.reconcile(
    intents(["192.0.2.1"]),
    new Set(["192.0.2.1"]),
  );
  assert.equal(ok.status, "ok");
  provider.listErrors = [limited()];
  const before = clock.now();
  const again = await rec.reconcile(intents([]), new Set());
  assert.equal(again.retryAtMs! - before, 30_000);
});
