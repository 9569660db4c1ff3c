/**
 * CloudflareProvider.apply() against the strict fake through the real SDK:
 * batch order and chunking, restores the zone refuses for their extras,
 * proxied TTL, record settings, and record-level refusals.
 */
import assert from "node:assert/strict";
import { a, cfConfig, only, TOKEN, WWW } from "./fixtures.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import type { Change, DnsProvider, DnsRecord } from "../../lib/dns/provider.ts";
import { createLogger } from "../../lib/observe/log.ts";
import {
  type FakeCloudflare,
  type FakePlan,
  type FakeRecordInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

interface Zone {
  plan?: FakePlan;
  recordQuota?: number;
}

async function withFake(
  records: FakeRecordInput[],
  fn: (fake: FakeCloudflare, p: DnsProvider, lines: string[]) => Promise<void>,
  zone: Zone = {},
): Promise<void> {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ id: "zone1", name: "example.com", records, ...zone }],
  });
  const lines: string[] = [];
  try {
    const { logger } = createLogger({ sink: (l) => lines.push(l) });
    const provider = await createCloudflareProvider(cfConfig(), {
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      logger,
      timeoutMs: 2000,
    });
    await fn(fake, provider, lines);
  } finally {
    await fake.close();
  }
}

function restore(content: string, over: Partial<DnsRecord> = {}): Change {
  return {
    kind: "create",
    fromSnapshot: true,
    record: {
      type: content.includes(":") ? "AAAA" : "A",
      name: WWW,
      content,
      ttl: 300,
      proxied: false,
      comment: null,
      tags: [],
      ...over,
    },
  };
}

const writes = (fake: FakeCloudflare) =>
  fake.writes().map((w) => `${w.method} ${w.path.split("/").pop()}`);

Deno.test("CloudflareProvider.apply() restores X before withdrawing Y on one name, so no edge state is empty", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    const [y] = only(await provider.list([WWW]));
    const r = await provider.apply([
      { kind: "delete", record: y! },
      restore("192.0.2.2"),
    ]);
    assert.deepEqual(r.outcomes.map((o) => o.result), ["done", "done"]);
    assert.deepEqual(writes(fake), ["POST dns_records", `DELETE ${y!.id}`]);
    assert.equal(fake.minRecordsSeen(WWW, "A"), 1);
    fake.assertNeverEmpty();
  });
});

Deno.test("CloudflareProvider.apply() sends the create batch first and the same-name deletes only after it is confirmed", async () => {
  await withFake(
    [a("192.0.2.1"), a("192.0.2.2")],
    async (fake, provider) => {
      const [y1, y2] = only(await provider.list([WWW]));
      const r = await provider.apply([
        { kind: "delete", record: y1! },
        { kind: "delete", record: y2! },
        restore("192.0.2.3"),
        restore("192.0.2.4"),
      ]);
      assert.deepEqual(r.outcomes.map((o) => o.result), [
        "done",
        "done",
        "done",
        "done",
      ]);
      assert.equal(r.requests, 2);
      assert.deepEqual(writes(fake), ["POST batch", "POST batch"]);
      const [first, second] = fake.writes();
      assert.match(first!.body, /"posts"/);
      assert.doesNotMatch(first!.body, /"deletes":\[\{/);
      assert.doesNotMatch(second!.body, /"posts":\[\{/);
      assert.equal(fake.minRecordsSeen(WWW, "A"), 2);
    },
  );
});

Deno.test("CloudflareProvider.apply() asks mayContinue() before each request after the first and stops when it says no", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    const [y] = only(await provider.list([WWW]));
    let asked = 0;
    const r = await provider.apply([
      { kind: "delete", record: y! },
      restore("192.0.2.2"),
    ], { mayContinue: () => (asked++, false) });
    assert.equal(asked, 1, "asked before the second request only");
    assert.deepEqual(r.outcomes.map((o) => o.result), ["failed", "done"]);
    const held = r.outcomes[0]!;
    assert.ok(
      held.result === "failed" &&
        /no longer the writer/.test(held.error.message),
    );
    assert.deepEqual(writes(fake), ["POST dns_records"], "the delete went out");
  });
});

Deno.test("CloudflareProvider.apply() does not send the deletes of a name whose create batch failed", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    const [y] = only(await provider.list([WWW]));
    fake.faults.push({
      kind: "status",
      status: 500,
      match: { path: "/batch" },
    });
    const r = await provider.apply([
      { kind: "delete", record: y! },
      restore("192.0.2.3"),
      restore("192.0.2.4"),
    ]);
    assert.deepEqual(r.outcomes.map((o) => o.result), [
      "failed",
      "failed",
      "failed",
    ]);
    const held = r.outcomes[0];
    assert.ok(held?.result === "failed");
    assert.match(held.error.message, /Not removing A www\.example\.com/);
    assert.deepEqual(writes(fake), ["POST batch"]);
    assert.deepEqual(
      only(await provider.list([WWW])).map((x) => x.content),
      ["192.0.2.1"],
    );
  });
});

