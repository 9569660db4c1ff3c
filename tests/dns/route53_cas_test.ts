/**
 * Route 53 writes as compare-and-swap, against the fake through the real
 * SDK: another writer changes a set between the provider's listing and its
 * write; Route 53 refuses the whole batch, nothing is written from the
 * stale listing, the provider re-reads (once per call) and writes the
 * right set. With an `UPSERT` of the set (the earlier design) the first
 * test fails: the stale write goes through and puts 192.0.2.11 back.
 * @module
 */
import assert from "node:assert/strict";
import type { DnsProviderError } from "../../lib/dns/provider.ts";
import type { FakeRoute53 } from "../support/fake_route53.ts";
import type { ChangeRequest } from "../support/fake_route53_state.ts";
import {
  baseSets,
  create,
  del,
  withRoute53,
  WWW,
  ZONE_ID,
} from "./route53_fixtures.ts";

/** www's A set with these values, as another client would write it. */
function wwwA(values: string[]): ChangeRequest {
  return {
    action: "UPSERT",
    set: { Name: `${WWW}.`, Type: "A", TTL: 30, ResourceRecords: values },
  };
}

/**
 * Lets another writer commit `theirs[n]` just before the provider's n-th
 * change batch reaches the zone.
 */
function interleave(
  fake: FakeRoute53,
  theirs: ChangeRequest[][],
): void {
  const real = fake.state.apply.bind(fake.state);
  let n = 0;
  fake.state.apply = (zone, requests) => {
    const other = theirs[n++];
    if (other) real(zone, other);
    return real(zone, requests);
  };
}

function actions(fake: FakeRoute53): string[][] {
  return fake.writes().map((w) =>
    [...w.body.matchAll(/<Action>(\w+)<\/Action>/g)].map((m) => m[1]!)
  );
}

Deno.test("Route53Provider.apply() re-reads a set changed since its listing: the stale batch is refused whole, nothing put back", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    // Between our listing and our write, another agent withdraws .11.
    interleave(fake, [[wwwA(["192.0.2.10", "192.0.2.12"])]]);
    const result = await provider.apply([del("192.0.2.12")]);
    assert.deepEqual(result.outcomes.map((o) => o.result), ["done"]);
    assert.equal(
      result.requests,
      2,
      "the refused batch and the re-planned one",
    );
    // .11 stays withdrawn: the stale {.10, .11} was never written.
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), ["192.0.2.10"]);
    assert.deepEqual(actions(fake), [
      ["DELETE", "CREATE"],
      ["DELETE", "CREATE"],
    ]);
    const [stale, fresh] = fake.writes();
    assert.match(stale!.body, /<Value>192\.0\.2\.11<\/Value>/);
    assert.doesNotMatch(fresh!.body, /192\.0\.2\.11/);
    const info = lines.filter((l) =>
      l.includes("set changed since listing, re-read")
    );
    assert.equal(info.length, 1, lines.join("\n"));
    assert.match(info[0]!, /level=info/);
    assert.ok(
      !lines.some((l) => /level=(warn|error)/.test(l)),
      lines.join("\n"),
    );
    fake.assertNeverEmpty();
  });
});

Deno.test("Route53Provider.apply() after the re-read finds the change already made: nothing more is sent", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    interleave(fake, [[wwwA(["192.0.2.10", "192.0.2.11"])]]);
    const result = await provider.apply([del("192.0.2.12")]);
    assert.deepEqual(result.outcomes.map((o) => o.result), ["already"]);
    assert.equal(result.requests, 1);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
    ]);
  });
});

Deno.test("Route53Provider.apply() re-reads once per call: changed again, the changes fail as a conflict and nothing is written", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    interleave(fake, [
      [wwwA(["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"])],
      [wwwA(["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.14"])],
      [wwwA(["192.0.2.15"])],
    ]);
    const result = await provider.apply([del("192.0.2.12")]);
    const o = result.outcomes[0];
    assert.equal(o?.result, "failed");
    const e = (o as { error: DnsProviderError }).error;
    assert.equal(e.kind, "conflict");
    assert.match(e.message, /changed again after the re-read/);
    assert.equal(result.requests, 2, "no third batch");
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
      "192.0.2.12",
      "192.0.2.14",
    ]);
    assert.equal(
      lines.filter((l) => l.includes("set changed since listing")).length,
      1,
    );
  });
});

Deno.test("Route53Provider.apply() re-reads when a set it would CREATE came back meanwhile, and adds the value to it", async () => {
  const sets = baseSets().filter((s) => !(s.Name === WWW && s.Type === "AAAA"));
  await withRoute53(sets, async (fake, provider) => {
    interleave(fake, [[{
      action: "CREATE",
      set: {
        Name: `${WWW}.`,
        Type: "AAAA",
        TTL: 3600,
        ResourceRecords: ["2001:db8::99"],
      },
    }]]);
    const result = await provider.apply([create("2001:db8::10", { ttl: 45 })]);
    assert.deepEqual(result.outcomes.map((o) => o.result), ["done"]);
    assert.deepEqual(actions(fake), [["CREATE"], ["DELETE", "CREATE"]]);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "AAAA"), [
      "2001:db8::99",
      "2001:db8::10",
    ]);
    const set = fake.state.zones.get(ZONE_ID)!.sets.find((s) =>
      s.Name === `${WWW}.` && s.Type === "AAAA"
    );
    assert.equal(set?.TTL, 3600, "the set's TTL as it is, not the snapshot's");
  });
});

Deno.test("Route53Provider.apply() re-reads a whole refused batch of several sets, each set re-planned", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    // Only the A set changed; the batch also carried the AAAA set.
    interleave(fake, [[wwwA(["192.0.2.10", "192.0.2.12"])]]);
    const result = await provider.apply([
      del("192.0.2.12"),
      create("2001:db8::11"),
    ]);
    assert.deepEqual(result.outcomes.map((o) => o.result), ["done", "done"]);
    assert.deepEqual(actions(fake), [
      ["DELETE", "CREATE", "DELETE", "CREATE"],
      ["DELETE", "CREATE", "DELETE", "CREATE"],
    ]);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), ["192.0.2.10"]);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "AAAA"), [
      "2001:db8::10",
      "2001:db8::11",
    ]);
  });
});
