/**
 * Rule D through the reconciler: a delete that got no answer (a 5xx, a
 * timeout, a lost reply) may still land; until a listing asked for more
 * than `DNS_CALL_BOUND_MS` after it was sent, no other record of its name
 * is deleted. The provider here lets the first delete land late, as the
 * simulator's zone does (tests/sim/sim_cloudflare.ts).
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import {
  type ApplyResult,
  type Change,
  DnsProviderError,
} from "../../lib/dns/provider.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import type { Intent } from "../../lib/write/plan.ts";
import { DNS_CALL_BOUND_MS } from "../../lib/write/in_doubt.ts";
import { JumpClock, ScriptProvider, WWW } from "./reconciler_harness.ts";

const X = "192.0.2.1";
const Y = "192.0.2.2";

/** Times out on the first apply, and lands it when told. */
class LateProvider extends ScriptProvider {
  pending: Change[] = [];
  #first = true;
  override apply(changes: readonly Change[]): Promise<ApplyResult> {
    if (!this.#first) return super.apply(changes);
    this.#first = false;
    this.calls.push({
      op: "apply",
      at: this.clock.now(),
      changes: [...changes],
    });
    this.pending = [...changes];
    const error = new DnsProviderError("server", "timed out");
    return Promise.resolve({
      requests: 1,
      outcomes: changes.map((change) => ({
        change,
        result: "failed" as const,
        error,
      })),
    });
  }
  land(): Promise<ApplyResult> {
    const changes = this.pending;
    this.pending = [];
    return super.apply(changes);
  }
}

function setup(error: "server" | "bad_request" = "server") {
  const clock = new JumpClock();
  const provider = new LateProvider(clock, [WWW], [X, Y]);
  const rec = new DnsReconciler(provider, new MemoryStateStore(), {
    zone: "example.com",
    hostnames: ["www"],
    ips: [X, Y],
    minRecords: 1,
    maxRemovalsFraction: 1,
    ttl: 1,
    proxied: false,
  }, { clock, maxAttempts: 1 });
  return { clock, provider, rec, error };
}

const deletes = (p: ScriptProvider) =>
  p.calls.flatMap((c) =>
    (c.changes ?? []).filter((ch) => ch.kind === "delete").map((ch) =>
      ch.record.content
    )
  );

// X's delete times out; then X recovers ("hold": keep what is listed) and
// Y goes down. From a listing that still shows X, deleting Y is what the
// guards allow — unless X's delete may still land.
const intents = (x: Intent, y: Intent) => new Map([[X, x], [Y, y]]);

Deno.test("reconciler: after a delete timed out, the name's other record is not deleted until the call bound passed", async () => {
  const { clock, provider, rec } = setup();
  await rec.reconcile(intents("absent", "present"), new Set([X]));
  assert.deepEqual(deletes(provider), [X]);
  clock.advance(1000);
  const held = await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.equal(held.planned, 0);
  assert.deepEqual(deletes(provider), [X]);
  await provider.land();
  assert.deepEqual(provider.contents(), [Y], "the late delete landed");
  clock.advance(DNS_CALL_BOUND_MS);
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  // Now the listing shows the landing: min_records puts X (up) back
  // before Y (down) goes; the name was never empty.
  assert.deepEqual(provider.contents(), [X]);
});

Deno.test("reconciler: a doubtful delete holds the name only until the call bound", async () => {
  const { clock, provider, rec } = setup();
  await rec.reconcile(intents("absent", "present"), new Set([X]));
  clock.advance(DNS_CALL_BOUND_MS + 1);
  // It never landed (a 5xx that did nothing): Y may go, X stays.
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.deepEqual(provider.contents(), [X]);
});

Deno.test("reconciler: a pass that held deletes for a delete in doubt says when to look again", async () => {
  const { clock, rec } = setup();
  const t0 = clock.now();
  const first = await rec.reconcile(intents("absent", "present"), new Set([X]));
  assert.equal(first.recheckAtMs, undefined);
  clock.advance(1000);
  const held = await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.equal(held.recheckAtMs, t0 + DNS_CALL_BOUND_MS + 1);
  clock.advance(DNS_CALL_BOUND_MS);
  const next = await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.equal(next.recheckAtMs, undefined);
});

Deno.test("reconciler: a record an earlier run saved a snapshot for and still listed holds its name's other deletes after a restart", async () => {
  const clock = new JumpClock();
  const provider = new ScriptProvider(clock, [WWW], [X, Y]);
  const store = new MemoryStateStore();
  // The earlier run saved X's snapshot, sent its delete and ended before
  // the answer came: the delete may still land.
  await store.putSnapshot(await listed(provider, X));
  provider.calls = [];
  const rec = new DnsReconciler(provider, store, {
    zone: "example.com",
    hostnames: ["www"],
    ips: [X, Y],
    minRecords: 1,
    maxRemovalsFraction: 1,
    ttl: 1,
    proxied: false,
  }, { clock, maxAttempts: 1 });
  const held = await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.equal(held.planned, 0, "Y waits for X's delete to be known");
  assert.ok(held.recheckAtMs !== undefined, "it says when to look again");
  clock.advance(2 * DNS_CALL_BOUND_MS - 1);
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.deepEqual(deletes(provider), [], "held for one bound past the start");
  clock.advance(2);
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.deepEqual(deletes(provider), [Y]);
  assert.deepEqual(provider.contents(), [X]);
});

Deno.test("reconciler: snapshots of records the first listing does not show hold nothing", async () => {
  const clock = new JumpClock();
  const provider = new ScriptProvider(clock, [WWW], [X, Y]);
  const store = new MemoryStateStore();
  await store.putSnapshot({
    ...await listed(provider, X),
    id: "gone",
    content: "192.0.2.9",
  });
  const rec = new DnsReconciler(provider, store, {
    zone: "example.com",
    hostnames: ["www"],
    ips: [X, Y],
    minRecords: 1,
    maxRemovalsFraction: 1,
    ttl: 1,
    proxied: false,
  }, { clock, maxAttempts: 1 });
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  assert.deepEqual(provider.contents(), [X]);
});

async function listed(p: ScriptProvider, ip: string) {
  const r = (await p.list([WWW])).get(WWW)?.find((r) => r.content === ip);
  assert.ok(r, `${ip} is listed`);
  p.calls = [];
  return r;
}
