/** Route 53 batch limits: changes, records and characters of values. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { batchesOf } from "../../lib/dns/route53.ts";
import type { SetPlan } from "../../lib/dns/route53_sets.ts";

/** A set plan of DELETE + CREATE with `n` values of `value`'s length. */
function plan(i: number, n: number, value: string): SetPlan {
  const set = {
    Name: `h${i}.example.com.`,
    Type: "AAAA",
    TTL: 60,
    ResourceRecords: Array.from({ length: n }, () => ({ Value: value })),
  };
  return {
    changes: [
      { Action: "DELETE", ResourceRecordSet: set },
      {
        Action: "CREATE",
        ResourceRecordSet: { ...set, ResourceRecords: set.ResourceRecords },
      },
    ],
    already: [],
    sent: [],
    refused: [],
  };
}

const FULL_V6 = "2001:0db8:0000:0000:0000:0000:0000:0001"; // 39 characters

Deno.test("batchesOf() keeps the values of a request within 32,000 characters", () => {
  // 40 sets × 2 changes × 12 values: 80 changes, 960 records (within both
  // counts) but 37,440 characters of values.
  const plans = Array.from({ length: 40 }, (_, i) => plan(i, 12, FULL_V6));
  const batches = batchesOf(plans);
  for (const b of batches) {
    const chars = b.flatMap((p) => p.changes).flatMap((c) =>
      c.ResourceRecordSet.ResourceRecords ?? []
    ).reduce((sum, r) => sum + (r.Value?.length ?? 0), 0);
    assertEquals(chars <= 32_000, true, `${chars} characters in one batch`);
  }
  assertEquals(batches.length, 2);
  assertEquals(batches.flat().length, 40);
});

Deno.test("batchesOf() never splits a set's DELETE from its CREATE", () => {
  const plans = Array.from({ length: 120 }, (_, i) => plan(i, 1, "192.0.2.1"));
  const batches = batchesOf(plans);
  assertEquals(batches.map((b) => b.length), [50, 50, 20]);
  for (const b of batches) {
    for (const p of b) assertEquals(p.changes.length, 2);
  }
});
