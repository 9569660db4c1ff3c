/**
 * The mutation passes over the core: one Stryker run per folder, each with
 * the tests that target that folder, so a mutant costs one short `deno test`.
 *
 * @module
 */

/** One Stryker pass: the files it mutates and the tests that must kill them. */
export interface MutationPass {
  /** The core folder's short name, as given to `--only`. */
  readonly folder: string;
  /** Globs (Stryker syntax, from the repository root) of the files to mutate. */
  readonly mutate: readonly string[];
  /** Test files or folders handed to `deno test`. */
  readonly tests: readonly string[];
  /** The least share of mutants, in percent, the tests must kill. */
  readonly goal: number;
}

/**
 * Every pass `deno task mutation` runs, in order: the write unit first.
 * Left out, because one run of their tests takes 10 s or more and a pass
 * runs them once per mutant: `lib/dns/cloudflare*.ts`, `route53.ts` and
 * `route53_zone.ts` (driven through the SDKs against the fake API servers), `lib/cluster/peers.ts` and
 * `transport.ts` (real heartbeat timing), and `crypto_fuzz_test.ts`.
 * The cluster pass covers the files a forged, replayed or stale heartbeat
 * meets: sealing, receiving, membership (its tests run on a virtual clock,
 * 0.6 s a run) and the replicated snapshot book.
 */
export const MUTATION_PASSES: readonly MutationPass[] = [
  {
    folder: "write",
    goal: 85,
    mutate: ["lib/write/**/*.ts"],
    tests: ["tests/write/"],
  },
  {
    folder: "dns",
    goal: 85,
    mutate: [
      "lib/dns/**/*.ts",
      "!lib/dns/cloudflare*.ts",
      "!lib/dns/route53.ts",
      "!lib/dns/route53_zone.ts",
    ],
    tests: [
      "tests/dns/dry_run_test.ts",
      "tests/dns/provider_test.ts",
      "tests/dns/reconciler_test.ts",
      "tests/dns/reconciler_retry_test.ts",
      "tests/dns/seen_records_test.ts",
      "tests/dns/reconcile_report_test.ts",
      "tests/dns/reconciler_auth_test.ts",
      "tests/dns/reconcile_log_test.ts",
      "tests/dns/zone_router_test.ts",
      "tests/dns/batches_test.ts",
      "tests/dns/ratelimit_headers_test.ts",
      "tests/dns/route53_sets_test.ts",
      "tests/dns/reconciler_in_doubt_test.ts",
    ],
  },
  {
    folder: "health",
    goal: 75,
    mutate: ["lib/health/**/*.ts"],
    tests: ["tests/health/"],
  },
  {
    folder: "cluster",
    goal: 75,
    mutate: [
      "lib/cluster/crypto.ts",
      "lib/cluster/receive.ts",
      "lib/cluster/membership.ts",
      "lib/cluster/snapshot_book.ts",
    ],
    tests: [
      "tests/cluster/crypto_test.ts",
      "tests/cluster/membership_test.ts",
      "tests/cluster/membership_peer_change_test.ts",
      "tests/cluster/membership_views_test.ts",
      "tests/cluster/membership_round_test.ts",
      "tests/cluster/snapshot_book_test.ts",
      "tests/cluster/snapshot_book_parse_test.ts",
      "tests/cluster/server_test.ts",
      "tests/cluster/http_test.ts",
    ],
  },
  {
    folder: "config",
    goal: 75,
    mutate: ["lib/config/**/*.ts"],
    tests: ["tests/config/"],
  },
];

/**
 * Picks the passes named by `--only`, or all of them.
 *
 * @param only the folder names asked for; empty means every pass
 * @returns the passes, in `MUTATION_PASSES` order
 * @throws {Error} when a name is not a pass's folder
 */
export function selectPasses(only: readonly string[]): MutationPass[] {
  const known = MUTATION_PASSES.map((p) => p.folder);
  for (const name of only) {
    if (!known.includes(name)) {
      throw new Error(
        `Unknown mutation folder "${name}" for "--only": use one of ${
          known.map((k) => `"${k}"`).join(", ")
        }`,
      );
    }
  }
  return MUTATION_PASSES.filter((p) =>
    only.length === 0 || only.includes(p.folder)
  );
}

/**
 * Narrows a pass to a few of its files, to work on their survivors without
 * mutating the whole folder: `stryker_pass.ts config lib/config/rules.ts`.
 * Each file may carry Stryker's line range (`lib/config/rules.ts:70-90`).
 *
 * @param pass the folder's pass, whose tests still run for every mutant
 * @param files paths from the repository root, inside the pass's folder
 * @returns the pass mutating only `files`
 * @throws {Error} when a file lies outside `lib/FOLDER/`
 */
export function narrowPass(
  pass: MutationPass,
  files: readonly string[],
): MutationPass {
  const folder = `lib/${pass.folder}/`;
  for (const file of files) {
    if (!file.startsWith(folder) || !/\.ts(:\d+(-\d+)?)?$/.test(file)) {
      throw new Error(
        `Cannot mutate "${file}" in the "${pass.folder}" pass: ` +
          `name a .ts file under "${folder}" (optionally ":FROM-TO" lines)`,
      );
    }
  }
  return { ...pass, mutate: [...files] };
}
