/** Scoring Stryker's JSON report (tests/mutation/score.ts). */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  mergeReports,
  type MutationReport,
  type ReportMutant,
  scoreReport,
  survivors,
} from "./score.ts";

function mutant(id: string, status: string, line = 1): ReportMutant {
  return {
    id,
    mutatorName: "EqualityOperator",
    replacement: "a <= b",
    status,
    location: { start: { line } },
  };
}

function report(files: Record<string, ReportMutant[]>): MutationReport {
  return {
    schemaVersion: "2",
    thresholds: { high: 80, low: 60 },
    files: Object.fromEntries(
      Object.entries(files).map(([path, mutants]) => [path, { mutants }]),
    ),
  };
}

const SAMPLE = report({
  "lib/a.ts": [
    mutant("1", "Killed"),
    mutant("2", "Timeout"),
    mutant("3", "Survived", 7),
  ],
  "lib/b.ts": [
    mutant("4", "NoCoverage", 9),
    mutant("5", "CompileError"),
    mutant("6", "Ignored"),
    mutant("7", "Killed"),
    mutant("8", "Killed"),
  ],
});

Deno.test("scoreReport() counts killed and timed out over valid mutants, like Stryker", () => {
  assertEquals(scoreReport(SAMPLE), {
    killed: 3,
    timeout: 1,
    survived: 1,
    noCoverage: 1,
    invalid: 1,
    percent: (4 / 6) * 100,
  });
});

Deno.test("scoreReport() of a report without valid mutants is 100", () => {
  assertEquals(scoreReport(report({})).percent, 100);
});

Deno.test("survivors() lists surviving and uncovered mutants with their place", () => {
  assertEquals(survivors(SAMPLE), [
    'lib/a.ts:7 EqualityOperator → "a <= b"',
    'lib/b.ts:9 EqualityOperator → "a <= b"',
  ]);
});

Deno.test("mergeReports() joins the files of every pass", () => {
  const merged = mergeReports([
    report({ "lib/a.ts": [mutant("1", "Killed")] }),
    report({ "lib/b.ts": [mutant("2", "Survived")] }),
  ]);
  assertEquals(Object.keys(merged.files), ["lib/a.ts", "lib/b.ts"]);
  assertEquals(merged.schemaVersion, "2");
  throws(() => mergeReports([]), /No mutation report/);
});
