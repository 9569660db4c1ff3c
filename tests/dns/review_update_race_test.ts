/**
 * Review: `DnsReconciler.update(settings, provider)` (reload with a fixed
 * token) clears the refusal at once, but a pass already in flight on the
 * old provider then records the old provider's refusal as the new one's:
 * writes stay blocked (in a cluster until the next read a minute later)
 * although the new credentials were never tried.
 */
import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import {
  API,
  intents,
  IPS,
  ScriptProvider,
  SETTINGS,
  setup,
  WWW,
} from "./reconciler_harness.ts";

Deno.test("review: a refusal from the old provider, landing after a reload brought a new one, does not block the new one", async () => {
  const { clock, provider: old, rec } = setup();
  const fresh = new ScriptProvider(clock, [WWW, API], IPS);
  const list = old.list.bind(old);
  old.list = (names) => {
    rec.update(SETTINGS, fresh); // SIGHUP with the fixed token lands now
    return list(names);
  };
  old.listErrors = [
    new DnsProviderError("auth", "Cloudflare list failed: HTTP 403", {
      status: 403,
      codes: [10000],
    }),
  ];
  await rec.reconcile(intents([]), new Set());
  assert.equal(rec.blocked, false, "the new provider was never refused");
  assert.equal(rec.authBlocked(clock.now()), false);
});
