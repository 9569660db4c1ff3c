/**
 * `deno task mutation [--only FOLDER]...`: one Stryker pass per core folder
 * (each in its own process), then one merged JSON report at
 * `reports/mutation/mutation.json` and the score per folder against its goal.
 * Exits 1 when a pass fails or a folder is below its goal.
 *
 * @module
 */

import { type MutationPass, selectPasses } from "./passes.ts";
import {
  mergeReports,
  type MutationReport,
  scoreReport,
  survivors,
} from "./score.ts";
import { REPORT_DIR, reportPath } from "./stryker_options.ts";

/** One finished pass: its report and how long it took. */
interface PassOutcome {
  readonly pass: MutationPass;
  readonly report: MutationReport;
  readonly seconds: number;
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
  const report = JSON.parse(
    await Deno.readTextFile(reportPath(pass.folder)),
  ) as MutationReport;
  return { pass, report, seconds: (performance.now() - started) / 1000 };
}

function summaryLine(outcome: PassOutcome): string {
  const s = scoreReport(outcome.report);
  const verdict = s.percent >= outcome.pass.goal ? "meets" : "BELOW";
  return `${outcome.pass.folder.padEnd(8)} ${
    s.percent.toFixed(2).padStart(6)
  } % ` +
    `killed ${s.killed} timeout ${s.timeout} survived ${s.survived} ` +
    `no-coverage ${s.noCoverage} errors ${s.invalid} ` +
    `(${outcome.seconds.toFixed(0)} s) ${verdict} goal ${outcome.pass.goal} %`;
}

if (import.meta.main) {
  const passes = selectPasses(parseOnly(Deno.args));
  const outcomes: PassOutcome[] = [];
  for (const pass of passes) outcomes.push(await runPass(pass));
  await Deno.mkdir(REPORT_DIR, { recursive: true });
  await Deno.writeTextFile(
    `${REPORT_DIR}/mutation.json`,
    JSON.stringify(mergeReports(outcomes.map((o) => o.report))),
  );
  const out: string[] = [];
  for (const o of outcomes) {
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
