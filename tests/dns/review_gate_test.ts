/**
 * Review: `mayContinue()` saying no must leave the *rest* of an apply unsent
 * (ApplyOptions doc, CloudflareWrites.apply doc). CloudflareWrites asks the
 * gate again for every later batch, so a role lost for one request and
 * back for the next (its handover memory is not advanced by mayWrite())
 * lets later chunks go out from the old listing.
 */
import assert from "node:assert/strict";
import { CloudflareWrites } from "../../lib/dns/cloudflare_writes.ts";
import type { Change } from "../../lib/dns/provider.ts";
import { silentLogger } from "../../lib/observe/log.ts";

function del(i: number): Change {
  return {
    kind: "delete",
    record: {
      id: `id${i}`,
      type: "A",
      name: `n${i}.example.com`,
      content: "192.0.2.1",
      ttl: 1,
      proxied: false,
      comment: null,
      tags: [],
    },
  };
}

Deno.test("review: CloudflareWrites sends no batch after mayContinue() once said no", async () => {
  const sent: number[] = [];
  const api = {
    batch(p: { deletes: { id: string }[] }) {
      sent.push(p.deletes.length);
      return Promise.resolve({ posts: [] });
    },
    create: () => Promise.resolve({}),
    delete: () => Promise.resolve({}),
  };
  const writes = new CloudflareWrites(api, silentLogger);
  // 401 deletes on distinct names: chunks of 200, 200, 1.
  const changes = Array.from({ length: 401 }, (_, i) => del(i));
  const answers = [false, true, true]; // role lost, then back
  const r = await writes.apply("zone1", changes, () => answers.shift() ?? true);
  // Only the first chunk may have gone out.
  assert.deepEqual(sent, [200]);
  assert.equal(r.outcomes.filter((o) => o.result === "done").length, 200);
});
