import assert from "node:assert/strict";
import { a, cfConfig, only, TOKEN, WWW } from "./fixtures.ts";
import {
  type CloudflareProviderOptions,
  createCloudflareProvider,
} from "../../lib/dns/cloudflare.ts";
import {
  type Change,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import { createLogger } from "../../lib/observe/log.ts";
import {
  type FakeCloudflare,
  type FakeRecordInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

async function withFake(
  records: FakeRecordInput[],
  fn: (
    fake: FakeCloudflare,
    provider: DnsProvider,
    lines: string[],
  ) => Promise<void>,
  options: CloudflareProviderOptions = {},
): Promise<void> {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ id: "zone1", name: "example.com", records }],
  });
  const lines: string[] = [];
  try {
    const { logger } = createLogger({
      level: "debug",
      sink: (l) => lines.push(l),
    });
    const provider = await createCloudflareProvider(cfConfig(), {
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      logger,
      timeoutMs: 1000,
      ...options,
    });
    await fn(fake, provider, lines);
    for (const line of lines) {
      assert.ok(!line.includes(TOKEN), `token leaked: ${line}`);
    }
  } finally {
    await fake.close();
  }
}

function create(record: Partial<DnsRecord> & { content: string }): Change {
  return {
    kind: "create",
    fromSnapshot: false,
    record: {
      type: "A",
      name: WWW,
      ttl: 300,
      proxied: false,
      comment: null,
      tags: [],
      ...record,
    },
  };
}

Deno.test("CloudflareProvider.list() follows pagination and keeps only A/AAAA of the exact name", async () => {
  const many = Array.from({ length: 120 }, (_, i) => a(`198.51.100.${i}`));
  await withFake(
    [
      ...many,
      a("2001:db8::1"),
      { type: "TXT", name: WWW, content: "v=spf1" },
      a("192.0.2.1", { name: "api.example.com" }),
    ],
    async (fake, provider) => {
      const records = only(await provider.list([WWW]));
      assert.equal(records.length, 121);
      assert.ok(
        records.every((r) =>
          r.name === WWW && (r.type === "A" || r.type === "AAAA")
        ),
      );
      const lists = fake.audit.filter((e) => e.path.endsWith("/dns_records"));
      assert.deepEqual(
        lists.map((e) => new URLSearchParams(e.query).get("page") ?? "1"),
        ["1", "2", "3"],
      );
    },
    { perPage: 50 },
  );
});

Deno.test("CloudflareProvider.apply() sends several changes in one batch request", async () => {
  const api = "api.example.com";
  await withFake(
    [a("192.0.2.1", { name: api }), a("192.0.2.2", { name: api })],
    async (fake, provider) => {
      const [first] = only(await provider.list([api]), api);
      const result = await provider.apply([
        { kind: "delete", record: first! },
        create({ content: "192.0.2.3", comment: "new", tags: ["k:v"] }),
      ]);
      assert.equal(result.requests, 1);
      assert.deepEqual(result.outcomes.map((o) => o.result), ["done", "done"]);
      const created = result.outcomes[1];
      assert.ok(created?.result === "done" && created.record?.id);
      assert.equal(fake.writes().length, 1);
      assert.match(fake.writes()[0]!.path, /\/dns_records\/batch$/);
      const now = only(await provider.list([WWW])).map((r) => r.content);
      assert.deepEqual(now, ["192.0.2.3"]);
      fake.assertNeverEmpty();
    },
  );
});

Deno.test("CloudflareProvider.apply() treats a missing delete and a duplicate create as already done", async () => {
  await withFake([a("192.0.2.1"), a("192.0.2.2")], async (_fake, provider) => {
    const [first] = only(await provider.list([WWW]));
    await provider.apply([{ kind: "delete", record: first! }]);
    const single = await provider.apply([{ kind: "delete", record: first! }]);
    assert.deepEqual(single.outcomes.map((o) => o.result), ["already"]);
    const dup = await provider.apply([create({ content: "192.0.2.2" })]);
    assert.deepEqual(dup.outcomes.map((o) => o.result), ["already"]);
    // In a batch, one stale operation makes Cloudflare reject all; we fall back.
    const batch = await provider.apply([
      { kind: "delete", record: first! },
      create({ content: "192.0.2.2" }),
      create({ content: "192.0.2.9" }),
    ]);
    assert.deepEqual(batch.outcomes.map((o) => o.result), [
      "already",
      "already",
      "done",
    ]);
    assert.equal(batch.requests, 4);
    assert.deepEqual(
      only(await provider.list([WWW])).map((r) => r.content).sort(),
      ["192.0.2.2", "192.0.2.9"],
    );
  });
});

