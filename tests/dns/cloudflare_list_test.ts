/**
 * How many reads a listing costs: one per record type for the whole zone
 * (filtered locally) once that is fewer than one per name, with paging
 * through the real SDK against the fake.
 */
import assert from "node:assert/strict";
import { a, cfConfig, TOKEN } from "./fixtures.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import {
  type FakeRecordInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

const WWW_NAME = "www.example.com";
const NAMES = Array.from({ length: 250 }, (_, i) => `h${i}.example.com`);

async function reads(
  hostnames: string[],
  ips: string[],
  records: FakeRecordInput[],
  perPage?: number,
) {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ name: "example.com", records }],
  });
  try {
    const provider = await createCloudflareProvider(
      cfConfig({ hostnames, ipAddresses: ips }),
      {
        env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
        ...(perPage ? { perPage } : {}),
      },
    );
    const listed = await provider.list(
      hostnames.map((
        h,
      ) => (h.endsWith(".example.com") ? h : `${h}.example.com`)),
    );
    const gets = fake.audit.filter((e) =>
      e.method === "GET" && e.path.includes("dns_records")
    ).length;
    return { listed, gets };
  } finally {
    await fake.close();
  }
}

Deno.test("CloudflareProvider.list() reads 250 names of one family in one zone-wide call, filtered to the managed names", async () => {
  const records = [
    ...NAMES.flatMap((
      n,
    ) => [a("192.0.2.1", { name: n }), a("192.0.2.2", { name: n })]),
    a("192.0.2.1", { name: "unmanaged.example.com" }),
    { type: "TXT", name: NAMES[0]!, content: "txt" },
  ];
  const { listed, gets } = await reads(
    NAMES,
    ["192.0.2.1", "192.0.2.2"],
    records,
  );
  assert.equal(gets, 1);
  assert.equal(listed.size, 250);
  for (const n of NAMES) {
    assert.deepEqual(listed.get(n)!.map((r) => r.content).sort(), [
      "192.0.2.1",
      "192.0.2.2",
    ]);
  }
  assert.equal(listed.has("unmanaged.example.com"), false);
});

Deno.test("CloudflareProvider.list() zone-wide: one call per family and every page, names with no record listed empty", async () => {
  const names = NAMES.slice(0, 30);
  const records = names.slice(0, 20).flatMap((n) => [
    a("192.0.2.1", { name: n }),
    a("2001:db8::1", { name: n }),
  ]);
  const { listed, gets } = await reads(
    names,
    ["192.0.2.1", "2001:db8::1"],
    records,
    7,
  );
  assert.equal(gets, 2 * Math.ceil(20 / 7));
  assert.equal(listed.get(names[0]!)!.length, 2);
  assert.deepEqual(listed.get(names[25]!), []);
});

Deno.test("CloudflareProvider.list() reads one name per call when that is fewer calls", async () => {
  const { gets, listed } = await reads(
    ["www"],
    ["192.0.2.1", "2001:db8::1"],
    [a("192.0.2.1"), a("2001:db8::1")],
  );
  assert.equal(gets, 1);
  assert.equal(listed.get("www.example.com")!.length, 2);
});

Deno.test("CloudflareProvider looks the zone up in one call when it fits one page, and follows total_pages", async () => {
  for (const others of [0, 120]) {
    // Pending zones of the same name in other accounts: 121 zones take two
    // pages of the fake's default 100.
    const zones = [
      ...Array.from({ length: others }, (_, i) => ({
        id: `p${i}`,
        name: "example.com",
        status: "pending" as const,
        account: { id: `acc${i}`, name: `A${i}` },
      })),
      { id: "live", name: "example.com", records: [a("192.0.2.1")] },
    ];
    const fake = startFakeCloudflare({ token: TOKEN, zones });
    try {
      const provider = await createCloudflareProvider(cfConfig(), {
        env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      });
      const listed = await provider.list([WWW_NAME]);
      assert.equal(listed.get(WWW_NAME)?.length, 1);
      const lookups = fake.audit.filter((e) => e.path.endsWith("/zones"));
      assert.equal(lookups.length, others === 0 ? 1 : 2, `${others} others`);
    } finally {
      await fake.close();
    }
  }
});
