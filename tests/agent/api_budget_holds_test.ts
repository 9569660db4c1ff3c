/**
 * Budget holds that must end: one pass dearer than the whole allowance must
 * not stop drift repair for good, and a server reset far off must not make
 * a hold longer than the budget's window (or than a timer can sleep).
 * @module
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { DnsDriver, type DnsWish } from "../../lib/agent/dns_driver.ts";
import { ApiBudget } from "../../lib/agent/api_budget.ts";
import { ApiCallWindow } from "../../lib/agent/api_calls.ts";
import type {
  DnsReconciler,
  ReconcileReport,
} from "../../lib/dns/reconciler.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";

const OK: ReconcileReport = {
  status: "ok",
  planned: 0,
  writes: { done: 0, already: 0, failed: 0 },
  requests: 0,
  apiErrors: {},
  notes: [],
  attempts: 1,
};
const tick = () => new Promise((r) => setTimeout(r, 5));

Deno.test("ApiBudget: one pass costlier than the allowance starves drift repair forever", async () => {
  const clock = new ManualClock(0);
  const window = new ApiCallWindow();
  const passes: number[] = [];
  let cost = 13; // the first pass (say, a failover: reads + writes) costs 13
  const reconciler = {
    reconcile: () => {
      passes.push(clock.now());
      for (let i = 0; i < cost; i++) window.record(clock.now());
      cost = 1; // a drift read would cost 1
      return Promise.resolve(OK);
    },
  } as unknown as DnsReconciler;
  const wish: DnsWish = {
    intents: new Map([["192.0.2.1", "present"]]),
    down: new Set(),
    abstain: false,
    wakeAtMs: null,
  };
  const skipped: string[] = [];
  const driver = new DnsDriver(reconciler, {
    clock,
    logger: silentLogger,
    intervalMs: 60_000,
    wish: () => wish,
    budget: new ApiBudget(window, 0.01), // 12 calls per 5 minutes
    onDriftSkipped: (r) => skipped.push(r),
  });
  driver.start();
  await tick();
  // Two hours, in 10 s steps: a record deleted by hand is never put back.
  for (let t = 0; t < 7_200_000; t += 10_000) {
    clock.advance(10_000);
    await tick();
  }
  await driver.stop();
  ok(
    passes.length > 1,
    `drift passes: ${passes.length - 1}, last hold ${
      skipped.at(-1)
    }, holds ${skipped.length}`,
  );
});

Deno.test("ApiBudget: a server reset far off holds drift repair at most the 5-minute window", () => {
  const window = new ApiCallWindow();
  const budget = new ApiBudget(window, 0.25, () => ({
    remaining: 10,
    // Ratelimit: "default";r=10;t=3000000 → resetMs 3e9
    resetAtMs: 1_000 + 3_000_000_000,
  }));
  const d = budget.driftDelay(1_000, 0, 1);
  assertEquals(d, { ms: 300_000, reason: "server" });
});
