import { deepStrictEqual as assertEquals } from "node:assert/strict";
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

/**
 * A driver whose passes each send `cost` calls (abstained passes none),
 * with a share of 0.01: 12 calls per 5 minutes.
 */
function setup(cost: number, abstainedRequests = 0) {
  const clock = new ManualClock(0);
  const window = new ApiCallWindow();
  const passes: { at: number; abstain: boolean }[] = [];
  const skipped: string[] = [];
  const reconciler = {
    reconcile: (_i: unknown, _d: unknown, o: { abstain?: boolean }) => {
      passes.push({ at: clock.now(), abstain: o.abstain ?? false });
      if (!o.abstain) {
        for (let i = 0; i < cost; i++) window.record(clock.now());
      }
      return Promise.resolve(
        o.abstain
          ? { ...OK, status: "abstained", requests: abstainedRequests }
          : OK,
      );
    },
  } as unknown as DnsReconciler;
  let wish: DnsWish = {
    intents: new Map([["192.0.2.1", "present"]]),
    down: new Set(),
    abstain: false,
    wakeAtMs: null,
  };
  const driver = new DnsDriver(reconciler, {
    clock,
    logger: silentLogger,
    intervalMs: 60_000,
    wish: () => wish,
    budget: new ApiBudget(window, 0.01),
    onDriftSkipped: (r) => skipped.push(r),
  });
  return {
    clock,
    window,
    passes,
    skipped,
    driver,
    setWish: (w: Partial<DnsWish>) => (wish = { ...wish, ...w }),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

Deno.test("DnsDriver spaces drift passes to the API share, but not a changed wish", async () => {
  // 6 calls a pass, 12 allowed per 5 minutes: one pass per 150 s.
  const { clock, passes, skipped, driver, setWish } = setup(6);
  driver.start();
  await tick();
  clock.advance(60_000);
  await tick();
  assertEquals(passes.length, 1, "drift pass at 60 s despite the budget");
  assertEquals(skipped, ["spacing"]);
  assertEquals(driver.budgetHold, "spacing");
  // A failover write does not wait.
  clock.advance(10_000);
  setWish({
    intents: new Map([["192.0.2.1", "absent"]]),
    down: new Set(["192.0.2.1"]),
  });
  driver.kick();
  await tick();
  assertEquals(passes.map((p) => p.at), [0, 70_000]);
  // The next drift pass is 150 s after that one, not 60 s.
  clock.advance(60_000);
  await tick();
  assertEquals(passes.length, 2);
  clock.advance(90_000);
  await tick();
  // Spaced enough at 220 s, but 12 calls in the last 5 minutes: the window
  // holds it until the calls at 0 s leave it.
  assertEquals(passes.length, 2);
  assertEquals(skipped.at(-1), "window");
  for (let t = 220_000; t < 300_000; t += 10_000) {
    clock.advance(10_000);
    await tick();
  }
  assertEquals(passes.map((p) => p.at), [0, 70_000, 300_000]);
  assertEquals(driver.budgetHold, null);
  await driver.stop();
});

Deno.test("DnsDriver: a cluster agent that does not write reports its skipped drift read", async () => {
  const s = setup(6);
  s.setWish({ abstain: true });
  s.driver.start();
  await tick();
  for (let i = 0; i < 3; i++) {
    s.clock.advance(60_000);
    await tick();
  }
  assertEquals(s.passes.length, 4);
  assertEquals(s.window.total, 0, "a non-writer read periodically");
  assertEquals(s.skipped, ["not_writer", "not_writer", "not_writer"]);
  // Becoming the writer: the pass runs at once, budget or not.
  s.setWish({ abstain: false });
  s.driver.kick();
  await tick();
  assertEquals(s.passes.at(-1), { at: 180_000, abstain: false });
  assertEquals(s.window.total, 6);
  await s.driver.stop();
});

Deno.test("ApiBudget holds drift for the window and for the server's reserve", () => {
  const window = new ApiCallWindow();
  let server: { remaining: number; resetAtMs: number } | null = null;
  const budget = new ApiBudget(
    window,
    0.25,
    () => server && { ...server, quota: 1200, windowSeconds: 300 },
  );
  assertEquals(budget.allowance, 300);
  assertEquals(budget.driftDelay(100_000, 0, 2), null);
  // Spacing: 2 calls of 300 per 5 minutes → 2 s apart.
  assertEquals(budget.driftDelay(100_000, 99_000, 2), {
    ms: 1000,
    reason: "spacing",
  });
  // Window: failover writes used it up.
  for (let i = 0; i < 299; i++) window.record(90_000);
  assertEquals(budget.driftDelay(100_000, 0, 2)?.reason, "window");
  assertEquals(budget.driftDelay(100_000, 0, 1), null);
  // Server: the account is near its limit whatever this agent sent.
  server = { remaining: 40, resetAtMs: 130_000 };
  assertEquals(budget.driftDelay(100_000, 0, 1), {
    ms: 30_000,
    reason: "server",
  });
  assertEquals(budget.driftDelay(130_000, 0, 1), null);
  budget.setShare(1);
  assertEquals(budget.allowance, 1200);
});

Deno.test("DnsDriver: a non-writer's pass that rechecked credentials is not a skipped read", async () => {
  const s = setup(6, 1);
  s.setWish({ abstain: true });
  s.driver.start();
  await tick();
  s.clock.advance(60_000);
  await tick();
  assertEquals(s.passes.length, 2);
  assertEquals(s.skipped, []);
  await s.driver.stop();
});
