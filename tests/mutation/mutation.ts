/**
 * `deno task mutation [--only FOLDER]...`: one Stryker pass per core folder
 * (each in its own process), then one JSON report at
 * `reports/mutation/mutation.json` that joins these passes with the reports
 * earlier runs left for the other folders (each printed with its date), and
 * the score per folder against its goal.
 * Exits 1 when a pass fails or a folder is below its goal.
 *
 * @module
 */

import { MUTATION_PASSES, type MutationPass, selectPasses } from "./passes.ts";
import {
  mergeReports,
  type MutationReport,
  scoreReport,
  survivors,
} from "./score.ts";
import { REPORT_DIR, reportPath } from "./stryker_options.ts";

/** One pass's report: run now (with its duration) or left by an earlier run. */
interface PassOutcome {
  readonly pass: MutationPass;
  readonly report: MutationReport;
  /** Seconds the pass took now; null when the report is from an earlier run. */
  readonly seconds: number | null;
  /** When the report was written. */
  readonly written: Date | null;
}

function parseOnly(args: readonly string[]): string[] {
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--only" && args[i + 1] !== undefined) {
      only.push(...args[++i]!.split(","));
    } else if (arg?.startsWith("--only=")) {
      only.push(...arg.slice("--only=".length).split(","));
    } else {
      throw new Error(
        `Unknown argument "${arg}": use "--only write|dns|health|cluster|config"`,
      );
    }
  }
  return only;
}

async function runPass(pass: MutationPass): Promise<PassOutcome> {
  const started = performance.now();
  const passScript = new URL("./stryker_pass.ts", import.meta.url).pathname;
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", passScript, pass.folder],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    throw new Error(
      `Stryker pass "${pass.folder}" failed with exit code ${status.code}`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return { ...await readOutcome(pass), seconds };
}

async function readOutcome(pass: MutationPass): Promise<PassOutcome> {
  const path = reportPath(pass.folder);
  const report = JSON.parse(await Deno.readTextFile(path)) as MutationReport;
  const written = (await Deno.stat(path)).mtime;
  return { pass, report, seconds: null, written };
}

/** Reports of passes not run now that an earlier run left behind. */
async function earlierOutcomes(ran: readonly MutationPass[]) {
  const out: PassOutcome[] = [];
  for (const pass of MUTATION_PASSES) {
    if (ran.includes(pass)) continue;
    try {
      out.push(await readOutcome(pass));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return out;
}

function summaryLine(outcome: PassOutcome): string {
  const s = scoreReport(outcome.report);
  const verdict = s.percent >= outcome.pass.goal ? "meets" : "BELOW";
  return `${outcome.pass.folder.padEnd(8)} ${
    s.percent.toFixed(2).padStart(6)
  } % ` +
    `killed ${s.killed} timeout ${s.timeout} survived ${s.survived} ` +
    `no-coverage ${s.noCoverage} errors ${s.invalid} ` +
    `${when(outcome)} ${verdict} goal ${outcome.pass.goal} %`;
}

function when(outcome: PassOutcome): string {
  return outcome.seconds === null
    ? `(earlier run, ${outcome.written?.toISOString() ?? "unknown time"})`
    : `(${outcome.seconds.toFixed(0)} s)`;
}

if (import.meta.main) {
  const passes = selectPasses(parseOnly(Deno.args));
  const outcomes: PassOutcome[] = [];
  for (const pass of passes) outcomes.push(await runPass(pass));
  outcomes.push(...await earlierOutcomes(passes));
  await Deno.mkdir(REPORT_DIR, { recursive: true });
  await Deno.writeTextFile(
    `${REPORT_DIR}/mutation.json`,
    JSON.stringify(mergeReports(outcomes.map((o) => o.report))),
  );
  const out: string[] = [];
  for (const o of outcomes.filter((o) => o.seconds !== null)) {
    for (const line of survivors(o.report)) out.push(`survived: ${line}`);
  }
  out.push(`report: ${REPORT_DIR}/mutation.json`);
  for (const o of outcomes) out.push(summaryLine(o));
  await Deno.stdout.write(new TextEncoder().encode(out.join("\n") + "\n"));
  const below = outcomes.some((o) =>
    scoreReport(o.report).percent < o.pass.goal
  );
  if (below) Deno.exit(1);
}
