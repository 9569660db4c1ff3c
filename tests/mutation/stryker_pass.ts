/**
 * Runs one Stryker pass in its own process: `deno run -A
 * tests/mutation/stryker_pass.ts FOLDER`. Kept apart from the orchestrator so
 * each pass starts with fresh Stryker state.
 *
 * @module
 */

import { Stryker } from "@stryker-mutator/core";
import { selectPasses } from "./passes.ts";
import { strykerOptions } from "./stryker_options.ts";

if (import.meta.main) {
  if (Deno.args.length !== 1) {
    throw new Error("Usage: stryker_pass.ts FOLDER (one core folder)");
  }
  const [pass] = selectPasses(Deno.args);
  if (pass === undefined) throw new Error("No mutation pass selected");
  await new Stryker(strykerOptions(pass, Deno.execPath())).runMutationTest();
}
