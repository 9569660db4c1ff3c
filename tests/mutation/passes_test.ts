/** Choosing and narrowing mutation passes (tests/mutation/passes.ts). */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { MUTATION_PASSES, narrowPass, selectPasses } from "./passes.ts";
import {
  filesReportPath,
  reportPath,
  strykerOptions,
} from "./stryker_options.ts";

const config = MUTATION_PASSES.find((p) => p.folder === "config")!;

Deno.test("narrowPass() mutates only the files named, with the folder's tests", () => {
  const narrowed = narrowPass(config, [
    "lib/config/rules.ts",
    "lib/config/net.ts:10-20",
  ]);
  assertEquals(narrowed.mutate, [
    "lib/config/rules.ts",
    "lib/config/net.ts:10-20",
  ]);
  assertEquals(narrowed.tests, config.tests);
  assertEquals(narrowed.goal, config.goal);
  assertEquals(config.mutate, ["lib/config/**/*.ts"]);
});

Deno.test("narrowPass() refuses a file outside the pass's folder or not a .ts file", () => {
  for (
    const file of [
      "lib/dns/plan.ts",
      "lib/configx/rules.ts",
      "lib/config/rules.js",
      "lib/config/rules.ts:a-b",
      "lib/config/",
    ]
  ) {
    throws(() => narrowPass(config, [file]), {
      message: `Cannot mutate "${file}" in the "config" pass: ` +
        `name a .ts file under "lib/config/" (optionally ":FROM-TO" lines)`,
    });
  }
});

Deno.test("selectPasses() picks the named passes in order and refuses others", () => {
  assertEquals(
    selectPasses(["config", "write"]).map((p) => p.folder),
    ["write", "config"],
  );
  assertEquals(selectPasses([]).length, MUTATION_PASSES.length);
  throws(() => selectPasses(["probe"]), {
    message: /Unknown mutation folder "probe"/,
  });
});

Deno.test("strykerOptions() keeps goavail.toml in the sandbox (tests/config loads it)", () => {
  const options = strykerOptions(config, "deno");
  const patterns = options.ignorePatterns as string[];
  assertEquals(patterns.includes("!/goavail.toml"), true);
  assertEquals(patterns[0], "/*");
});

Deno.test("filesReportPath() is not the folder's report, so a narrowed run never stands for the folder", () => {
  assertEquals(filesReportPath("config"), "reports/mutation/config-files.json");
  assertEquals(filesReportPath("config") === reportPath("config"), false);
});