Deno.test("CloudflareProvider.apply() one call per change does not delete a name whose create was refused", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    const [y] = only(await provider.list([WWW]));
    fake.faults.push(
      { kind: "status", status: 400, code: 9000, match: { path: "/batch" } },
      {
        kind: "status",
        status: 400,
        code: 9005,
        match: { method: "POST", path: "/dns_records" },
        times: 2,
      },
    );
    const r = await provider.apply([
      { kind: "delete", record: y! },
      restore("192.0.2.3"),
      restore("192.0.2.4"),
    ]);
    assert.deepEqual(r.outcomes.map((o) => o.result), [
      "failed",
      "failed",
      "failed",
    ]);
    assert.deepEqual(writes(fake), [
      "POST batch",
      "POST dns_records",
      "POST dns_records",
    ]);
    assert.equal(fake.minRecordsSeen(WWW, "A"), 1);
  });
});

Deno.test("CloudflareProvider.apply() cuts 450 creates into batches of at most 200 on a Free zone", async () => {
  await withFake([], async (fake, provider) => {
    const creates = Array.from(
      { length: 450 },
      (_, i) => restore(`198.51.${100 + Math.floor(i / 250)}.${i % 250}`),
    );
    const r = await provider.apply(creates);
    assert.ok(r.outcomes.every((o) => o.result === "done"));
    assert.equal(r.requests, 3);
    assert.deepEqual(writes(fake), ["POST batch", "POST batch", "POST batch"]);
    const ids = new Set(
      r.outcomes.map((o) => o.result === "done" ? o.record?.id : undefined),
    );
    assert.equal(ids.size, 450);
    assert.equal(only(await provider.list([WWW])).length, 450);
  }, { plan: "free" });
});

const LONG = "x".repeat(101);

Deno.test("CloudflareProvider.apply() restores without comment and tags when a Free zone refuses them, and warns", async () => {
  await withFake([], async (fake, provider, lines) => {
    const r = await provider.apply([
      restore("192.0.2.5", { comment: LONG, tags: ["owner:ops"] }),
    ]);
    assert.equal(r.outcomes[0]?.result, "done");
    const [got] = only(await provider.list([WWW]));
    assert.equal(got?.content, "192.0.2.5");
    assert.equal(got?.comment, null);
    assert.deepEqual(got?.tags, []);
    const warn = lines.find((l) => /without them/.test(l));
    assert.ok(warn, lines.join("\n"));
    assert.match(warn, /name=www\.example\.com/);
    assert.match(warn, /dropped=comment,tags/);
    assert.deepEqual(writes(fake), ["POST dns_records", "POST dns_records"]);
  }, { plan: "free" });
});