Deno.test("CloudflareProvider.apply() reports 429 as rate_limited with the retry-after delay", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    fake.faults.push({
      kind: "status",
      status: 429,
      retryAfter: "7",
      match: { method: "POST" },
    });
    const r = await provider.apply([create({ content: "192.0.2.2" })]);
    const o = r.outcomes[0];
    assert.ok(o?.result === "failed");
    assert.equal(o.error.kind, "rate_limited");
    assert.equal(o.error.retryAfterMs, 7000);
  });
});

for (
  const [what, fault, kind] of [
    ["500", { kind: "status", status: 500 }, "server"],
    ["401", { kind: "status", status: 401 }, "auth"],
    ["403", { kind: "status", status: 403, code: 9109 }, "auth"],
    ["409", { kind: "status", status: 409 }, "conflict"],
    ["a slow reply", { kind: "slow", delayMs: 5000 }, "server"],
    ["a dropped reply", { kind: "drop" }, "server"],
  ] as const
) {
  Deno.test(`CloudflareProvider.apply() classifies ${what} as ${kind}`, async () => {
    await withFake([a("192.0.2.1")], async (fake, provider) => {
      fake.faults.push({ ...fault, match: { method: "POST" } });
      const r = await provider.apply([create({ content: "192.0.2.2" })]);
      const o = r.outcomes[0];
      assert.ok(o?.result === "failed");
      assert.equal(o.error.kind, kind);
      assert.ok(!o.error.message.includes(TOKEN));
    }, { timeoutMs: 300 });
  });
}

Deno.test("CloudflareProvider.apply() after a dropped reply converges without a duplicate", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    fake.faults.push({ kind: "drop", match: { method: "POST" } });
    const first = await provider.apply([create({ content: "192.0.2.2" })]);
    assert.equal(first.outcomes[0]?.result, "failed");
    const again = await provider.apply([create({ content: "192.0.2.2" })]);
    assert.equal(again.outcomes[0]?.result, "already");
    assert.equal(
      fake.state.recordsOf(WWW).filter((r) => r.content === "192.0.2.2").length,
      1,
    );
  });
});

Deno.test("CloudflareProvider.list() rejects with a token-free message on a bad token", async () => {
  const fake = startFakeCloudflare({
    token: "right-token",
    zones: [{ name: "example.com" }],
  });
  try {
    const provider = await createCloudflareProvider(cfConfig(), {
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
    });
    const e = await provider.list([WWW]).then(() => null, (e: unknown) => e);
    assert.ok(e instanceof DnsProviderError);
    assert.equal(e.kind, "auth");
    // The canary is not a well-formed token: 400, 6003 [6111], as the API.
    assert.equal(e.status, 400);
    assert.deepEqual(e.codes, [6003, 6111]);
    assert.ok(!e.message.includes(TOKEN) && !String(e.stack).includes(TOKEN));
  } finally {
    await fake.close();
  }
});

Deno.test("CloudflareProvider uses a configured zone_id and reports an unknown zone", async () => {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ id: "zz", name: "example.com", records: [a("192.0.2.1")] }],
  });
  try {
    const env = { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url };
    const byId = await createCloudflareProvider(cfConfig({ zoneId: "zz" }), {
      env,
    });
    assert.equal(only(await byId.list([WWW])).length, 1);
    assert.ok(fake.audit.every((e) => !e.path.endsWith("/zones")));
    const missing = await createCloudflareProvider(
      cfConfig({ dnsDomain: "example.org" }),
      { env },
    );
    await assert.rejects(
      missing.list(["www.example.org"]),
      (e: unknown) =>
        e instanceof DnsProviderError && e.kind === "config" &&
        e.message.includes('"example.org"'),
    );
  } finally {
    await fake.close();
  }
});

Deno.test("CloudflareProvider.apply() falls back to creates before deletes, so a name never goes empty", async () => {
  await withFake([a("192.0.2.1")], async (fake, provider) => {
    const [only1] = only(await provider.list([WWW]));
    fake.faults.push({
      kind: "status",
      status: 400,
      code: 9000,
      match: { path: "/batch" },
    });
    const r = await provider.apply([
      { kind: "delete", record: only1! },
      create({ content: "192.0.2.2" }),
      create({ content: "192.0.2.3" }),
    ]);
    assert.deepEqual(r.outcomes.map((o) => `${o.change.kind} ${o.result}`), [
      "delete done",
      "create done",
      "create done",
    ]);
    assert.deepEqual(
      fake.writes().map((w) => `${w.method} ${w.path.split("/").pop()}`),
      [
        "POST batch",
        "POST dns_records",
        "POST dns_records",
        `DELETE ${only1!.id}`,
      ],
    );
    fake.assertNeverEmpty();
    assert.equal(fake.minRecordsSeen(WWW, "A"), 1);
  });
});
