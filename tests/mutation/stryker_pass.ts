/**
 * Runs one Stryker pass in its own process: `deno run -A
 * tests/mutation/stryker_pass.ts FOLDER [FILE...]`. Kept apart from the
 * orchestrator so each pass starts with fresh Stryker state. With files, only
 * they are mutated (the folder's tests still run) and the report goes to
 * `reports/mutation/FOLDER-files.json`, so it never stands in for the
 * folder's score.
 *
 * @module
 */

import { Stryker } from "@stryker-mutator/core";
import { narrowPass, selectPasses } from "./passes.ts";
import { filesReportPath, strykerOptions } from "./stryker_options.ts";

if (import.meta.main) {
  const [folder, ...files] = Deno.args;
  if (folder === undefined) {
    throw new Error(
      "Usage: stryker_pass.ts FOLDER [FILE[:FROM-TO]...] (one core folder)",
    );
  }
  const [pass] = selectPasses([folder]);
  if (pass === undefined) throw new Error("No mutation pass selected");
  const options = files.length === 0 ? strykerOptions(pass, Deno.execPath()) : {
    ...strykerOptions(narrowPass(pass, files), Deno.execPath()),
    jsonReporter: { fileName: filesReportPath(pass.folder) },
  };
  await new Stryker(options).runMutationTest();
}