Deno.test("CloudflareProvider.apply() in a batch refused for tags falls back and restores every record", async () => {
  await withFake([], async (_fake, provider, lines) => {
    const r = await provider.apply([
      restore("192.0.2.5", { tags: ["owner:ops"] }),
      restore("192.0.2.6"),
    ]);
    assert.deepEqual(r.outcomes.map((o) => o.result), ["done", "done"]);
    assert.equal(only(await provider.list([WWW])).length, 2);
    assert.ok(lines.some((l) => /content=192\.0\.2\.5.*dropped=tags/.test(l)));
  }, { plan: "free" });
});

Deno.test("CloudflareProvider.apply() sends ttl 1 for a proxied restore", async () => {
  await withFake([], async (fake, provider) => {
    const r = await provider.apply([
      restore("192.0.2.7", { proxied: true, ttl: 300 }),
    ]);
    assert.equal(r.outcomes[0]?.result, "done");
    assert.match(fake.writes()[0]!.body, /"ttl":1,"proxied":true/);
    const [got] = only(await provider.list([WWW]));
    assert.equal(got?.ttl, 1);
    assert.equal(got?.proxied, true);
  });
});

Deno.test("CloudflareProvider keeps a record's settings and private_routing from list to restore", async () => {
  await withFake(
    [a("192.0.2.8", {
      proxied: true,
      settings: { ipv4_only: true },
      private_routing: true,
    })],
    async (fake, provider) => {
      const [seen] = only(await provider.list([WWW]));
      assert.deepEqual(seen?.settings, { ipv4_only: true });
      assert.equal(seen?.privateRouting, true);
      await provider.apply([{ kind: "delete", record: seen! }]);
      const { id: _id, ...snapshot } = seen!;
      const r = await provider.apply([{
        kind: "create",
        record: snapshot,
        fromSnapshot: true,
      }]);
      assert.equal(r.outcomes[0]?.result, "done");
      const [back] = fake.state.recordsOf(WWW);
      assert.deepEqual(back?.settings, { ipv4_only: true });
      assert.equal(back?.private_routing, true);
    },
  );
});

Deno.test("CloudflareProvider.apply() reports a CNAME at the name as a failure naming the record", async () => {
  await withFake(
    [{ type: "CNAME", name: WWW, content: "elsewhere.example.net" }],
    async (_fake, provider) => {
      const r = await provider.apply([restore("192.0.2.9")]);
      const o = r.outcomes[0];
      assert.ok(o?.result === "failed", JSON.stringify(o));
      assert.equal(o.error.kind, "bad_request");
      assert.match(
        o.error.message,
        /Cannot restore A www\.example\.com 192\.0\.2\.9/,
      );
      assert.match(o.error.message, /CNAME/);
      assert.match(o.error.message, /81054/);
    },
  );
});

Deno.test("CloudflareProvider.apply() reports 81053 as a failure naming the record, not as already done", async () => {
  await withFake([], async (fake, provider) => {
    fake.faults.push({
      kind: "status",
      status: 400,
      code: 81053,
      match: { method: "POST" },
    });
    const r = await provider.apply([restore("192.0.2.9")]);
    const o = r.outcomes[0];
    assert.ok(o?.result === "failed", JSON.stringify(o));
    assert.match(
      o.error.message,
      /Cannot restore A www\.example\.com 192\.0\.2\.9/,
    );
  });
});

Deno.test("CloudflareProvider.apply() reports the zone's record quota as a failure naming the record", async () => {
  await withFake([a("192.0.2.1")], async (_fake, provider) => {
    const r = await provider.apply([restore("192.0.2.9")]);
    const o = r.outcomes[0];
    assert.ok(o?.result === "failed", JSON.stringify(o));
    assert.match(
      o.error.message,
      /Cannot restore A www\.example\.com 192\.0\.2\.9/,
    );
    assert.match(o.error.message, /record quota/);
    assert.match(o.error.message, /81045/);
  }, { recordQuota: 1 });
});
