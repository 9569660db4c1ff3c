import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { intents, setup } from "./reconciler_harness.ts";

const DOWN = new Set(["192.0.2.1"]);

Deno.test("DnsReconciler.reconcile() keeps a credential refusal until a listing succeeds", async () => {
  const { clock, provider, rec, lines } = setup();
  const refused = new DnsProviderError("auth", "HTTP 400", {
    status: 400,
    codes: [6003, 6111],
  });
  provider.listErrors = [refused];
  const first = await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.equal(first.status, "auth_blocked");
  assert.equal(first.attempts, 1, "no retry of a refused credential");
  assert.equal(rec.credentialsRejected, refused);
  const error = lines.filter((l) => l.includes("level=error"));
  assert.equal(error.length, 1);
  assert.match(error[0]!, /rejected the API token\/key/);
  assert.match(error[0]!, /malformed/);
  assert.match(error[0]!, /codes=6003,6111/);
  clock.advance(60_000);
  const again = await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.equal(again.status, "ok");
  assert.equal(rec.credentialsRejected, null);
  assert.equal(rec.blockedBy, null);
});

Deno.test("DnsReconciler.reconcile() blocks on a zone refusal (config) like a credential one, once a minute", async () => {
  const { clock, provider, rec, lines } = setup();
  const zone = new DnsProviderError(
    "config",
    'Cloudflare zone "example.com" is not active: z1 (pending, account acc1)',
  );
  provider.listErrors = [zone, zone];
  const first = await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.equal(first.status, "auth_blocked");
  assert.equal(rec.blockedBy, zone);
  assert.equal(rec.credentialsRejected, null);
  assert.equal(rec.authBlocked(clock.now()), true);
  const calls = provider.calls.length;
  clock.advance(30_000);
  await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  assert.equal(provider.calls.length, calls, "no call while blocked");
  clock.advance(30_000);
  await rec.reconcile(intents(["192.0.2.1"]), DOWN);
  const errors = lines.filter((l) => l.includes("level=error"));
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /DNS writes are blocked.*is not active/);
  assert.ok(!lines.some((l) => l.includes("level=warn")), lines.join("\n"));
});
