import assert from "node:assert/strict";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";
import { parseRateLimit } from "../../lib/dns/ratelimit_headers.ts";

const AUTH = { authorization: "Bearer test-token" };

Deno.test("the fake sends Ratelimit headers and, when enforced, blocks with 429 971 once the quota is spent", async () => {
  const fake = startFakeCloudflare({
    token: "test-token",
    zones: [{ id: "z1", name: "example.com", records: [] }],
    rateLimit: { quota: 3, windowSeconds: 60, enforce: true },
  });
  try {
    const seen: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${fake.url}/zones/z1/dns_records`, {
        headers: AUTH,
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const limit = parseRateLimit(
        res.headers.get("ratelimit"),
        res.headers.get("ratelimit-policy"),
      );
      assert.equal(limit?.quota, 3);
      assert.equal(limit?.windowSeconds, 60);
      assert.ok(limit && limit.resetMs > 0 && limit.resetMs <= 60_000);
      seen.push(limit?.remaining ?? null);
    }
    assert.deepEqual(seen, [2, 1, 0]);
    const blocked = await fetch(`${fake.url}/zones/z1/dns_records`, {
      headers: AUTH,
    });
    assert.equal(blocked.status, 429);
    const body = await blocked.json();
    assert.equal(body.errors[0].code, 971);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  } finally {
    await fake.close();
  }
});

Deno.test("the fake refuses a record listing page size outside [1, 5,000,000] and pages the rest", async () => {
  const records = Array.from({ length: 5 }, (_, i) => ({
    type: "A",
    name: `h${i}.example.com`,
    content: `192.0.2.${i + 1}`,
  }));
  const fake = startFakeCloudflare({
    token: "test-token",
    zones: [{ id: "z1", name: "example.com", records }],
  });
  try {
    for (const bad of ["0", "5000001", "2.5"]) {
      const res = await fetch(
        `${fake.url}/zones/z1/dns_records?type=A&per_page=${bad}`,
        { headers: AUTH },
      );
      assert.equal(res.status, 400, bad);
      assert.equal((await res.json()).errors[0].code, 1004);
    }
    const res = await fetch(
      `${fake.url}/zones/z1/dns_records?type=A&per_page=2&page=3`,
      { headers: AUTH },
    );
    const body = await res.json();
    assert.equal(body.result.length, 1);
    assert.deepEqual(
      [body.result_info.total_pages, body.result_info.total_count],
      [3, 5],
    );
  } finally {
    await fake.close();
  }
});
