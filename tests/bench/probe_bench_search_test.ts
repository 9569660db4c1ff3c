import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Discards,
  findCapacity,
  missReason,
  perProbe,
  quantile,
  type SearchBounds,
} from "./probe_bench_search.ts";
import { parseFpingCounts } from "./probe_bench_runs.ts";

const bounds: SearchBounds = {
  start: 500,
  max: 512_000,
  maxTrials: 40,
  budgetMs: Infinity,
  resolution: 1.1,
};

/** A tool that holds every rate up to `limit` (and fails `flaky` once each). */
function tool(limit: number, flaky: number[] = [], lagsAt: number[] = []) {
  const tried: number[] = [];
  const trial = (rate: number) => {
    tried.push(rate);
    if (lagsAt.includes(rate)) return Promise.resolve("lagged");
    const i = flaky.indexOf(rate);
    if (i >= 0) {
      flaky.splice(i, 1);
      return Promise.resolve("disturbed");
    }
    return Promise.resolve(rate <= limit ? null : "lost");
  };
  return { trial, tried };
}

Deno.test("findCapacity() doubles, then bisects to within the resolution below the limit", async () => {
  const t = tool(90_000);
  const c = await findCapacity(t.trial, bounds, () => 0);
  assertEquals(c.held <= 90_000 && c.held * 1.1 >= 90_000, true);
  assertEquals(c.failed !== null && c.failed > 90_000, true);
  assertEquals(c.failed! / c.held <= 1.1, true);
  assertEquals(t.tried.slice(0, 9), [
    500,
    1000,
    2000,
    4000,
    8000,
    16_000,
    32_000,
    64_000,
    128_000,
  ]);
  assertEquals(c.cut, null);
  assertEquals(c.failedBelow, []);
});

Deno.test("findCapacity() retries a miss once: one disturbed run does not fail a rate", async () => {
  const t = tool(10_000, [4000]);
  const c = await findCapacity(t.trial, bounds, () => 0);
  assertEquals(t.tried.filter((r) => r === 4000).length, 2);
  assertEquals(c.held <= 10_000 && c.held * 1.1 >= 10_000, true);
  assertEquals(c.steps.find((s) => s.rate === 4000)!.miss, "disturbed");
});

Deno.test("findCapacity() goes past a rate that lags below a higher one that holds", async () => {
  const t = tool(30_000, [], [1000]);
  const c = await findCapacity(t.trial, bounds, () => 0);
  assertEquals(c.failedBelow, [1000]);
  assertEquals(c.held >= 16_000, true);
});

Deno.test("findCapacity() reports 0 when nothing holds, stops after two failed rungs", async () => {
  const t = tool(100);
  const c = await findCapacity(t.trial, bounds, () => 0);
  assertEquals(c.held, 0);
  assertEquals(t.tried, [500, 500, 1000, 1000]);
});

Deno.test("findCapacity() stops at max when every rate holds", async () => {
  const t = tool(Infinity);
  const c = await findCapacity(t.trial, { ...bounds, max: 4000 }, () => 0);
  assertEquals(c, {
    held: 4000,
    failed: null,
    failedBelow: [],
    steps: [500, 1000, 2000, 4000].map((rate) => ({ rate, miss: null })),
    cut: null,
  });
});

Deno.test("findCapacity() is bounded by trials and by time, and says which cut it", async () => {
  const byTrials = await findCapacity(
    tool(Infinity).trial,
    { ...bounds, maxTrials: 3 },
    () => 0,
  );
  assertEquals(byTrials.steps.length, 3);
  assertEquals(byTrials.held, 2000);
  assertEquals(byTrials.cut, "3 trials used");
  let clock = 0;
  const byTime = await findCapacity(
    (r) => {
      clock += 1000;
      return tool(Infinity).trial(r);
    },
    { ...bounds, budgetMs: 2500 },
    () => clock,
  );
  assertEquals(byTime.steps.length, 3);
  assertEquals(byTime.cut, "2500 ms used");
});

Deno.test("missReason() needs 0 lost, every probe answered and ≤ 1.25× the schedule", () => {
  const ok = {
    scheduled: 100,
    received: 100,
    lost: 0,
    activeMs: 1250,
    scheduleMs: 1000,
  };
  assertEquals(missReason(ok), null);
  assertEquals(missReason({ ...ok, lost: 1, received: 99 }), "1 lost");
  assertEquals(
    missReason({ ...ok, received: 98 }),
    "2 of 100 not answered",
  );
  assertEquals(
    missReason({ ...ok, activeMs: 1260 }),
    "took 1.26× the schedule",
  );
});

Deno.test("quantile() is nearest-rank", () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assertEquals(quantile(xs, 0.5), 5);
  assertEquals(quantile(xs, 0.9), 9);
  assertEquals(quantile(xs, 0.99), 10);
  assertEquals(quantile(xs, 0), 1);
  assertEquals(Number.isNaN(quantile([], 0.5)), true);
});

Deno.test("perProbe() subtracts the 1-probe start-up and divides by the other probes", () => {
  assertEquals(perProbe(1.1, 11, 0.1), 0.1);
  assertEquals(Number.isNaN(perProbe(1, 1, 0.5)), true);
});

Deno.test("Discards prints one line per discarded run and counts them", () => {
  const printed: string[] = [];
  const d = new Discards();
  d.add("capacity ours 8000/s", "runner failed (1)", (l) => printed.push(l));
  d.add("idle fping", "fping failed (2)", (l) => printed.push(l));
  assertEquals(d.count, 2);
  assertEquals(printed, [
    "discarded: capacity ours 8000/s: runner failed (1)",
    "discarded: idle fping: fping failed (2)",
  ]);
  assertEquals(d.lines, printed);
});

Deno.test("parseFpingCounts() counts sent, received and RTTs from -C -q output", () => {
  const c = parseFpingCounts(
    [
      "2001:db8:100::1 : 0.041 - 0.050",
      "2001:db8:100::2 : - -",
      "2001:db8:100::3 : xmt/rcv/%loss = 1/1/0%",
      "",
    ].join("\n"),
  );
  assertEquals(c, { sent: 5, received: 2, rtts: [41, 50] });
});
