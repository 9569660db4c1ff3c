/**
 * Settings, options and report types of the DNS reconciler, and the small
 * pure helpers it uses to tally outcomes.
 * @module
 */

import type { Config } from "../config/types.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import type { GuardNote } from "../write/guards.ts";
import type { Intent, Plan } from "../write/plan.ts";
import type {
  Change,
  ChangeOutcome,
  DnsErrorKind,
  DnsProviderError,
  DnsRecord,
} from "./provider.ts";

import { fqdn } from "./provider.ts";
/** The part of the agent's `StateStore` the reconciler needs. */
export interface SnapshotStore {
  snapshots(): Map<string, DnsRecord>;
  putSnapshot(record: DnsRecord): Promise<void>;
  /** Saves several snapshots in one durable write, when supported. */
  putSnapshots?(records: readonly DnsRecord[]): Promise<void>;
  dropSnapshots(keys: readonly string[]): Promise<void>;
}

/** What the reconciler manages; see {@linkcode reconcilerSettings}. */
export interface ReconcilerSettings {
  /** Zone name (`dns_domain`). */
  zone: string;
  /** Configured hostnames ("@", "www", or already fully qualified). */
  hostnames: readonly string[];
  /**
   * The managed names, fully qualified, each by its own pool's zone; when
   * set, used instead of `hostnames` qualified by `zone`.
   */
  names?: readonly string[];
  ips: readonly string[];
  minRecords: number;
  maxRemovalsFraction: number;
  /** TTL and proxied for records created without a snapshot. */
  ttl: number;
  proxied: boolean;
}

/**
 * Extracts the reconciler settings from the resolved config.
 * @param config the resolved config
 * @returns the settings
 */
export function reconcilerSettings(config: Config): ReconcilerSettings {
  const cf = config.cloudflare;
  // Every pool's names (each qualified by its pool's zone) and IPs.
  const pools = config.pools?.length ? config.pools : [cf];
  return {
    zone: cf.dnsDomain,
    hostnames: [...new Set(pools.flatMap((p) => p.hostnames))],
    names: [
      ...new Set(
        pools.flatMap((p) => p.hostnames.map((h) => fqdn(h, p.dnsDomain))),
      ),
    ],
    // Backups too: their records are remembered for an exact restore.
    ips: [
      ...new Set(
        pools.flatMap((p) => [
          ...p.ipAddresses,
          ..."backupIps" in p ? p.backupIps : [],
        ]),
      ),
    ],
    minRecords: config.minRecords,
    maxRemovalsFraction: config.maxRemovalsFraction,
    ttl: cf.ttl,
    proxied: cf.proxied,
  };
}

/** Options of {@linkcode DnsReconciler}. */
export interface ReconcilerOptions {
  clock?: Clock;
  logger?: Logger;
  /** Passes (list + apply) per call, at most. @default 4 */
  maxAttempts?: number;
  /** First 5xx backoff; doubles per attempt. @default 500 */
  backoffMs?: number;
  /** Backoff ceiling. @default 8000 */
  maxBackoffMs?: number;
  /** Longest `retry-after` waited for inside a call. @default 10000 */
  maxInlineWaitMs?: number;
  /** How long writes (and calls) stop after refused credentials or zone. @default 60000 */
  authRetryMs?: number;
  /** Least time between two credential/zone error logs. @default 60000 */
  authLogIntervalMs?: number;
  /**
   * Longest time between reading DNS and sending the writes planned from it;
   * older plans (the process was paused, say) are dropped and re-made.
   * @default 3000
   */
  maxPlanAgeMs?: number;
}

/** How a {@linkcode DnsReconciler.reconcile} call ended. */
export type ReconcileStatus =
  | "ok"
  | "abstained"
  | "rate_limited"
  | "auth_blocked"
  | "failed"
  | "aborted";

/** What one call did, for metrics and status. */
export interface ReconcileReport {
  status: ReconcileStatus;
  /** Changes planned by the last pass. */
  planned: number;
  /** Change outcomes over all passes. */
  writes: { done: number; already: number; failed: number };
  /** API write requests sent. */
  requests: number;
  /** API errors by kind (one per failed request). */
  apiErrors: Partial<Record<DnsErrorKind, number>>;
  /** What the guards held back in the last pass. */
  notes: GuardNote[];
  /** Passes made. */
  attempts: number;
  /** When status is "rate_limited"/"auth_blocked": earliest next write. */
  retryAtMs?: number;
  /**
   * Wall ms after which the deletes this pass held for a delete in doubt
   * (rule D, lib/write/in_doubt.ts) may go: the next pass is due then.
   */
  recheckAtMs?: number;
}

/** Per-call options of {@linkcode DnsReconciler.reconcile}. */
export interface ReconcileCallOptions {
  /** Self-isolation: the agent suspects itself; change nothing. */
  abstain?: boolean;
  /** Aborts waits (shutdown). */
  signal?: AbortSignal;
  /** The write decision for the first attempt (see {@linkcode Planner}). */
  planner?: Planner;
  /**
   * Fresh intents, read before every attempt of this call (after a 429 wait
   * or a backoff, the ones passed in may be stale). When given, it replaces
   * the `intents`, `down` and `abstain` arguments from the second attempt on.
   */
  refresh?: () => ReconcileInputs;
  /**
   * Asked right before every write call to the provider: false (this agent
   * is no longer the cluster's active writer) stops the pass before that
   * call, with status "abstained". A role decided before a slow listing or
   * a long retry must not outlive the handover another writer waits out.
   */
  mayWrite?: () => boolean;
}

