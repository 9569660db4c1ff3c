/**
 * The change builder of route53_sets.ts: every set change is a `DELETE` of
 * the set exactly as listed plus a `CREATE` of the new set (a
 * compare-and-swap), a set that is gone a lone `CREATE`; and the test of
 * route53_errors.ts that tells a stale listing from any other refusal.
 * @module
 */
import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { isStaleListing } from "../../lib/dns/route53_errors.ts";
import { planSet, type RawRecordSet } from "../../lib/dns/route53_sets.ts";
import { create, del, WWW } from "./route53_fixtures.ts";

/** A set as the SDK lists it, with an attribute goavail does not manage. */
function listed(values: string[]): RawRecordSet {
  return {
    Name: `${WWW}.`,
    Type: "A",
    TTL: 30,
    HealthCheckId: "hc-1",
    ResourceRecords: values.map((Value) => ({ Value })),
  };
}

Deno.test("planSet() withdraws a value as DELETE of the set exactly as listed, then CREATE with every attribute kept", () => {
  const set = listed(["192.0.2.10", "192.0.2.11", "192.0.2.12"]);
  const before = structuredClone(set);
  const change = del("192.0.2.11");
  const plan = planSet([change], [set]);
  assert.deepEqual(plan.changes, [
    { Action: "DELETE", ResourceRecordSet: before },
    {
      Action: "CREATE",
      ResourceRecordSet: {
        ...before,
        ResourceRecords: [{ Value: "192.0.2.10" }, { Value: "192.0.2.12" }],
      },
    },
  ]);
  assert.deepEqual(plan.sent, [change]);
  assert.deepEqual(set, before, "the listing is not modified");
});

Deno.test("planSet() merges a pass's changes on a set into one DELETE + CREATE, keeping unmanaged values' text", () => {
  const set = {
    ...listed([]),
    Type: "AAAA",
    ResourceRecords: [{ Value: "2001:DB8::10" }, { Value: "2001:db8::11" }],
  };
  const plan = planSet([create("2001:db8::12"), del("2001:db8::11")], [set]);
  assert.deepEqual(plan.changes.map((c) => c.Action), ["DELETE", "CREATE"]);
  assert.deepEqual(plan.changes[0]!.ResourceRecordSet, set);
  assert.deepEqual(plan.changes[1]!.ResourceRecordSet.ResourceRecords, [
    { Value: "2001:DB8::10" },
    { Value: "2001:db8::12" },
  ]);
  assert.equal(plan.sent.length, 2);
});

Deno.test("planSet() restores into a set that is gone with a lone CREATE and the snapshot's TTL", () => {
  const plan = planSet([create("192.0.2.10", { ttl: 45 })], []);
  assert.deepEqual(plan.changes, [{
    Action: "CREATE",
    ResourceRecordSet: {
      Name: `${WWW}.`,
      Type: "A",
      TTL: 45,
      ResourceRecords: [{ Value: "192.0.2.10" }],
    },
  }]);
});

Deno.test("planSet() sends nothing for a set that already holds what is asked", () => {
  const plan = planSet(
    [create("192.0.2.10"), del("192.0.2.99")],
    [listed(["192.0.2.10"])],
  );
  assert.deepEqual(plan.changes, []);
  assert.equal(plan.already.length, 2);
});

Deno.test("planSet() never empties a set: no DELETE goes out for its last value", () => {
  const plan = planSet([del("192.0.2.10")], [listed(["192.0.2.10"])]);
  assert.deepEqual(plan.changes, []);
  assert.match(plan.refused[0]!.error.message, /without a value/);
});

Deno.test("planSet() removes nothing from a set that lost values since the listing the guards judged; restores still go", () => {
  const judged = ["192.0.2.10", "192.0.2.11", "192.0.2.12"];
  const withSet = (c: ReturnType<typeof del>) => ({
    ...c,
    record: { ...c.record, recordSet: { zoneId: "Z", values: judged } },
  });
  // Another writer withdrew .11 since; .12 was judged with three values.
  const remove = withSet(del("192.0.2.12"));
  const restore = create("192.0.2.13");
  const plan = planSet(
    [remove, restore],
    [listed(["192.0.2.10", "192.0.2.12"])],
  );
  assert.equal(plan.refused.length, 1);
  assert.equal(plan.refused[0]!.change, remove);
  assert.equal(plan.refused[0]!.error.kind, "conflict");
  assert.match(plan.refused[0]!.error.message, /lost 192\.0\.2\.11/);
  assert.deepEqual(plan.sent, [restore]);
  assert.deepEqual(plan.changes[1]!.ResourceRecordSet.ResourceRecords, [
    { Value: "192.0.2.10" },
    { Value: "192.0.2.12" },
    { Value: "192.0.2.13" },
  ]);
  // Values only added meanwhile, or gone through this pass's own deletes,
  // leave at least the count the guards saw: the delete goes.
  const both = planSet(
    [withSet(del("192.0.2.11")), withSet(del("192.0.2.12"))],
    [listed(["192.0.2.10", "192.0.2.12", "192.0.2.14"])],
  );
  assert.deepEqual(both.refused, []);
  assert.equal(both.already.length, 1);
  assert.equal(both.sent.length, 1);
});

/** A classified ChangeResourceRecordSets failure with the SDK's error. */
function refusal(
  message: string,
  messages?: string[],
  name = "InvalidChangeBatch",
): DnsProviderError {
  const cause = Object.assign(new Error(message), { name, messages });
  return new DnsProviderError("bad_request", message, { cause });
}

Deno.test("isStaleListing() is true only when every reason is a set changed since the listing", () => {
  const set = "[name='www.example.com.', type='A']";
  const cases: [DnsProviderError, boolean][] = [
    [
      refusal(
        `[Tried to delete resource record set ${set} but the values provided do not match the current values]`,
      ),
      true,
    ],
    [
      refusal(
        `[Tried to delete resource record set ${set} but it was not found, Tried to create resource record set [name='api.example.com.', type='AAAA'] but it already exists]`,
      ),
      true,
    ],
    [
      refusal("", [
        "Tried to create resource record set www.example.com. type A, but it already exists",
      ]),
      true,
    ],
    [
      refusal(
        `[Tried to delete resource record set ${set} but it was not found, RRSet with DNS name www.example.org. is not permitted in zone example.com.]`,
      ),
      false,
    ],
    [
      refusal(
        "[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '2001:db8::1'']",
      ),
      false,
    ],
    [
      refusal(
        `Tried to delete resource record set ${set} but it was not found`,
        undefined,
        "InvalidInput",
      ),
      false,
    ],
    [new DnsProviderError("server", "Route 53 timed out"), false],
  ];
  for (const [error, stale] of cases) {
    assert.equal(isStaleListing(error), stale, error.message);
  }
});
