/**
 * Review: Route53Provider.apply() re-lists every changed name, one request
 * at a time, before its first ChangeResourceRecordSets, and asks
 * `mayContinue()` after that re-listing; the reconciler's `mayContinue`
 * measures the age of *its own* listing against `maxPlanAgeMs` (3 s). When
 * one dead IP sits in many names, the re-listing alone outlasts the plan
 * age, so every attempt ends "not sent" and the IP is never withdrawn (I5).
 * Scale model: 20 names, 100 ms per read, maxPlanAgeMs 1 s (production:
 * 3 s, so ~15–30 names at 100–200 ms per Route 53 read).
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { systemClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import type { FakeRecordSet } from "../support/fake_route53_state.ts";
import { withRoute53 } from "./route53_fixtures.ts";

Deno.test("review: a Route 53 withdrawal across many names is not starved by the provider's own re-listing", async () => {
  const hosts = Array.from({ length: 20 }, (_, i) => `h${i}`);
  const sets: FakeRecordSet[] = hosts.map((h) => ({
    Name: `${h}.example.com`,
    Type: "A",
    TTL: 60,
    ResourceRecords: ["192.0.2.10", "192.0.2.11"],
  }));
  await withRoute53(sets, async (fake, provider) => {
    const rec = new DnsReconciler(provider, new MemoryStateStore(), {
      zone: "example.com",
      hostnames: hosts,
      ips: ["192.0.2.10", "192.0.2.11"],
      minRecords: 1,
      maxRemovalsFraction: 0.5,
      ttl: 60,
      proxied: false,
    }, {
      clock: systemClock,
      logger: silentLogger,
      maxPlanAgeMs: 1_000,
      maxAttempts: 1,
    });
    // Warm the zone lookup, then every record read takes 100 ms.
    await provider.list(["h0.example.com"]);
    fake.faults.push({
      kind: "slow",
      delayMs: 100,
      match: { path: "/rrset", method: "GET" },
      times: 1_000,
    });
    const r = await rec.reconcile(
      new Map([["192.0.2.10", "absent"], ["192.0.2.11", "present"]]),
      new Set(["192.0.2.10"]),
    );
    const changes = fake.writes();
    assert.ok(
      changes.length > 0,
      `nothing sent: status ${r.status}, writes ${JSON.stringify(r.writes)}`,
    );
  });
});