/**
 * Plans a pass from what the provider holds: the write decision's second
 * stage (lib/write/decide.ts `planWrites`), bound to the agent's votes.
 */
export type Planner = (
  listing: ReadonlyMap<string, readonly DnsRecord[]>,
  snapshots: ReadonlyMap<string, DnsRecord>,
  inDoubt: ReadonlySet<string>,
) => Plan;

/** The agent's view a pass acts on. */
export interface ReconcileInputs {
  intents: ReadonlyMap<string, Intent>;
  down: ReadonlySet<string>;
  abstain?: boolean;
  /**
   * The write decision for this pass; without it, `intents` and `down` go
   * through the guards as they are (one agent's own verdicts).
   */
  planner?: Planner;
}

/** @returns a report with nothing done yet (status "failed" until set). */
export function emptyReport(): ReconcileReport {
  return {
    status: "failed",
    planned: 0,
    writes: { done: 0, already: 0, failed: 0 },
    requests: 0,
    apiErrors: {},
    notes: [],
    attempts: 0,
  };
}

const SEVERITY: Record<DnsErrorKind, number> = {
  auth: 4,
  config: 4,
  rate_limited: 3,
  server: 2,
  conflict: 1,
  bad_request: 1,
};

/** @returns the more severe of two errors (auth, config > 429 > 5xx > 4xx). */
export function worse(
  a: DnsProviderError | undefined,
  b: DnsProviderError,
): DnsProviderError {
  return a && SEVERITY[a.kind] >= SEVERITY[b.kind] ? a : b;
}

/** Counts one API error in the report. */
export function countError(
  report: ReconcileReport,
  error: DnsProviderError,
): void {
  report.apiErrors[error.kind] = (report.apiErrors[error.kind] ?? 0) + 1;
}

/** @returns the changes split per record name, in first-seen order. */
export function groupByName(changes: readonly Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    groups.set(c.record.name, [...(groups.get(c.record.name) ?? []), c]);
  }
  return [...groups.values()];
}

/**
 * Structured log fields of one change outcome.
 * @returns action, type, name, content, result (and from_snapshot)
 */
export function outcomeFields(outcome: ChangeOutcome): Record<string, unknown> {
  const { change } = outcome;
  const r = change.record;
  return {
    action: change.kind === "delete" ? "remove" : "restore",
    type: r.type,
    name: r.name,
    content: r.content,
    result: outcome.result,
    ...(change.kind === "create" ? { from_snapshot: change.fromSnapshot } : {}),
  };
}

/** Retry tuning with every default filled in. */
export type RetryTuning = Required<Omit<ReconcilerOptions, "clock" | "logger">>;

/**
 * Fills in the retry defaults.
 * @returns maxAttempts 4, backoff 500 ms doubling to 8 s, inline wait up to
 * 10 s, credential block and error log interval 60 s — unless overridden
 */
export function resolveOptions(options: ReconcilerOptions): RetryTuning {
  return {
    maxAttempts: Math.max(1, options.maxAttempts ?? 4),
    backoffMs: options.backoffMs ?? 500,
    maxBackoffMs: options.maxBackoffMs ?? 8000,
    maxInlineWaitMs: options.maxInlineWaitMs ?? 10_000,
    authRetryMs: options.authRetryMs ?? 60_000,
    authLogIntervalMs: options.authLogIntervalMs ?? 60_000,
    maxPlanAgeMs: options.maxPlanAgeMs ?? 3000,
  };
}

/**
 * Saves a snapshot of every record about to be deleted, before anything is
 * sent. A delete whose snapshot cannot be saved is dropped from the list.
 * @param store snapshot storage
 * @param changes the planned changes
 * @param onFail called for each delete left out, with the error
 * @returns the changes that may be sent
 */
export async function snapshotDeletes(
  store: SnapshotStore,
  changes: readonly Change[],
  onFail: (change: Change, error: unknown) => void,
): Promise<Change[]> {
  const deletes = changes.filter((c) => c.kind === "delete");
  if (deletes.length > 1 && store.putSnapshots) {
    try {
      await store.putSnapshots(deletes.map((c) => c.record));
      return [...changes];
    } catch (e) {
      for (const c of deletes) onFail(c, e);
      return changes.filter((c) => c.kind !== "delete");
    }
  }
  const ready: Change[] = [];
  for (const change of changes) {
    if (change.kind === "delete") {
      try {
        await store.putSnapshot(change.record);
      } catch (e) {
        onFail(change, e);
        continue;
      }
    }
    ready.push(change);
  }
  return ready;
}
/** @returns structured log fields of a guard note. */
export function noteFields(note: GuardNote): Record<string, unknown> {
  const { guard, type, name } = note;
  return { guard, type, name, ips: note.ips.join(",") };
}
