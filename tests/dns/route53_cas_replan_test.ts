/**
 * The Route 53 compare-and-swap re-plan after a stale refusal: a create
 * found in effect and withdrawn since, and a delete found done.
 * @module
 */
import assert from "node:assert/strict";
import type { FakeRoute53 } from "../support/fake_route53.ts";
import type { ChangeRequest } from "../support/fake_route53_state.ts";
import { create, del, withRoute53, WWW, ZONE_ID } from "./route53_fixtures.ts";

function wwwA(values: string[]): ChangeRequest {
  return {
    action: "UPSERT",
    set: { Name: `${WWW}.`, Type: "A", TTL: 30, ResourceRecords: values },
  };
}

function interleave(fake: FakeRoute53, theirs: ChangeRequest[][]): void {
  const real = fake.state.apply.bind(fake.state);
  let n = 0;
  fake.state.apply = (zone, requests) => {
    const other = theirs[n++];
    if (other) real(zone, other);
    return real(zone, requests);
  };
}

const judged = (values: string[]) => ({
  recordSet: { zoneId: ZONE_ID, values },
});

Deno.test("route53 re-plan after a stale refusal keeps the creates a delete relied on (min_records)", async () => {
  // Guards judged www A = {.10, .11}, min_records 2: restore .12, remove .11
  // (needsCreates). Another writer restored .12 before our listing, so our
  // create is "already"; then it withdraws .12 before our write.
  const sets = [{
    Name: WWW,
    Type: "A",
    TTL: 30,
    ResourceRecords: ["192.0.2.10", "192.0.2.11", "192.0.2.12"],
  }];
  await withRoute53(sets, async (fake, provider) => {
    interleave(fake, [[wwwA(["192.0.2.10", "192.0.2.11"])]]);
    const restore = create("192.0.2.12");
    const remove = {
      ...del("192.0.2.11", judged(["192.0.2.10", "192.0.2.11"])),
      needsCreates: true,
    };
    const result = await provider.apply([restore, remove]);
    const left = fake.state.values(ZONE_ID, WWW, "A") ?? [];
    assert.ok(
      left.length >= 2,
      `name below min_records: ${JSON.stringify(left)}; outcomes ${
        JSON.stringify(result.outcomes.map((o) => o.result))
      }`,
    );
  });
});

Deno.test("route53 re-plan counts the pass's own deletes that were already in effect (no false conflict)", async () => {
  const all = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"];
  const sets = [{
    Name: WWW,
    Type: "A",
    TTL: 30,
    ResourceRecords: ["192.0.2.10", "192.0.2.12", "192.0.2.13"],
  }];
  await withRoute53(sets, async (fake, provider) => {
    // Another writer only adds .14 between our listing and our write.
    interleave(fake, [[
      wwwA(["192.0.2.10", "192.0.2.12", "192.0.2.13", "192.0.2.14"]),
    ]]);
    const result = await provider.apply([
      del("192.0.2.11", judged(all)),
      del("192.0.2.12", judged(all)),
    ]);
    assert.deepEqual(
      result.outcomes.map((o) =>
        o.result === "failed" ? `failed: ${o.error.message}` : o.result
      ),
      ["already", "done"],
    );
  });
});
