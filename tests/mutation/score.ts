/**
 * Reads Stryker's JSON reports (the mutation-testing-report-schema: `files` →
 * `mutants` → `status`) and scores them the way Stryker does
 * (stryker-mutator/mutation-testing-elements
 * packages/metrics/src/calculateMetrics.ts: detected = killed + timeout, valid
 * = detected + survived + no coverage; errors and ignored mutants do not
 * count).
 *
 * @module
 */

/** One mutant as the JSON report stores it (only the fields read here). */
export interface ReportMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number } };
}

/** A Stryker JSON report (only the fields read or merged here). */
export interface MutationReport {
  readonly schemaVersion: string;
  readonly thresholds: unknown;
  readonly files: Record<string, { readonly mutants: readonly ReportMutant[] }>;
  readonly [other: string]: unknown;
}

/** Counts and score of one report. */
export interface MutationScore {
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly invalid: number;
  /** Detected over valid, in percent; 100 when nothing is valid. */
  readonly percent: number;
}

/**
 * Scores a report like Stryker's "% Mutation score / total" column.
 *
 * @param report a parsed Stryker JSON report
 * @returns the counts and the score in percent
 */
export function scoreReport(report: MutationReport): MutationScore {
  const count: Record<string, number> = {};
  for (const file of Object.values(report.files)) {
    for (const m of file.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
  }
  const killed = count["Killed"] ?? 0;
  const timeout = count["Timeout"] ?? 0;
  const survived = count["Survived"] ?? 0;
  const noCoverage = count["NoCoverage"] ?? 0;
  const invalid = (count["CompileError"] ?? 0) + (count["RuntimeError"] ?? 0);
  const valid = killed + timeout + survived + noCoverage;
  const percent = valid === 0 ? 100 : ((killed + timeout) / valid) * 100;
  return { killed, timeout, survived, noCoverage, invalid, percent };
}

/**
 * The mutants a report left alive, as `path:line mutator → replacement`.
 *
 * @param report a parsed Stryker JSON report
 * @returns one line per surviving (or uncovered) mutant
 */
export function survivors(report: MutationReport): string[] {
  const lines: string[] = [];
  for (const [path, file] of Object.entries(report.files)) {
    for (const m of file.mutants) {
      if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
      lines.push(
        `${path}:${m.location.start.line} ${m.mutatorName} → ${
          JSON.stringify(m.replacement ?? "")
        }`,
      );
    }
  }
  return lines;
}

/**
 * Joins per-pass reports into one: the files of each (passes mutate disjoint
 * files), the schema version and thresholds of the first.
 *
 * @param reports at least one parsed report
 * @returns one report covering every pass
 * @throws {Error} when given no report
 */
export function mergeReports(
  reports: readonly MutationReport[],
): MutationReport {
  const [first] = reports;
  if (first === undefined) throw new Error("No mutation report to merge");
  const files: MutationReport["files"] = {};
  for (const r of reports) Object.assign(files, r.files);
  return { ...first, files };
}
