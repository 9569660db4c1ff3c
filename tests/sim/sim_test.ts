/**
 * The simulator in CI: its PRNG and runs are deterministic, a fixed set of
 * seeds breaks no invariant (and a fixed set of Route 53 seeds, which also
 * meets every fault of the simulated API), the seeds that reproduce the
 * four defect classes of the old code pass under the write unit and fail
 * under `--policy legacy`, and each rule's mutation seed (Cloudflare, and
 * those found with Route 53) breaks its invariant with that rule off and
 * none with it on.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { DEFAULT_POLICY, type Policy, type RuleName, RULES } from "./policy.ts";
import { Prng } from "./prng.ts";
import { runSeed } from "./run.ts";

/** Steps per seed in CI (tuned so the fixed set stays under two minutes). */
const CI_STEPS = 60;
/** The fixed CI set: seeds 1 to 1,000. */
const CI_SEEDS = 1000;
/**
 * The fixed Route 53 set: seeds 1 to 200 (each request goes through the
 * real SDK, so a seed costs about three times a Cloudflare one).
 */
const CI_ROUTE53_SEEDS = 200;

const LEGACY: Policy = { disabled: new Set(), legacy: true };

/**
 * Seeds that reproduce each defect class of the old code under the legacy
 * policy: the first seed at which legacy breaks the class's invariant and
 * the write unit breaks none (three agents, 60 steps; `deno task sim --first S --seeds 1
 * --agents 3 --steps 60 --policy legacy` shows the trace).
 */
export const DEFECT_SEEDS: Record<string, { seed: number; breaks: string }> = {
  "class 1, a dead IP restored by one agent's own guards (I3)": {
    seed: 9,
    breaks: "I3",
  },
  "class 2, two writers empty a name (I1)": { seed: 199, breaks: "I1" },
  "class 3, an unappliable reload makes a lone writer (I2)": {
    seed: 74,
    breaks: "I2",
  },
  "class 4, a restore without the deleter's snapshot (I4)": {
    seed: 27,
    breaks: "I4",
  },
};

const DEFECT_STEPS = 60;

/**
 * Soak seeds (120 steps) that broke an invariant before a fix and must keep
 * passing: 3252, min_records re-created an IP three agents saw down while
 * one nobody saw down stayed out (before the guard chose by down votes);
 * 27883, a delete that timed out landed after the same agent, from a
 * listing that still showed it, deleted the name's other IP (before rule D,
 * lib/write/in_doubt.ts); 71619, min_records re-created an IP the writer
 * itself saw down (and, unheard by it, a second agent: a quorum) and
 * deleted the listed one it could have kept (before absent IPs with a down
 * vote ranked after listed ones, lib/write/guards.ts `releaseOrder`;
 * 79934, 92126 and 99834 broke I3 the same way); 52523, I5 with a calm
 * shorter than the minute a refused token waits for its next read (before
 * the calm was 80 s, run.ts `CALM_STEPS`).
 */
const SOAK_SEEDS = [3252, 27883, 52523, 71619, 79934, 92126, 99834];

for (const seed of SOAK_SEEDS) {
  Deno.test(`sim: soak seed ${seed} breaks no invariant`, async () => {
    const r = await runSeed({
      seed,
      agents: 0,
      steps: 120,
      policy: DEFAULT_POLICY,
    });
    assertEquals(r.violations, []);
  });
}

/**
 * The mutation check (README, development section): with one rule off, the
 * first seed (120 steps) at which the simulator finds a violation.
 */
const MUTATION_SEEDS: Partial<
  Record<RuleName, { seed: number; breaks: string; apiFaults?: number }>
> = {
  no_cluster: { seed: 2, breaks: "I2" },
  // isolated: found once the simulator's truth read an agent's isolation
  // before the rule is off (sim_agent.ts `seen`).
  isolated: { seed: 17, breaks: "I2" },
  // in_doubt: with a quarter of 60 % of DNS calls late or lost
  // (--api-faults 0.6; the seed's draw finds it only at 27883).
  in_doubt: { seed: 873, breaks: "I1", apiFaults: 0.6 },
  dns_blocked: { seed: 3113, breaks: "I5" },
  // warming_up: none found (README says why).
  unsettled: { seed: 163, breaks: "I2" },
  quorum: { seed: 1, breaks: "I2" },
  writer: { seed: 408, breaks: "I1" },
  handover: { seed: 4104, breaks: "I1" },
  guards: { seed: 1, breaks: "I1" },
  plan_order: { seed: 1, breaks: "I1" },
  exact_restore: { seed: 1, breaks: "I4" },
};

