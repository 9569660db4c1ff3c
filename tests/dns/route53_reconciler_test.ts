/**
 * The reconciler's retry policy over the Route 53 provider: real SDK, fake
 * Route 53 API, real clock (short back-offs).
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type { Intent } from "../../lib/write/plan.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import type { FakeRoute53 } from "../support/fake_route53.ts";
import { baseSets, withRoute53, WWW, ZONE_ID } from "./route53_fixtures.ts";

const IPS = ["192.0.2.10", "192.0.2.11", "192.0.2.12"];

function reconciler(provider: DnsProvider, lines: string[]) {
  const { logger } = createLogger({ sink: (l) => lines.push(l) });
  return new DnsReconciler(provider, new MemoryStateStore(), {
    zone: "example.com",
    hostnames: ["www"],
    ips: IPS,
    minRecords: 1,
    maxRemovalsFraction: 0.5,
    ttl: 300,
    proxied: false,
  }, { logger, backoffMs: 10 });
}

const withdraw = (ip: string) =>
  new Map<string, Intent>(IPS.map((x) => [x, x === ip ? "absent" : "present"]));

const values = (fake: FakeRoute53) => fake.state.values(ZONE_ID, WWW, "A");

Deno.test("DnsReconciler on Route 53: a lost reply is re-read and not sent again", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    fake.faults.push({ kind: "drop", match: { method: "POST" } });
    const r = await reconciler(provider, lines).reconcile(
      withdraw("192.0.2.12"),
      new Set(["192.0.2.12"]),
    );
    assert.equal(r.status, "ok");
    assert.equal(r.attempts, 2);
    assert.deepEqual(values(fake), ["192.0.2.10", "192.0.2.11"]);
    assert.equal(fake.writes().length, 1, "the retry found it done");
  });
});

Deno.test("DnsReconciler on Route 53: throttling waits out the back-off, then writes once", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    fake.faults.push({ kind: "throttle", match: { method: "POST" } });
    const r = await reconciler(provider, lines).reconcile(
      withdraw("192.0.2.12"),
      new Set(["192.0.2.12"]),
    );
    assert.equal(r.status, "ok");
    const posts = fake.writes();
    assert.equal(posts.length, 2);
    assert.ok(
      posts[1]!.at - posts[0]!.at >= 900,
      `nothing sent inside the back-off (${posts[1]!.at - posts[0]!.at} ms)`,
    );
    assert.deepEqual(values(fake), ["192.0.2.10", "192.0.2.11"]);
  });
});

Deno.test("DnsReconciler on Route 53: 5xx on every try ends the pass failed, the set untouched", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    fake.faults.push({
      kind: "status",
      status: 503,
      match: { method: "POST" },
      times: 10,
    });
    const r = await reconciler(provider, lines).reconcile(
      withdraw("192.0.2.12"),
      new Set(["192.0.2.12"]),
    );
    assert.notEqual(r.status, "ok");
    assert.equal(values(fake)?.length, 3);
  });
});
