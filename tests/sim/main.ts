/**
 * `deno task sim`: runs seeds of the deterministic cluster simulator and
 * ends with one line `N seeds, K violations` (exit 1 on any violation).
 *
 * ```sh
 * deno task sim [--seeds N] [--first S] [--agents K] [--provider cloudflare|route53] [--disable RULE] [--policy legacy] [--steps M] [--api-faults SHARE] [--stop-at-first]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { type Policy, type RuleName, RULES } from "./policy.ts";
import { runSeed } from "./run.ts";
import { type ProviderName, PROVIDERS } from "./sim_dns.ts";

/** The run's settings, from the command line. */
interface Args {
  seeds: number;
  first: number;
  agents: number;
  steps: number;
  policy: Policy;
  provider: ProviderName;
  stopAtFirst: boolean;
  /** `--api-faults`: share of DNS calls that fail; undefined: the seed's. */
  apiFaults: number | undefined;
}

/**
 * @returns the settings
 * @throws {RangeError} naming the bad flag and value
 */
function parse(args: string[]): Args {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: "string", default: "100" },
      first: { type: "string", default: "1" },
      agents: { type: "string", default: "0" },
      disable: { type: "string", multiple: true, default: [] },
      policy: { type: "string", default: "default" },
      steps: { type: "string", default: "120" },
      provider: { type: "string", default: "cloudflare" },
      "stop-at-first": { type: "boolean", default: false },
      "api-faults": { type: "string" },
    },
  });
  const disabled = new Set<RuleName>();
  for (const r of values.disable) {
    if (!(RULES as readonly string[]).includes(r)) {
      throw new RangeError(
        `--disable ${JSON.stringify(r)}: not a rule (one of ${
          RULES.join(", ")
        })`,
      );
    }
    disabled.add(r as RuleName);
  }
  if (values.policy !== "default" && values.policy !== "legacy") {
    throw new RangeError(
      `--policy must be "legacy", got ${JSON.stringify(values.policy)}`,
    );
  }
  if (!(PROVIDERS as readonly string[]).includes(values.provider)) {
    throw new RangeError(
      `--provider must be one of ${PROVIDERS.join(", ")}, got ${
        JSON.stringify(values.provider)
      }`,
    );
  }
  const rawFaults = values["api-faults"];
  const apiFaults = rawFaults === undefined ? undefined : Number(rawFaults);
  if (
    apiFaults !== undefined &&
    (!Number.isFinite(apiFaults) || apiFaults < 0 || apiFaults > 1)
  ) {
    throw new RangeError(
      `--api-faults must be a share from 0 to 1, got ${
        JSON.stringify(rawFaults)
      }`,
    );
  }
  const agents = int("agents", values.agents, 0);
  if (agents !== 0 && (agents < 3 || agents > 5)) {
    throw new RangeError(`--agents must be 3, 4 or 5, got ${agents}`);
  }
  return {
    seeds: int("seeds", values.seeds, 1),
    first: int("first", values.first, 0),
    agents,
    steps: int("steps", values.steps, 1),
    policy: { disabled, legacy: values.policy === "legacy" },
    provider: values.provider as ProviderName,
    stopAtFirst: values["stop-at-first"],
    apiFaults,
  };
}

function int(key: string, v: string, lo: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < lo) {
    throw new RangeError(
      `--${key} must be an integer ≥ ${lo}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

let parsed: Args;
try {
  parsed = parse(Deno.args);
} catch (e) {
  const msg = e instanceof Error ? e.message : String(e);
  Deno.stderr.writeSync(new TextEncoder().encode(`sim: ${msg}\n`));
  Deno.exit(2);
}
const {
  seeds,
  first,
  agents,
  steps,
  policy,
  provider,
  stopAtFirst,
  apiFaults,
} = parsed;
const disabled = policy.disabled;

const out = (s: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
const flags = [
  agents ? `--agents ${agents}` : "",
  provider !== "cloudflare" ? `--provider ${provider}` : "",
  ...[...disabled].map((r) => `--disable ${r}`),
  policy.legacy ? "--policy legacy" : "",
  apiFaults !== undefined ? `--api-faults ${apiFaults}` : "",
  `--steps ${steps}`,
].filter(Boolean).join(" ");
let bad = 0;
let ran = 0;
for (let seed = first; seed < first + seeds; seed++) {
  const r = await runSeed({
    seed,
    agents,
    steps,
    policy,
    provider,
    apiFaults,
  });
  ran++;
  if (ran % 1000 === 0) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`… ${ran} seeds, ${bad} violations\n`),
    );
  }
  if (r.violations.length === 0) continue;
  bad++;
  const v = r.violations[0]!;
  out(
    `seed ${seed}: ${v.invariant} at t=${
      (v.atMs / 1000).toFixed(1)
    }s: ${v.detail}`,
  );
  for (const line of r.trace) out(`  ${line}`);
  out(`  replay: deno task sim --first ${seed} --seeds 1 ${flags}`);
  if (stopAtFirst) break;
}
out(`${ran} seeds, ${bad} violations`);
Deno.exit(bad > 0 ? 1 : 0);
