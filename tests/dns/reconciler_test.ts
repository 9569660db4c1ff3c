import assert from "node:assert/strict";
import { reconcilerSettings } from "../../lib/dns/reconciler.ts";
import { recordKey } from "../../lib/dns/provider.ts";
import type { Config } from "../../lib/config/types.ts";
import {
  API,
  err,
  intents,
  IPS,
  ScriptProvider,
  SETTINGS,
  setup,
  WWW,
} from "./reconciler_harness.ts";

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

Deno.test("DnsReconciler.reconcile() sends no write once mayWrite() says the role is gone", async () => {
  const { provider, rec } = setup();
  let asked = 0;
  const report = await rec.reconcile(
    intents(["192.0.2.2"]),
    new Set(["192.0.2.2"]),
    { mayWrite: () => (asked++, false) },
  );
  assert.equal(report.status, "abstained");
  assert.equal(asked, 1, "asked right before the write call");
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 0);
  assert.deepEqual(provider.contents(WWW), IPS);
  const ok = await rec.reconcile(
    intents(["192.0.2.2"]),
    new Set(["192.0.2.2"]),
    { mayWrite: () => true },
  );
  assert.equal(ok.status, "ok");
  assert.equal(provider.calls.filter((c) => c.op === "apply").length, 1);
});

Deno.test("DnsReconciler.reconcile() writes nothing when abstaining, and reads once only to check the credentials", async () => {
  const { provider, rec } = setup();
  for (let i = 0; i < 3; i++) {
    const report = await rec.reconcile(
      intents(["192.0.2.1"]),
      new Set(["192.0.2.1"]),
      { abstain: true },
    );
    assert.equal(report.status, "abstained");
  }
  assert.deepEqual(provider.calls.map((c) => c.op), ["list"]);
  assert.equal(rec.blocked, false);
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

Deno.test("DnsReconciler.update() swaps the provider and lifts a credential block", async () => {
  const { clock, provider, rec } = setup();
  provider.applyErrors = [err("auth")];
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])))
      .status,
    "auth_blocked",
  );
  const fresh = new ScriptProvider(clock, [WWW, API], IPS);
  rec.update(SETTINGS, fresh);
  assert.equal(rec.notBefore <= clock.now(), true);
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"])))
      .status,
    "ok",
  );
  assert.deepEqual(fresh.contents(), ["192.0.2.2", "192.0.2.3"]);
});

Deno.test("reconcilerSettings() takes names, IPs, guards and defaults from the config", () => {
  const config = {
    minRecords: 2,
    maxRemovalsFraction: 0.25,
    cloudflare: {
      dnsDomain: "example.com",
      hostnames: ["@"],
      ipAddresses: ["192.0.2.1"],
      ttl: 120,
      proxied: true,
    },
  } as unknown as Config;
  assert.deepEqual(reconcilerSettings(config), {
    zone: "example.com",
    hostnames: ["@"],
    names: ["example.com"],
    ips: ["192.0.2.1"],
    minRecords: 2,
    maxRemovalsFraction: 0.25,
    ttl: 120,
    proxied: true,
  });
});
