/**
 * Stryker options for one pass: the command runner drives `deno test` in
 * Stryker's sandbox. Stryker's instrumented header reads the active mutant from
 * `globalThis.process.env.__STRYKER_ACTIVE_MUTANT__`
 * (stryker-mutator/stryker-js packages/instrumenter/src/util/syntax-helpers.ts;
 * the name is `INSTRUMENTER_CONSTANTS.ACTIVE_MUTANT_ENV_VARIABLE` in
 * packages/api/src/core/instrument.ts), and Deno 2 has a global `process`, so
 * mutation switching works unchanged. Instrumented TypeScript does not type
 * check, hence `--no-check`.
 *
 * @module
 */

import type { Stryker } from "@stryker-mutator/core";
import type { MutationPass } from "./passes.ts";

/** The options `new Stryker()` takes. */
export type StrykerOptions = ConstructorParameters<typeof Stryker>[0];

/** Where every pass's report, and Stryker's sandboxes, go (not committed). */
export const REPORT_DIR = "reports/mutation";

/**
 * Builds the Stryker options for one pass.
 *
 * @param pass the folder and its tests
 * @param denoPath the `deno` binary the command runner starts
 * @returns options for `new Stryker()`
 */
export function strykerOptions(
  pass: MutationPass,
  denoPath: string,
): StrykerOptions {
  const command = [
    denoPath,
    "test",
    "--no-check",
    // A mutant is killed by its first failing test: stop there.
    "--fail-fast",
    "--allow-all",
    ...pass.tests,
  ].join(" ");
  return {
    mutate: [...pass.mutate],
    testRunner: "command",
    commandRunner: { command },
    // The command runner is built in; nothing to discover in node_modules.
    plugins: [],
    checkers: [],
    // Two cores shared with other work: one test process at a time.
    concurrency: 1,
    coverageAnalysis: "off",
    timeoutMS: 10_000,
    reporters: ["json", "clear-text", "progress"],
    jsonReporter: { fileName: reportPath(pass.folder) },
    tempDirName: `${REPORT_DIR}/.stryker-tmp`,
    // The sandbox needs only the code, the Deno config and the bundled
    // goavail.toml (tests/config loads it; without it the config pass fails
    // its initial test run in the sandbox).
    ignorePatterns: [
      "/*",
      "!/lib",
      "!/tests",
      "!/ffi",
      "!/deno.json",
      "!/deno.lock",
      "!/main.ts",
      "!/goavail.toml",
    ],
    cleanTempDir: true,
  };
}

/**
 * The JSON report one pass writes.
 *
 * @param folder the pass's folder name
 * @returns a path relative to the repository root
 */
export function reportPath(folder: string): string {
  return `${REPORT_DIR}/${folder}.json`;
}

/**
 * The JSON report of a pass narrowed to a few files (`stryker_pass.ts FOLDER
 * FILE...`), kept apart from the folder's own report.
 *
 * @param folder the pass's folder name
 * @returns a path relative to the repository root
 */
export function filesReportPath(folder: string): string {
  return `${REPORT_DIR}/${folder}-files.json`;
}
