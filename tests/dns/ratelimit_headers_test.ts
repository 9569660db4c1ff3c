import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseRateLimit } from "../../lib/dns/ratelimit_headers.ts";

Deno.test("parseRateLimit() reads Cloudflare's documented example", () => {
  assertEquals(
    parseRateLimit('"default";r=50;t=30', '"burst";q=100;w=60', 1000),
    { remaining: 50, resetAtMs: 31_000, quota: 100, windowSeconds: 60 },
  );
});

Deno.test("parseRateLimit() takes the tightest item and its own policy", () => {
  assertEquals(
    parseRateLimit(
      '"default";r=900;t=200, "burst";r=3;t=5',
      '"default";q=1200;w=300, "burst";q=100;w=60',
      0,
    ),
    { remaining: 3, resetAtMs: 5000, quota: 100, windowSeconds: 60 },
  );
});

Deno.test("parseRateLimit() without the header, or without r, is null", () => {
  assertEquals(parseRateLimit(null, '"default";q=1200;w=300', 0), null);
  assertEquals(parseRateLimit('"default";t=30', null, 0), null);
  assertEquals(parseRateLimit("", null, 0), null);
  assertEquals(
    parseRateLimit('"default";r=7', null, 5),
    { remaining: 7, resetAtMs: 5, quota: null, windowSeconds: null },
  );
});
