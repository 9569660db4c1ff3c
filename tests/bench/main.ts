/**
 * `deno task bench`: runs the benchmarks in order — probe, failover,
 * falsedown, cluster, dns, budget, shutdown — each under a header. Each module exports `run(): Promise<void>`
 * and reads its own flags from `Deno.args`; this runner only picks sections.
 *
 * Flags: `--only probe|failover|falsedown|cluster|dns|budget|shutdown` (also `--only=…`)
 * runs one section; `--help` prints {@linkcode HELP}; `--quick` (and any
 * other flag) is left for the modules to read.
 * A missing module is reported as skipped; a failing one is reported, the
 * others still run, and the exit code is 1.
 * @module
 */

/** One benchmark section. */
export interface BenchSection {
  /** Name used by `--only`. */
  name: string;
  /** Module file, relative to tests/bench/. */
  file: string;
}

/** The sections, in the order they run. */
export const SECTIONS: readonly BenchSection[] = [
  { name: "probe", file: "probe_bench.ts" },
  { name: "failover", file: "failover_bench.ts" },
  { name: "falsedown", file: "false_down_bench.ts" },
  { name: "cluster", file: "cluster_bench.ts" },
  { name: "dns", file: "dns_bench.ts" },
  { name: "budget", file: "budget_bench.ts" },
  { name: "shutdown", file: "shutdown_bench.ts" },
];

/** What `deno task bench --help` prints: this runner's flags and the modules'. */
export const HELP =
  `deno task bench [flags]: probe, failover, falsedown, cluster, dns, budget, shutdown in order
  --only NAME        run one section (probe|failover|falsedown|cluster|dns|budget|shutdown)
  --quick            fewer runs in every section
  --help             this text
probe (tests/bench/probe_bench.ts; root, fping 5.1):
  --capacity-only    highest offered rate each tool holds (0 lost, ≤ 1.25× schedule)
  --cpu-only         CPU per probe at 1,000 × 1 s, 10,000 × 1 s, 6,000/s; idle; RSS
  --burst-only       5,000 probes at once
  --accuracy-only    each tool's RTT minus a capture's on the switch port, per probe
  --soak             add 10 minutes at 10,000 targets
failover (tests/bench/failover_bench.ts; root):
  --cadence-only     only the default-cadence table
  --cluster-cadence-only  only single node vs cluster of 3 at the default cadence
falsedown (tests/bench/false_down_bench.ts; root):
  10 minutes at 2 % random loss on every target, with and without
  retry_interval; --quick: 1 minute (the goal is the 10-minute figure)
cluster (tests/bench/cluster_bench.ts; root), dns (tests/bench/dns_bench.ts),
  budget (tests/bench/budget_bench.ts): no flags of their own; shutdown (tests/bench/shutdown_bench.ts): --quick
Every section prints a line for each run it discarded, with the reason.`;

/** What the command line asks for. */
export type BenchArgs =
  | { ok: true; value: { only: string | null; help: boolean } }
  | { ok: false; error: string };

/**
 * Reads `--only` and `--help` from the command line; other flags are the
 * modules'.
 * @param args the command-line arguments
 * @returns the section to run alone (null = all), or why the flags are bad
 */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  let only: string | null = null;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let value: string | undefined;
    if (a === "--help" || a === "-h") help = true;
    if (a === "--only") value = args[++i];
    else if (a.startsWith("--only=")) value = a.slice("--only=".length);
    else continue;
    if (!SECTIONS.some((s) => s.name === value)) {
      return {
        ok: false,
        error: `"--only" must be one of ${
          SECTIONS.map((s) => `"${s.name}"`).join(", ")
        }, got ${JSON.stringify(value ?? "")}`,
      };
    }
    only = value!;
  }
  return { ok: true, value: { only, help } };
}

const encoder = new TextEncoder();
function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

async function exists(url: URL): Promise<boolean> {
  try {
    return (await Deno.stat(url)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Runs one section under its header.
 * @returns false when the module failed
 */
async function runSection(s: BenchSection): Promise<boolean> {
  const path = `tests/bench/${s.file}`;
  out(`\n=== ${s.name} (${path}) ===`);
  const url = new URL(`./${s.file}`, import.meta.url);
  if (!(await exists(url))) {
    out(`skipped: ${path} not present`);
    return true;
  }
  const started = performance.now();
  try {
    const mod = await import(url.href);
    if (typeof mod.run !== "function") {
      out(`skipped: ${path} exports no run()`);
      return true;
    }
    await mod.run();
    out(`(${s.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  } catch (e) {
    out(`failed: ${path}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/**
 * Runs the selected sections in order.
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 if a section failed, 2 on bad flags
 */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(args);
  if (!parsed.ok) {
    out(`bench: ${parsed.error}`);
    return 2;
  }
  const { only, help } = parsed.value;
  if (help) {
    out(HELP);
    return 0;
  }
  out(`goavail benchmarks${only ? ` (only ${only})` : ""}: ${args.join(" ")}`);
  let code = 0;
  for (const s of SECTIONS) {
    if (only && s.name !== only) continue;
    if (!(await runSection(s))) code = 1;
  }
  return code;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
