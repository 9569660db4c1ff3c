/**
 * The DNS executor the agent calls: list → diff (with guards) → snapshot →
 * apply, with the retry policy of DESIGN.md §4.
 *
 * - 429: nothing is sent before `retry-after` (a clock-based `notBefore`
 *   gate); short waits happen inside the pass, long ones end it.
 * - 5xx/timeouts: re-read, then retry with exponential backoff (bounded).
 * - Credentials refused (401, 403, or a 400 with a credential code such as
 *   6003 [6111]): stop writing and calling for `authRetryMs`, log an error
 *   at most once a minute, report "auth_blocked" so the agent keeps
 *   monitoring. The refusal stands until a listing succeeds. A zone that
 *   cannot be used (missing, not active, ambiguous: kind "config") is
 *   handled the same way.
 * - A failed batch is retried per name, so one bad name never blocks others.
 * @module
 */

import { type Clock, systemClock } from "../observe/clock.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import {
  canonicalIp,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
  fqdn,
  recordKey,
} from "./provider.ts";
import { type Intent, planChanges } from "../write/plan.ts";
import {
  DNS_CALL_BOUND_MS,
  doubtfulKeys,
  type DoubtfulWrite,
  doubtKey,
} from "../write/in_doubt.ts";
import { toProviderError } from "./cloudflare_map.ts";
import { SeenRecords } from "./seen_records.ts";
import { ReconcileLog } from "./reconcile_log.ts";
import {
  countError,
  emptyReport,
  groupByName,
  type ReconcileCallOptions,
  type ReconcileInputs,
  type ReconcileReport,
  type ReconcilerOptions,
  type ReconcilerSettings,
  resolveOptions,
  type RetryTuning,
  snapshotDeletes,
  type SnapshotStore,
  worse,
} from "./reconcile_report.ts";

/** How soon a pass follows one that left work for it (`followUp`), ms. */
export const FOLLOW_UP_MS = 1000;

export * from "./reconcile_report.ts";

/** First wait after a 429 that gives no `retry-after`. */
export const BLIND_LIMIT_FIRST_MS = 30_000;
/** Longest wait after 429s that give no `retry-after`: Cloudflare's block. */
export const BLIND_LIMIT_MAX_MS = 300_000;

/** Level-triggered DNS executor; calls are serialized. */
export class DnsReconciler {
  #provider: DnsProvider;
  #store: SnapshotStore;
  #settings: ReconcilerSettings;
  #clock: Clock;
  /** This agent's writes of unknown outcome (lib/write/in_doubt.ts). */
  #doubtful: DoubtfulWrite[] = [];
  /**
   * Snapshots saved before this process started ({@linkcode doubtKey}s),
   * until the first listing: a listed record among them had its delete
   * sent by an earlier run that may have ended before the answer came.
   */
  #startDoubts: Set<string> | null;
  /** When this reconciler was built, monotonic ms. */
  #startMs: number;
  #log: Logger;
  #opt: RetryTuning;
  #notBefore = 0;
  /** 429s in a row that said nothing of when to come back. */
  #blindLimits = 0;
  #authBlockedUntil = 0;
  #rejected: DnsProviderError | null = null;
  /** A read has worked with the current provider. */
  #verified = false;
  /**
   * Bumped by every new provider: what a call on an older one returns
   * (a refusal, a listing to plan from) says nothing about the new one.
   */
  #generation = 0;
  #out: ReconcileLog;
  #seen = new SeenRecords();
  #chain: Promise<unknown> = Promise.resolve();

