/**
 * Review: after a failed attempt the reconciler retries per name (one
 * provider apply per name). Before each later group it asks only
 * `mayWrite()`, not the listing's age, and the provider lets an apply's
 * first request through unasked (RequestGate), so a group is sent from a
 * listing older than `maxPlanAgeMs` when earlier groups were slow (a 5 s
 * timeout each).
 */
import assert from "node:assert/strict";
import type { ApplyResult, Change } from "../../lib/dns/provider.ts";
import { API, err, intents, setup, WWW } from "./reconciler_harness.ts";

Deno.test("review: a per-name group is not sent from a listing older than maxPlanAgeMs", async () => {
  const { clock, provider, rec } = setup();
  provider.applyErrors = [err("server")]; // first attempt fails → per name
  const apply = provider.apply.bind(provider);
  let attempt = 0;
  const sentAt: { name: string; age: number }[] = [];
  let listedAt = 0;
  const list = provider.list.bind(provider);
  provider.list = (names) => {
    listedAt = clock.now();
    return list(names);
  };
  provider.apply = async (changes: readonly Change[]): Promise<ApplyResult> => {
    attempt++;
    sentAt.push({
      name: changes[0]!.record.name,
      age: clock.now() - listedAt,
    });
    const r = await apply(changes);
    if (attempt >= 2) clock.advance(5_000); // each per-name call times out slowly
    return r;
  };
  await rec.reconcile(intents(["192.0.2.1"]), new Set(["192.0.2.1"]));
  const stale = sentAt.filter((s) => s.age > 3_000);
  assert.deepEqual(stale, [], JSON.stringify(sentAt));
  assert.ok(
    sentAt.some((s) => s.name === WWW) && sentAt.some((s) => s.name === API),
  );
});
