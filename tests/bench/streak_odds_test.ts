import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { anyOf, runOddsAtLeast } from "./streak_odds.ts";

const close = (a: number, b: number, eps = 1e-12) =>
  assertEquals(Math.abs(a - b) < eps, true, `${a} vs ${b}`);

Deno.test("runOddsAtLeast() is 0 below k probes and p^k at exactly k", () => {
  close(runOddsAtLeast(2, 0.5, 3), 0);
  close(runOddsAtLeast(3, 0.5, 3), 0.125);
  close(runOddsAtLeast(3, 0.02, 3), 0.02 ** 3);
});

Deno.test("runOddsAtLeast() counts a run once, not once per window it fills", () => {
  // 4 probes, k = 3: LLLx, xLLL (x = answered) and LLLL; by hand
  // p³(1−p) + (1−p)p³ + p⁴.
  const p = 0.3;
  close(runOddsAtLeast(4, p, 3), 2 * p ** 3 * (1 - p) + p ** 4);
});

Deno.test("runOddsAtLeast() matches enumeration of every loss pattern of 10 probes", () => {
  const n = 10, k = 3, p = 0.2;
  let total = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let run = 0, hit = false, lost = 0;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        lost++;
        if (++run >= k) hit = true;
      } else run = 0;
    }
    if (hit) total += p ** lost * (1 - p) ** (n - lost);
  }
  close(runOddsAtLeast(n, p, k), total);
});

Deno.test("anyOf() combines independent targets", () => {
  close(anyOf(0.5, 2), 0.75);
  close(anyOf(0, 10), 0);
});