  /**
   * @param provider where records live (Cloudflare or dry-run)
   * @param store durable snapshot storage
   * @param settings names, IPs, guards, defaults
   * @param options clock, logger and retry tuning
   */
  constructor(
    provider: DnsProvider,
    store: SnapshotStore,
    settings: ReconcilerSettings,
    options: ReconcilerOptions = {},
  ) {
    this.#provider = provider;
    this.#store = store;
    this.#settings = settings;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child("dns");
    this.#opt = resolveOptions(options);
    this.#out = new ReconcileLog(
      this.#log,
      this.#clock,
      this.#opt.authLogIntervalMs,
    );
    this.#startMs = this.#monotonicMs();
    this.#startDoubts = new Set(
      [...store.snapshots().values()].map((r) => normalDoubtKey(r)),
    );
  }

  /**
   * @param now wall-clock ms
   * @returns whether writes are stopped because credentials were rejected
   */
  authBlocked(now: number): boolean {
    return now < this.#authBlockedUntil;
  }

  /**
   * @returns whether a credential or zone refusal stands: until a read
   *   succeeds or a new provider comes in (a cluster agent stays
   *   unwritable that long, so it does not take the writer role back only
   *   to fail)
   */
  get blocked(): boolean {
    return this.#rejected !== null;
  }

  /**
   * What blocks writes: the last credential (kind "auth") or zone (kind
   * "config") refusal, until a listing succeeds or a new provider comes in;
   * null when nothing was refused.
   */
  get blockedBy(): DnsProviderError | null {
    return this.#rejected;
  }

  /** The credential refusal of {@linkcode blockedBy}, or null. */
  get credentialsRejected(): DnsProviderError | null {
    return this.#rejected?.kind === "auth" ? this.#rejected : null;
  }

  /** Earliest wall-clock ms at which the next API request may be sent. */
  get notBefore(): number {
    return Math.max(this.#notBefore, this.#authBlockedUntil);
  }

  /**
   * Replaces settings (reload) and optionally the provider (new token).
   * A new provider clears the credential block.
   */
  update(settings: ReconcilerSettings, provider?: DnsProvider): void {
    this.#settings = settings;
    if (provider) {
      this.#provider = provider;
      this.#authBlockedUntil = 0;
      this.#rejected = null;
      this.#verified = false;
      this.#generation++;
    }
  }

  /**
   * Moves DNS toward the intents, within the guards. Never throws for API
   * failures; the report says what happened.
   * @param intents per-IP intent; missing IPs are "hold"
   * @param down IPs whose verdict is down (for the never-empty guard)
   * @param options abstain (self-isolation), an abort signal, and refresh()
   *   to re-read intents before each attempt
   * @returns what was planned, written and failed
   */
  reconcile(
    intents: ReadonlyMap<string, Intent>,
    down: ReadonlySet<string>,
    options: ReconcileCallOptions = {},
  ): Promise<ReconcileReport> {
    const first = {
      intents,
      down,
      abstain: options.abstain,
      planner: options.planner,
    };
    const run = this.#chain.then(() => this.#run(first, options));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #run(
    first: ReconcileInputs,
    options: ReconcileCallOptions,
  ): Promise<ReconcileReport> {
    const report = emptyReport();
    if ((options.refresh?.() ?? first).abstain) {
      // An agent that does not write still finds out, once per retry
      // time, whether refused credentials (or zone) work again: with one
      // read. Without it a standby agent would stay blocked forever, or
      // take the writer role back every minute only to fail.
      // It also checks them once at start, so a standby agent with a bad
      // token says so (and does not stand as writer) before it is needed.
      const due = this.#rejected !== null
        ? this.#clock.now() >= this.#authBlockedUntil
        : !this.#verified;
      if (due) await this.#recheck(report);
      return { ...report, status: "abstained" };
    }
    if (this.#clock.now() < this.#authBlockedUntil) {
      this.#out.blocked(this.#rejected ?? undefined);
      const retryAtMs = this.#authBlockedUntil;
      return { ...report, status: "auth_blocked", retryAtMs };
    }
    let perName = false;
    while (report.attempts < this.#opt.maxAttempts) {
      if (options.signal?.aborted) return { ...report, status: "aborted" };
      const wait = this.#notBefore - this.#clock.now();
      if (wait > this.#opt.maxInlineWaitMs) break;
      if (wait > 0) {
        await this.#clock.sleep(wait, options.signal);
        continue;
      }
      const inputs = options.refresh?.() ?? first;
      if (inputs.abstain) return { ...report, status: "abstained" };
      report.attempts++;
      const gen = this.#generation;
      const error = await this.#pass(inputs, report, perName, options.mayWrite);
      if (!error) return { ...report, status: "ok" };
      if (error === "stale") continue;
      if (error === "lost_role") return { ...report, status: "abstained" };
      // The state store cannot write (a full disk, say): re-reading now
      // would not help, and every attempt costs API reads. The pass fails;
      // the DNS loop tries again later.
      if (error === "unsaved") return { ...report, status: "failed" };
      perName = true;
      if (error.kind === "auth" || error.kind === "config") {
        // The provider was replaced while the pass ran: its refusal is
        // not the new one's. Read again with the new provider.
        if (gen !== this.#generation) continue;
        this.#rejected = error;
        this.#authBlockedUntil = this.#clock.now() + this.#opt.authRetryMs;
        this.#out.blocked(error);
        const retryAtMs = this.#authBlockedUntil;
        return { ...report, status: "auth_blocked", retryAtMs };
      }
      await this.#afterError(error, report.attempts, options.signal);
    }
    if (this.#notBefore > this.#clock.now()) {
      return { ...report, status: "rate_limited", retryAtMs: this.#notBefore };
    }
    return report;
  }

  /**
   * One read of the managed names while writes are blocked: success clears
   * the block, a credential or zone refusal extends it, anything else
   * leaves it for the next retry.
   */
  async #recheck(report: ReconcileReport): Promise<void> {
    const s = this.#settings;
    const names = managedNames(s);
    const gen = this.#generation;
    try {
      await this.#provider.list(names);
      report.requests++;
      // A new provider came in meanwhile: it gets its own check.
      if (gen !== this.#generation) return;
      if (this.#rejected) {
        this.#log.info("The DNS provider accepts the credentials again");
      }
      this.#rejected = null;
      this.#authBlockedUntil = 0;
      this.#verified = true;
    } catch (e) {
      const error = toProviderError(e, "list");
      countError(report, error);
      if (gen !== this.#generation) return;
      const refused = error.kind === "auth" || error.kind === "config";
      // Another failure (a timeout, a 5xx) only moves a standing refusal's
      // next check; it blocks nothing by itself.
      if (refused || this.#rejected !== null) {
        this.#authBlockedUntil = this.#clock.now() + this.#opt.authRetryMs;
      }
      if (refused) {
        this.#rejected = error;
        this.#out.blocked(error);
      }
    }
  }

  /**
   * The wait after a 429 without `retry-after`: 30 s, doubling up to 5
   * minutes. Cloudflare blocks every call of the user for five minutes once
   * the budget (1,200 calls per 5 minutes, shared by everything on the
   * account) is exceeded: "If you exceed this limit, all API calls for the
   * next five minutes will be blocked, receiving a HTTP 429 response"
   * (https://developers.cloudflare.com/fundamentals/api/reference/limits/),
   * so retrying every few seconds only spends calls that fail.
   */
  #blindLimitWait(): number {
    const ms = Math.min(
      BLIND_LIMIT_MAX_MS,
      BLIND_LIMIT_FIRST_MS * 2 ** this.#blindLimits,
    );
    this.#blindLimits++;
    return ms;
  }

  /** 429 → set the gate; anything else → back off before the next pass. */
  async #afterError(
    error: DnsProviderError,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (error.kind === "rate_limited") {
      this.#notBefore = this.#clock.now() +
        (error.retryAfterMs ?? this.#blindLimitWait());
      this.#log.warn(
        "DNS API rate limit hit; sending nothing until it ends",
        {
          retry_after_ms: error.retryAfterMs,
        },
      );
      return;
    }
    if (attempt >= this.#opt.maxAttempts) {
      this.#log.warn("DNS pass failed; giving up until the next pass", {
        error: error.message,
        kind: error.kind,
      });
      return;
    }
    const delay = Math.min(
      this.#opt.maxBackoffMs,
      this.#opt.backoffMs * 2 ** (attempt - 1),
    );
    this.#log.warn("DNS pass failed; re-reading and retrying", {
      error: error.message,
      kind: error.kind,
      backoff_ms: delay,
    });
    await this.#clock.sleep(delay, signal);
  }

  /**
   * One pass. Resolves to the most severe API error, "stale" when the plan
   * grew too old before it could be sent, "unsaved" when a snapshot could
   * not be saved (its delete was not sent; the rest was), or undefined on
   * success.
   */
  async #pass(
    { intents, down, planner }: ReconcileInputs,
    report: ReconcileReport,
    perName: boolean,
    mayWrite: (() => boolean) | undefined,
  ): Promise<DnsProviderError | "stale" | "lost_role" | "unsaved" | undefined> {
    const s = this.#settings;
    const names = managedNames(s);
    let current: Map<string, DnsRecord[]>;
    const gen = this.#generation;
    const listStart = this.#monotonicMs();
    try {
      current = await this.#provider.list(names);
    } catch (e) {
      const error = toProviderError(e, "list");
      countError(report, error);
      return error;
    }
    // Listed by a provider a reload has replaced since: plan from the new one.
    if (gen !== this.#generation) return "stale";
    this.#rejected = null;
    this.#verified = true;
    this.#blindLimits = 0;
    this.#doubtEarlierRun(current);
    const listedAt = this.#clock.now();
    const saved = this.#store.snapshots();
    const snapshots = new Map([
      ...this.#seen.update(names, s.ips, current),
      ...saved,
    ]);
    this.#doubtful = this.#doubtful.filter((w) =>
      listStart - w.seenAtMs <= DNS_CALL_BOUND_MS
    );
    const inDoubt = doubtfulKeys(this.#doubtful, listStart, DNS_CALL_BOUND_MS);
    const plan = planner ? planner(current, snapshots, inDoubt) : planChanges({
      names,
      ips: s.ips,
      intents,
      down,
      current,
      snapshots,
      guards: s,
      defaults: s,
      inDoubt,
    });
    if (plan.inDoubt.length > 0) {
      const last = Math.max(...this.#doubtful.map((w) => w.seenAtMs));
      const waitMs = last + DNS_CALL_BOUND_MS + 1 - this.#monotonicMs();
      report.recheckAtMs = this.#clock.now() + waitMs;
      this.#log.info(
        "A DNS delete got no answer and may still land; other deletes on its names wait",
        {
          in_doubt: this.#doubtful.map((w) => `${w.name} ${w.content}`).join(
            ",",
          ),
          held: [...new Set(plan.inDoubt)].join(","),
          wait_ms: Math.max(0, Math.round(waitMs)),
        },
      );
    }
    report.notes = plan.notes;
    report.planned = plan.changes.length;
    this.#out.notes(plan.notes);
    await this.#dropSnapshots(plan.staleSnapshots.filter((k) => saved.has(k)));
    let unsaved = 0;
    const ready = await snapshotDeletes(this.#store, plan.changes, (c, e) => {
      unsaved++;
      report.writes.failed++;
      const { name, content } = c.record;
      const msg = "Cannot save the record snapshot; not removing the record";
      this.#log.error(msg, { name, content, error: e });
    });
    if (ready.length === 0) return unsaved > 0 ? "unsaved" : undefined;
    if (this.#clock.now() - listedAt > this.#opt.maxPlanAgeMs) {
      this.#log.warn("DNS plan went stale before it was sent; re-reading", {
        age_ms: this.#clock.now() - listedAt,
      });
      return "stale";
    }
    // The snapshots took time: a reload may have brought another provider.
    if (gen !== this.#generation) return "stale";
    const groups = perName ? groupByName(ready) : [ready];
    // Between the requests of one apply (creates, then deletes; chunks):
    // still the writer, and the listing still fresh enough to act on.
    const mayContinue = () =>
      gen === this.#generation && (!mayWrite || mayWrite()) &&
      this.#clock.now() - listedAt <= this.#opt.maxPlanAgeMs;
    const error = await this.#applyAll(groups, report, mayWrite, mayContinue);
    if (!error && unsaved === 0 && plan.followUp) {
      // A backup is withdrawn once the primary just restored is listed;
      // a second apart, so a listing that lags cannot make a busy loop.
      report.recheckAtMs = Math.min(
        report.recheckAtMs ?? Infinity,
        this.#clock.now() + FOLLOW_UP_MS,
      );
    }
    return error ?? (unsaved > 0 ? "unsaved" : undefined);
  }

  /**
   * Applies groups in order; stops early on auth or rate limit errors, and
   * before any group once `mayWrite()` says no.
   */
  async #applyAll(
    groups: readonly Change[][],
    report: ReconcileReport,
    mayWrite: (() => boolean) | undefined,
    mayContinue: () => boolean,
  ): Promise<DnsProviderError | "lost_role" | "stale" | undefined> {
    let worst: DnsProviderError | undefined;
    let first = true;
    for (const group of groups) {
      if (mayWrite && !mayWrite()) {
        this.#log.info(
          "No longer the cluster's writer; the rest of this pass is not sent",
          { changes: group.length },
        );
        return "lost_role";
      }
      // A provider sends an apply's first request unasked: for every group
      // after the first, the listing must still be fresh enough.
      if (!first && !mayContinue()) {
        this.#log.warn("DNS plan went stale before it was sent; re-reading", {
          changes: group.length,
        });
        return "stale";
      }
      first = false;
      const result = await this.#provider.apply(group, { mayContinue });
      // When the failures came back: every request of this apply (a batch,
      // its fallback one call per change, later chunks) went out before.
      const seenAtMs = this.#monotonicMs();
      report.requests += result.requests;
      const seen = new Set<DnsProviderError>();
      for (const outcome of result.outcomes) {
        // A 5xx, a timeout or a lost reply: the delete may still commit.
        if (
          outcome.result === "failed" && outcome.error.kind === "server" &&
          outcome.change.kind === "delete"
        ) {
          this.#doubtful.push({
            ...doubtParts(outcome.change.record),
            seenAtMs,
          });
        }
        await this.#record(outcome, report);
        if (outcome.result !== "failed" || seen.has(outcome.error)) continue;
        seen.add(outcome.error);
        countError(report, outcome.error);
        worst = worse(worst, outcome.error);
      }
      if (
        worst?.kind === "auth" || worst?.kind === "config" ||
        worst?.kind === "rate_limited"
      ) break;
    }
    return worst;
  }

  /**
   * Rule D across a restart: a delete an earlier run sent (its snapshot
   * was saved first) whose record the first listing still shows may have
   * got no answer before that run ended. It is in doubt as if its failure
   * came back at this start: the earlier run's call was sent before, so
   * its failure would have come back by one bound later at most.
   */
  #doubtEarlierRun(current: ReadonlyMap<string, readonly DnsRecord[]>): void {
    const keys = this.#startDoubts;
    if (keys === null) return;
    this.#startDoubts = null;
    if (keys.size === 0) return;
    for (const records of current.values()) {
      for (const r of records) {
        if (!keys.has(normalDoubtKey(r))) continue;
        this.#doubtful.push({
          ...doubtParts(r),
          seenAtMs: this.#startMs + DNS_CALL_BOUND_MS,
        });
      }
    }
  }

  #monotonicMs(): number {
    return this.#clock.monotonicMicros() / 1000;
  }

  async #record(
    outcome: ChangeOutcome,
    report: ReconcileReport,
  ): Promise<void> {
    this.#out.outcome(outcome, this.#provider.dryRun === true);
    if (outcome.result === "failed") {
      report.writes.failed++;
      return;
    }
    report.writes[outcome.result]++;
    if (outcome.change.kind === "create") {
      await this.#dropSnapshots([recordKey(outcome.change.record)]);
    }
  }

  /** Drops snapshots; a failure only leaves a stale snapshot, so it is logged. */
  async #dropSnapshots(keys: readonly string[]): Promise<void> {
    try {
      await this.#store.dropSnapshots(keys);
    } catch (e) {
      this.#log.warn("Cannot drop record snapshots", {
        keys: keys.join(","),
        error: e,
      });
    }
  }
}

/** A record's name (lower case, no trailing dot), type and canonical IP. */
function doubtParts(
  r: Pick<DnsRecord, "name" | "type" | "content">,
): Omit<DoubtfulWrite, "seenAtMs"> {
  return {
    name: r.name.toLowerCase().replace(/\.$/, ""),
    type: r.type,
    content: canonicalIp(r.content),
  };
}

/** @returns the {@linkcode doubtKey} a record's delete would be held by */
function normalDoubtKey(r: Pick<DnsRecord, "name" | "type" | "content">) {
  const p = doubtParts(r);
  return doubtKey(p.name, p.type, p.content);
}

/** @returns the managed names of `s`, fully qualified, once each */
function managedNames(s: ReconcilerSettings): string[] {
  return [...new Set(s.names ?? s.hostnames.map((h) => fqdn(h, s.zone)))];
}
