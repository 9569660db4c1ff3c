/**
 * Review: the standby start-up check (`#recheck`, reconciler.ts) sets
 * `#authBlockedUntil` on *any* failed read, also when nothing was refused
 * (`#rejected` stays null). A transient 5xx or timeout then makes the agent
 * `authBlocked()` (so `dnsBlocked`, not writable) for `authRetryMs`, and
 * when it becomes the writer its pass is refused with status
 * "auth_blocked" and the log line "Cloudflare rejected the API token/key"
 * for what was a timeout.
 */
import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { intents, setup } from "./reconciler_harness.ts";

Deno.test("review: a transient 5xx on the standby start-up read does not block writes as refused credentials", async () => {
  const { clock, provider, rec, lines } = setup();
  provider.listErrors = [
    new DnsProviderError("server", "Cloudflare list failed: timed out"),
  ];
  await rec.reconcile(intents([]), new Set(), { abstain: true });
  assert.equal(rec.blocked, false, "nothing was refused");
  assert.equal(
    rec.authBlocked(clock.now()),
    false,
    "a timeout is not a credential refusal",
  );
  // It becomes the writer a second later: the pass must run.
  clock.advance(1_000);
  const r = await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"]));
  assert.notEqual(r.status, "auth_blocked");
  assert.ok(
    !lines.some((l) => /rejected the API token/.test(l)),
    lines.join("\n"),
  );
});
