import assert from "node:assert/strict";
import { a, cfConfig, only, TOKEN, WWW } from "./fixtures.ts";
import {
  CLOUDFLARE_API_VERSION,
  createCloudflareProvider,
} from "../../lib/dns/cloudflare.ts";
import {
  checkConfiguredZone,
  pickZone,
  type ZoneInfo,
} from "../../lib/dns/cloudflare_zone.ts";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import {
  type FakeZoneInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

const zone = (over: Partial<ZoneInfo>): ZoneInfo => ({
  id: "z-active",
  name: "example.com",
  status: "active",
  accountId: "acc1",
  accountName: "Main",
  ...over,
});

function refusal(fn: () => unknown): DnsProviderError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DnsProviderError);
    assert.equal(e.kind, "config");
    return e;
  }
  throw new Error("no refusal");
}

Deno.test("pickZone() takes the one active zone and ignores pending, moved and other names", () => {
  assert.equal(
    pickZone("example.com", [
      zone({ id: "z-pending", status: "pending", accountId: "acc2" }),
      zone({ id: "z-moved", status: "moved" }),
      zone({ id: "z-other", name: "example.org" }),
      zone({}),
    ]).id,
    "z-active",
  );
});

Deno.test("pickZone() refuses several active zones and asks for cloudflare.zone_id, naming accounts and ids", () => {
  const e = refusal(() =>
    pickZone("example.com", [
      zone({ id: "z1" }),
      zone({ id: "z2", accountId: "acc2", accountName: "Other" }),
    ])
  );
  assert.match(e.message, /cloudflare\.zone_id/);
  assert.match(e.message, /z1 \(active, account "Main" acc1\)/);
  assert.match(e.message, /z2 \(active, account "Other" acc2\)/);
});

Deno.test("pickZone() says a zone of the name is pending, or not found", () => {
  const pending = refusal(() =>
    pickZone("example.com", [zone({ status: "pending" })])
  );
  assert.match(pending.message, /"example\.com" is not active/);
  assert.match(pending.message, /pending zone serves no DNS/);
  const moved = refusal(() =>
    pickZone("example.com", [zone({ status: "moved" })])
  );
  assert.match(moved.message, /only an active zone serves DNS/);
  const none = refusal(() => pickZone("example.com", []));
  assert.match(none.message, /not found: check cloudflare\.dns_domain/);
});

Deno.test("checkConfiguredZone() refuses a zone_id that is not active or names another zone", () => {
  assert.equal(checkConfiguredZone("example.com", zone({})).id, "z-active");
  const pending = refusal(() =>
    checkConfiguredZone("example.com", zone({ status: "pending" }))
  );
  assert.match(pending.message, /cloudflare\.zone_id "z-active".*is pending/);
  const other = refusal(() =>
    checkConfiguredZone("example.com", zone({ name: "example.org" }))
  );
  assert.match(other.message, /not cloudflare\.dns_domain "example\.com"/);
});

async function withZones(
  zones: FakeZoneInput[],
  zoneId: string | null,
  fn: (
    fake: ReturnType<typeof startFakeCloudflare>,
    provider: Awaited<ReturnType<typeof createCloudflareProvider>>,
  ) => Promise<void>,
): Promise<void> {
  const fake = startFakeCloudflare({ token: TOKEN, zones });
  try {
    const provider = await createCloudflareProvider(cfConfig({ zoneId }), {
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      timeoutMs: 1000,
    });
    await fn(fake, provider);
  } finally {
    await fake.close();
  }
}

const PENDING_FIRST: FakeZoneInput[] = [
  {
    id: "z-pending",
    name: "example.com",
    status: "pending",
    account: { id: "acc-old", name: "Old" },
    records: [a("192.0.2.1"), a("192.0.2.2")],
  },
  {
    id: "z-active",
    name: "example.com",
    account: { id: "acc-new", name: "New" },
    records: [a("192.0.2.1"), a("192.0.2.2")],
  },
];

Deno.test("CloudflareProvider reads and writes only the active zone when a pending one of the name is listed first", async () => {
  await withZones(PENDING_FIRST, null, async (fake, provider) => {
    const [first] = only(await provider.list([WWW]));
    const r = await provider.apply([{ kind: "delete", record: first! }]);
    assert.equal(r.outcomes[0]?.result, "done");
    const touched = fake.audit.filter((e) => e.path.includes("/zones/"));
    assert.ok(touched.length >= 2);
    assert.ok(touched.every((e) => e.path.includes("/zones/z-active/")));
    assert.equal(fake.state.zone("z-pending").records.size, 2);
    assert.equal(fake.state.zone("z-active").records.size, 1);
  });
});

Deno.test("CloudflareProvider refuses two active zones of the name, and asks again only after a minute", async () => {
  await withZones(
    [
      { id: "z1", name: "example.com" },
      { id: "z2", name: "example.com", account: { id: "a2", name: "B" } },
    ],
    null,
    async (fake, provider) => {
      const e = await provider.list([WWW]).then(() => null, (e) => e);
      assert.ok(e instanceof DnsProviderError);
      assert.equal(e.kind, "config");
      assert.match(e.message, /set cloudflare\.zone_id/);
      assert.match(e.message, /z1 .*z2/);
      const calls = fake.audit.length;
      await assert.rejects(provider.list([WWW]), /cloudflare\.zone_id/);
      const r = await provider.apply([{
        kind: "create",
        fromSnapshot: false,
        record: {
          type: "A",
          name: WWW,
          content: "192.0.2.9",
          ttl: 1,
          proxied: false,
          comment: null,
          tags: [],
        },
      }]);
      assert.equal(r.outcomes[0]?.result, "failed");
      assert.equal(fake.audit.length, calls, "no call within the minute");
    },
  );
});

Deno.test("CloudflareProvider checks a configured zone_id once: a pending zone is refused", async () => {
  await withZones(PENDING_FIRST, "z-pending", async (fake, provider) => {
    const e = await provider.list([WWW]).then(() => null, (e) => e);
    assert.ok(e instanceof DnsProviderError);
    assert.equal(e.kind, "config");
    assert.match(e.message, /cloudflare\.zone_id "z-pending".*pending/);
    assert.deepEqual(fake.audit.map((x) => `${x.method} ${x.path}`), [
      "GET /client/v4/zones/z-pending",
    ]);
  });
  await withZones(PENDING_FIRST, "z-active", async (fake, provider) => {
    await provider.list([WWW]);
    await provider.list([WWW]);
    assert.equal(
      fake.audit.filter((x) => x.path === "/client/v4/zones/z-active").length,
      1,
    );
  });
});

Deno.test("CloudflareProvider reports an unknown zone_id as config naming the key", async () => {
  await withZones(PENDING_FIRST, "0".repeat(32), async (_fake, provider) => {
    await assert.rejects(
      provider.list([WWW]),
      (e: unknown) =>
        e instanceof DnsProviderError && e.kind === "config" &&
        e.message.includes(`cloudflare.zone_id "${"0".repeat(32)}" not found`),
    );
  });
});

Deno.test("CloudflareProvider pins the api-version header on every request", async () => {
  await withZones(PENDING_FIRST, null, async (fake, provider) => {
    await provider.list([WWW]);
    assert.ok(fake.audit.length >= 2);
    for (const e of fake.audit) {
      assert.equal(e.apiVersion, CLOUDFLARE_API_VERSION, e.path);
    }
  });
});
