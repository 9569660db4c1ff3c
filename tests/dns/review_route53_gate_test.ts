/**
 * Review: Route53Provider.apply() asks `mayContinue()` before every chunk
 * of 50 sets (100 Change elements, a DELETE and a CREATE per set); a "no" for one chunk must leave every later chunk unsent
 * too (ApplyOptions: "false leaves the rest unsent"), not only that chunk.
 */
import assert from "node:assert/strict";
import type { FakeRecordSet } from "../support/fake_route53_state.ts";
import { del, withRoute53 } from "./route53_fixtures.ts";

Deno.test("review: Route53Provider.apply() sends no chunk after mayContinue() once said no", async () => {
  const names = Array.from({ length: 201 }, (_, i) => `n${i}.example.com`);
  const sets: FakeRecordSet[] = names.map((Name) => ({
    Name,
    Type: "A",
    TTL: 60,
    ResourceRecords: ["192.0.2.10", "192.0.2.11"],
  }));
  await withRoute53(sets, async (fake, provider) => {
    const changes = names.map((name) => del("192.0.2.10", { name }));
    const answers = [true, false, true]; // chunk 1 ok, 2 refused, 3 "back"
    const r = await provider.apply(changes, {
      mayContinue: () => answers.shift() ?? true,
    });
    const posts = fake.audit.filter((x) => x.method === "POST");
    assert.equal(posts.length, 1, "only the first chunk may go out");
    assert.equal(r.outcomes.filter((o) => o.result === "done").length, 50);
    assert.equal(r.outcomes.filter((o) => o.result === "failed").length, 151);
  });
});
