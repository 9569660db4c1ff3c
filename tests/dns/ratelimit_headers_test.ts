import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseRateLimit } from "../../lib/dns/ratelimit_headers.ts";

Deno.test("parseRateLimit() reads Cloudflare's documented example", () => {
  assertEquals(
    parseRateLimit('"default";r=50;t=30', '"burst";q=100;w=60'),
    { remaining: 50, resetMs: 30_000, quota: 100, windowSeconds: 60 },
  );
});

Deno.test("parseRateLimit() takes the tightest item and its own policy", () => {
  assertEquals(
    parseRateLimit(
      '"default";r=900;t=200, "burst";r=3;t=5',
      '"default";q=1200;w=300, "burst";q=100;w=60',
    ),
    { remaining: 3, resetMs: 5000, quota: 100, windowSeconds: 60 },
  );
});

Deno.test("parseRateLimit() without the header, or without r, is null", () => {
  assertEquals(parseRateLimit(null, '"default";q=1200;w=300'), null);
  assertEquals(parseRateLimit('"default";t=30', null), null);
  assertEquals(parseRateLimit("", null), null);
  assertEquals(
    parseRateLimit('"default";r=7', null),
    { remaining: 7, resetMs: 0, quota: null, windowSeconds: null },
  );
});
