/**
 * The credential block of the reconciler (lib/dns/reconciler.ts): after a
 * 401/403 it sends nothing until `authRetryMs` has passed or a new provider
 * (a new token) arrives.
 */
import assert from "node:assert/strict";
import {
  err,
  intents,
  ScriptProvider,
  SETTINGS,
  setup,
  WWW,
} from "./reconciler_harness.ts";

const DOWN = new Set(["192.0.2.1"]);

async function blockedOnce() {
  const s = setup();
  s.provider.applyErrors = [err("auth")];
  const report = await s.rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.equal(report.status, "auth_blocked");
  return { ...s, until: report.retryAtMs! };
}

Deno.test("DnsReconciler.authBlocked() holds until exactly authRetryMs after the 401", async () => {
  const { clock, rec, until } = await blockedOnce();
  assert.equal(until, clock.now() + 60_000);
  assert.equal(rec.notBefore, until);
  assert.equal(rec.authBlocked(until - 1), true);
  assert.equal(rec.authBlocked(until), false);
  clock.advance(until - 1 - clock.now());
  const during = await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.deepEqual([during.status, during.retryAtMs], ["auth_blocked", until]);
  clock.advance(1);
  assert.equal(
    (await rec.reconcile(intents(["192.0.2.1"]), DOWN)).status,
    "ok",
  );
});

Deno.test("DnsReconciler.update() clears the block only with a new provider", async () => {
  const { clock, rec } = await blockedOnce();
  rec.update(SETTINGS);
  assert.equal(rec.authBlocked(clock.now()), true);
  rec.update(SETTINGS, new ScriptProvider(clock, [WWW], ["192.0.2.1"]));
  assert.equal(rec.authBlocked(clock.now()), false);
});
