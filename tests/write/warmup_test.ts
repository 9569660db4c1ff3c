/**
 * The warm-up rule (lib/write/warmup.ts) as a table: writes wait until every
 * configured peer is live or `peer_timeout` has passed since start or rejoin.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { warmingUp, type WarmupInput } from "../../lib/write/warmup.ts";

const BASE: WarmupInput = {
  now: 10_000,
  since: 9_000,
  peerTimeoutMs: 5_000,
  configured: 2,
  live: 0,
};

const TABLE: [string, Partial<WarmupInput>, boolean][] = [
  ["no peer heard, timeout not passed", {}, true],
  ["one of two peers heard", { live: 1 }, true],
  ["every peer heard", { live: 2 }, false],
  ["more live than configured (a reload shrank the list)", { live: 3 }, false],
  ["one ms before the timeout", { now: 13_999 }, true],
  ["exactly at the timeout", { now: 14_000 }, false],
  ["long after the timeout", { now: 60_000 }, false],
  ["a late rejoin restarts the wait", { now: 20_000, since: 19_000 }, true],
  ["no configured peer", { configured: 0 }, false],
];

for (const [what, patch, expected] of TABLE) {
  Deno.test(`warmingUp() ${what}: ${expected}`, () => {
    assertEquals(warmingUp({ ...BASE, ...patch }), expected);
  });
}
