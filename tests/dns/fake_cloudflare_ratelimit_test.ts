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
