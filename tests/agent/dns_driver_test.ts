import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DnsDriver, type DnsWish } from "../../lib/agent/dns_driver.ts";
import type {
  DnsReconciler,
  ReconcileReport,
} from "../../lib/dns/reconciler.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";

function report(
  status: ReconcileReport["status"],
  retryAtMs?: number,
): ReconcileReport {
  return {
    status,
    planned: 0,
    writes: { done: 0, already: 0, failed: 0 },
    requests: 0,
    apiErrors: {},
    notes: [],
    attempts: 1,
    retryAtMs,
  };
}

function setup(next: () => ReconcileReport = () => report("ok")) {
  const clock = new ManualClock(0);
  const calls: DnsWish[] = [];
  const reconciler = {
    reconcile: (
      intents: DnsWish["intents"],
      down: DnsWish["down"],
      o: { abstain?: boolean },
    ) => {
      calls.push({
        intents,
        down,
        abstain: o.abstain ?? false,
        wakeAtMs: null,
      });
      return Promise.resolve(next());
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
  });
  return {
    clock,
    calls,
    driver,
    setWish: (w: Partial<DnsWish>) => (wish = { ...wish, ...w }),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

Deno.test("DnsDriver runs a pass at start and skips kicks that change nothing", async () => {
  const { calls, driver } = setup();
  driver.start();
  await tick();
  driver.kick();
  driver.kick();
  await tick();
  assertEquals(calls.length, 1);
  await driver.stop();
});

Deno.test("DnsDriver runs a pass when the wish changes, and every interval", async () => {
  const { calls, clock, driver, setWish } = setup();
  driver.start();
  await tick();
  setWish({
    intents: new Map([["192.0.2.1", "absent"]]),
    down: new Set(["192.0.2.1"]),
  });
  driver.kick();
  await tick();
  assertEquals(calls.length, 2);
  clock.advance(60_000);
  await tick();
  assertEquals(calls.length, 3);
  await driver.stop();
});

Deno.test("DnsDriver waits for retryAt after a rate limit before the next pass", async () => {
  let n = 0;
  const { calls, clock, driver } = setup(
    () => (n++ === 0 ? report("rate_limited", 5_000) : report("ok")),
  );
  driver.start();
  await tick();
  driver.kick();
  await tick();
  assertEquals(calls.length, 1, "retried before retry-after");
  clock.advance(5_000);
  await tick();
  assertEquals(calls.length, 2);
  await driver.stop();
});

Deno.test("DnsDriver wakes when a held change's grace ends", async () => {
  const { calls, clock, driver, setWish } = setup();
  setWish({ wakeAtMs: 2_000 });
  driver.start();
  await tick();
  setWish({ intents: new Map([["192.0.2.1", "absent"]]), wakeAtMs: null });
  clock.advance(2_000);
  await tick();
  assertEquals(calls.length, 2);
  await driver.stop();
});

Deno.test("DnsDriver.idle() waits for the pass a kick started, and for a due wake-up", async () => {
  const clock = new ManualClock(0);
  let passes = 0;
  let finished = 0;
  let release = () => {};
  const slow = {
    reconcile: () =>
      new Promise<ReconcileReport>((resolve) => {
        passes++;
        release = () => {
          finished++;
          resolve(report("ok"));
        };
      }),
  } as unknown as DnsReconciler;
  const d = new DnsDriver(slow, {
    clock,
    logger: silentLogger,
    intervalMs: 60_000,
    // Each pass changes the wish, so every kick is due.
    wish: () => ({
      intents: new Map([["192.0.2.1", passes % 2 ? "absent" : "present"]]),
      down: new Set(),
      abstain: false,
      wakeAtMs: null,
    }),
  });
  d.start();
  await tick();
  release();
  await d.idle();
  assertEquals(finished, 1);
  let idle = false;
  d.kick();
  const afterKick = d.idle().then(() => (idle = true));
  await tick();
  assertEquals([passes, idle], [2, false], "idle while a pass is in flight");
  release();
  await afterKick;
  assertEquals(finished, 2);
  clock.advance(60_000);
  idle = false;
  const afterWake = d.idle().then(() => (idle = true));
  await tick();
  assertEquals([passes, idle], [3, false], "idle with a pass due");
  release();
  await afterWake;
  assertEquals(finished, 3);
  await d.stop();
});

Deno.test("DnsDriver runs the next pass when deletes held for a delete in doubt may go", async () => {
  let n = 0;
  const { calls, clock, driver } = setup(
    () => (n++ === 0 ? { ...report("ok"), recheckAtMs: 5_001 } : report("ok")),
  );
  driver.start();
  await tick();
  clock.advance(5_000);
  await tick();
  assertEquals(calls.length, 1, "ran before the recheck time");
  clock.advance(1);
  await tick();
  assertEquals(calls.length, 2);
  // That pass held nothing: the next is the periodic one.
  clock.advance(30_000);
  await tick();
  assertEquals(calls.length, 2);
  await driver.stop();
});