/**
 * The mutation check with Route 53 (README): with the rule off, the first
 * seed (120 steps) at which the simulator finds a violation. `writer` has
 * none in seeds 1-300 since set changes are compare-and-swap
 * (route53_sets.ts; it was seed 54, I3, with `UPSERT`): a second writer's
 * batch from a stale listing is refused (tests/sim/sim_route53_test.ts).
 */
const ROUTE53_MUTATION_SEEDS: Partial<
  Record<RuleName, { seed: number; breaks: string }>
> = {
  guards: { seed: 13, breaks: "I5" },
};

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

Deno.test("sim: the same Route 53 seed gives the same trace", async () => {
  const run = () =>
    runSeed({
      seed: 7,
      agents: 0,
      steps: CI_STEPS,
      policy: LEGACY,
      provider: "route53",
    });
  const a = await run();
  const b = await run();
  assertEquals(a.trace, b.trace);
  assertEquals(a.events, b.events);
  assertEquals(a.violations, b.violations);
  assertEquals(a.api, b.api);
});

Deno.test(`sim: ${CI_ROUTE53_SEEDS} fixed Route 53 seeds break no invariant and meet every fault`, async () => {
  const bad: string[] = [];
  const api: Record<string, number> = {};
  for (let seed = 1; seed <= CI_ROUTE53_SEEDS; seed++) {
    const r = await runSeed({
      seed,
      agents: 0,
      steps: CI_STEPS,
      policy: DEFAULT_POLICY,
      provider: "route53",
    });
    for (const v of r.violations) {
      bad.push(`seed ${seed}: ${v.invariant} ${v.detail}`);
    }
    for (const [k, n] of Object.entries(r.api)) api[k] = (api[k] ?? 0) + n;
  }
  assertEquals(bad, []);
  for (
    const kind of [
      "changes",
      "throttled",
      "prior",
      "server",
      "lost",
      "late",
      "authRejected",
    ]
  ) {
    assert((api[kind] ?? 0) > 0, `no ${kind} in ${JSON.stringify(api)}`);
  }
});

for (const [name, { seed, breaks }] of Object.entries(DEFECT_SEEDS)) {
  Deno.test(`sim: ${name}, seed ${seed}: legacy fails, now passes`, async () => {
    const run = (policy: Policy) =>
      runSeed({ seed, agents: 3, steps: DEFECT_STEPS, policy });
    const legacy = await run(LEGACY);
    assertEquals(legacy.violations[0]?.invariant, breaks);
    assertEquals((await run(DEFAULT_POLICY)).violations, []);
  });
}

for (const rule of RULES) {
  const found = MUTATION_SEEDS[rule];
  if (!found) continue;
  const { seed, breaks, apiFaults } = found;
  const profile = apiFaults === undefined ? "" : ` --api-faults ${apiFaults}`;
  Deno.test(`sim: --disable ${rule}${profile} breaks ${breaks} at seed ${seed}`, async () => {
    const run = (policy: Policy) =>
      runSeed({ seed, agents: 0, steps: 120, policy, apiFaults });
    const off = await run({ disabled: new Set([rule]), legacy: false });
    assertEquals(off.violations[0]?.invariant, breaks);
    assertEquals((await run(DEFAULT_POLICY)).violations, []);
  });
}

for (const rule of RULES) {
  const found = ROUTE53_MUTATION_SEEDS[rule];
  if (!found) continue;
  const { seed, breaks } = found;
  Deno.test(`sim: Route 53, --disable ${rule} breaks ${breaks} at seed ${seed}`, async () => {
    const run = (policy: Policy) =>
      runSeed({ seed, agents: 0, steps: 120, policy, provider: "route53" });
    const off = await run({ disabled: new Set([rule]), legacy: false });
    assertEquals(off.violations[0]?.invariant, breaks);
    assertEquals((await run(DEFAULT_POLICY)).violations, []);
  });
}
