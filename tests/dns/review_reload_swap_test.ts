/**
 * Review: a reload swaps the provider under a pass in flight
 * (`Reloader`: `agent.dns.setInner(provider)` at once, no wait for the
 * reconciler's chain), so a plan computed from provider A's listing (the
 * guards counted A's records) is applied to provider B. With Route 53 as B
 * (deletes by content after its own re-listing) or another Cloudflare zone,
 * the guards no longer hold for what B holds; with a create, names of the
 * old zone are written into the new one. The window is the pass's snapshot
 * saving (and, in a cluster, its replication wait) between list and apply.
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { WatchedProvider } from "../../lib/agent/dns_watch.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import {
  API,
  intents,
  IPS,
  JumpClock,
  ScriptProvider,
  SETTINGS,
  WWW,
} from "./reconciler_harness.ts";

Deno.test("review: a provider swapped (reload) between a pass's listing and its writes gets no write planned from the old provider's listing", async () => {
  const clock = new JumpClock();
  const a = new ScriptProvider(clock, [WWW, API], IPS);
  // B holds only two of the IPs: removing 192.0.2.1 there leaves one.
  const b = new ScriptProvider(clock, [WWW, API], IPS.slice(0, 2));
  const watched = new WatchedProvider(a, { now: () => clock.now() });
  const aList = a.list.bind(a);
  a.list = async (names) => {
    const out = await aList(names);
    // SIGHUP lands while the pass is in flight; as Reloader does it:
    watched.setInner(b);
    rec.update(settings, watched);
    return out;
  };
  const settings = { ...SETTINGS, minRecords: 2 };
  const rec = new DnsReconciler(watched, new MemoryStateStore(), settings, {
    clock,
    logger: silentLogger,
  });
  await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"]));
  // Whatever B gets must be planned from B's own listing.
  assert.deepEqual(
    b.calls.map((c) => c.op).slice(0, 1),
    ["list"],
    `B got writes planned from A's listing: ${
      JSON.stringify(b.calls.map((c) => c.op))
    }`,
  );
  assert.ok(b.contents(WWW).length >= 2, `B's ${WWW}: ${b.contents(WWW)}`);
});
