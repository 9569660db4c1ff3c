import { deepStrictEqual as assertEquals, equal } from "node:assert/strict";
import { FreezeGuard } from "../../lib/write/freeze.ts";

const S = 1_000_000; // µs per second

Deno.test("FreezeGuard.check() reports only gaps longer than the bound", () => {
  const g = new FreezeGuard();
  equal(g.check(0, 1500), null, "the first call only starts the clock");
  equal(g.check(1 * S, 1500), null);
  equal(g.check(2.5 * S, 1500), null, "exactly the bound is no freeze");
  equal(g.check(12.5 * S, 1500), 10_000);
  equal(g.check(13 * S, 1500), null, "each call restarts the gap");
});

Deno.test("FreezeGuard.distrust() makes every IP unproven until re-proven", () => {
  const g = new FreezeGuard();
  g.distrust(["192.0.2.1", "192.0.2.2"]);
  equal(g.size, 2);
  equal(g.unproven("192.0.2.1"), true);
  equal(g.unproven("192.0.2.3"), false, "IPs not distrusted stay proven");
});

Deno.test("FreezeGuard.observed() proves a verdict after a full fresh run", () => {
  const g = new FreezeGuard();
  g.distrust(["192.0.2.1"]);
  // "down" for long before the freeze: 20 misses already in a row.
  assertEquals([
    g.observed("192.0.2.1", 21, 3),
    g.observed("192.0.2.1", 22, 3),
  ], [false, false]);
  equal(g.observed("192.0.2.1", 23, 3), true, "third fresh miss proves down");
  equal(g.unproven("192.0.2.1"), false);
  equal(g.observed("192.0.2.1", 24, 3), false, "proven IPs are not counted");
});

Deno.test("FreezeGuard.observed() keeps a stale down unproven while replies come in", () => {
  // The resumed agent's old verdict says down; the target answers now. A
  // probe in flight across the freeze times out on resume (one miss), then
  // replies arrive: the down verdict is never backed by a fresh run, and
  // the IP stays unproven until the verdict flips to up.
  const g = new FreezeGuard();
  g.distrust(["192.0.2.2"]);
  equal(g.observed("192.0.2.2", 31, 3), false, "stale in-flight miss");
  equal(g.observed("192.0.2.2", 0, 3), false, "reply 1: still down, 0 misses");
  equal(g.observed("192.0.2.2", 0, 3), false, "reply 2: still down");
  equal(g.unproven("192.0.2.2"), true);
  equal(g.observed("192.0.2.2", 3, 3), true, "reply 3: up, 3 replies");
});

Deno.test("FreezeGuard.observed() uses the threshold of the verdict held", () => {
  const g = new FreezeGuard();
  g.distrust(["192.0.2.3"]);
  equal(g.observed("192.0.2.3", 5, 2), false, "one observation is not a run");
  equal(g.observed("192.0.2.3", 6, 2), true, "recovery threshold 2");
});
