/**
 * The DNS loop: one pass at a time, run when the wanted state changes
 * (a verdict or a peer's view moved), every `reconcile_interval` for drift
 * repair, and when a rate limit or grace period ends. A pass is skipped when
 * nothing it would act on changed since the last good pass, so the steady
 * state costs one read per `reconcile_interval` and nothing else. Periodic
 * passes may wait longer for the API budget ({@linkcode ApiBudget}); a pass
 * for a changed wish never does. An agent that does not write runs its
 * periodic pass as "abstained": no read (see DnsReconciler).
 * @module
 */
import type {
  DnsReconciler,
  Planner,
  ReconcileReport,
} from "../dns/reconciler.ts";
import type { Intent } from "../write/types.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import type { ApiBudget, BudgetHold } from "./api_budget.ts";

/** What the agent wants from DNS right now. */
export interface DnsWish {
  /** Per-IP intent after the cluster rule. */
  intents: Map<string, Intent>;
  /** IPs this agent sees down (for the never-empty guard). */
  down: Set<string>;
  /** This agent may not write now (not the writer, isolated, …). */
  abstain: boolean;
  /**
   * Drained IPs the cluster sees up (they keep a name whose other IPs are
   * dead, lib/write/guards.ts): a change starts a pass. @default none
   */
  drainedUp?: Set<string>;
  /** The write decision for a listing; see {@linkcode Planner}. */
  planner?: Planner;
  /** Earliest wall ms at which a held change may become actionable. */
  wakeAtMs: number | null;
  /** Asked before every write call: is this agent still the writer? */
  mayWrite?: () => boolean;
}

/** Options of {@linkcode DnsDriver}. */
export interface DnsDriverOptions {
  clock: Clock;
  logger: Logger;
  /** Milliseconds between drift-repair passes. */
  intervalMs: number;
  /** @returns the current wish; called before every pass. */
  wish: () => DnsWish;
  /** Receives every pass's report. */
  onReport?: (report: ReconcileReport) => void;
  /**
   * Spaces drift-repair passes to keep this agent within its API share;
   * passes for a changed wish never wait for it.
   */
  budget?: ApiBudget;
  /**
   * A periodic drift read that did not happen: "not_writer" (a cluster
   * agent that does not write reads only before it writes) or the budget
   * rule that holds it.
   */
  onDriftSkipped?: (reason: "not_writer" | BudgetHold) => void;
}

const RETRY_AFTER_FAILURE_MS = 5000;

/** Runs reconcile passes, serially, when they are due. */
export class DnsDriver {
  #reconciler: DnsReconciler;
  #opt: DnsDriverOptions;
  #wake = new AbortController();
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #lastSignature: string | null = null;
  #lastPassAt = -Infinity;
  #retryAt = Infinity;
  /** When deletes held for a delete in doubt may go (a pass is due). */
  #recheckAt = Infinity;
  /** Calls the last pass sent. */
  #lastCost = 0;
  /** A drift pass held by the budget waits until then. */
  #budgetUntil = -Infinity;
  /** The budget rule that holds drift repair now, or null. */
  #budgetHold: BudgetHold | null = null;
  /** Clock ms the loop sleeps until, while it sleeps; null while it works. */
  #sleepUntil: number | null = null;
  #idleWaiters: (() => void)[] = [];

  /**
   * @param reconciler the DNS executor
   * @param options clock, logger, interval, wish and report callbacks
   */
  constructor(reconciler: DnsReconciler, options: DnsDriverOptions) {
    this.#reconciler = reconciler;
    this.#opt = { ...options };
  }

  /** Starts the loop; the first pass runs at once. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Asks for a pass as soon as the current one (if any) ends. */
  kick(): void {
    this.#wake.abort();
  }

  /**
   * Forces the next pass even if nothing changed, without waiting out a
   * failed pass's retry time (e.g. after a reload brought new credentials;
   * a rate limit still holds inside the reconciler).
   */
  invalidate(): void {
    this.#lastSignature = null;
    this.#retryAt = Infinity;
    this.kick();
  }

  /** Changes the drift-repair interval. */
  setInterval(ms: number): void {
    this.#opt.intervalMs = ms;
    this.kick();
  }

  /**
   * Resolves once the loop has looked at everything asked of it so far and
   * sleeps with nothing due: no kick pending, its wake-up time not reached.
   * Tests wait on it instead of sleeping before they check that nothing
   * was written.
   */
  idle(): Promise<void> {
    const until = this.#sleepUntil;
    if (
      until !== null && !this.#wake.signal.aborted &&
      this.#opt.clock.now() < until
    ) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops after the pass in flight, abandoning its waits. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake.abort();
    await this.#loop;
    this.#loop = null;
  }

  async #run(): Promise<void> {
    const { clock } = this.#opt;
    while (!this.#stop.signal.aborted) {
      this.#wake = new AbortController();
      const wish = this.#opt.wish();
      const signature = signatureOf(wish);
      const now = clock.now();
      // After a failed pass, nothing runs before its retry time, whatever
      // changed meanwhile (the next pass reads everything afresh anyway).
      const changed = signature !== this.#lastSignature;
      const due = this.#retryAt !== Infinity
        ? now >= this.#retryAt
        : changed || now >= this.#recheckAt ||
          this.#driftDue(now, wish.abstain);
      const periodic = this.#retryAt === Infinity && !changed;
      if (due) await this.#pass(wish, signature, periodic && wish.abstain);
      const next = Math.min(
        Math.max(this.#lastPassAt + this.#opt.intervalMs, this.#budgetUntil),
        this.#retryAt,
        this.#recheckAt,
        wish.wakeAtMs !== null && wish.wakeAtMs > clock.now()
          ? wish.wakeAtMs
          : Infinity,
      );
      const waitMs = Math.max(0, next - clock.now());
      if (this.#stop.signal.aborted) break;
      if (!this.#wake.signal.aborted && waitMs > 0) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
      }
      this.#sleepUntil = clock.now() + waitMs;
      await clock.sleep(waitMs, this.#wake.signal);
      this.#sleepUntil = null;
    }
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /**
   * Whether a periodic pass is due: the interval has passed and, for an
   * agent that may write, the budget allows it. One that does not write
   * makes no read in it (see DnsReconciler), so the budget does not hold it.
   */
  #driftDue(now: number, abstain: boolean): boolean {
    if (now - this.#lastPassAt < this.#opt.intervalMs) return false;
    const budget = this.#opt.budget;
    if (!budget || abstain) return true;
    const delay = budget.driftDelay(now, this.#lastPassAt, this.#lastCost);
    if (!delay) {
      if (this.#budgetHold) {
        this.#opt.logger.info("API budget allows drift repair again");
      }
      this.#budgetHold = null;
      return true;
    }
    if (this.#budgetHold !== delay.reason) {
      this.#opt.logger.info("Drift repair waits for the API budget", {
        reason: delay.reason,
        wait_ms: delay.ms,
        allowance_per_5m: budget.allowance,
      });
    }
    this.#budgetHold = delay.reason;
    this.#budgetUntil = now + delay.ms;
    this.#opt.onDriftSkipped?.(delay.reason);
    return false;
  }

  /** The budget rule holding drift repair now, or null. */
  get budgetHold(): BudgetHold | null {
    return this.#budgetHold;
  }

  /**
   * @param idleRead a periodic pass of an agent that does not write: when it
   *   sends nothing (no credential recheck was due), its drift read is
   *   reported as skipped
   */
  async #pass(
    wish: DnsWish,
    signature: string,
    idleRead: boolean,
  ): Promise<void> {
    const { clock } = this.#opt;
    const before = this.#opt.budget?.total ?? 0;
    let report: ReconcileReport;
    try {
      report = await this.#reconciler.reconcile(wish.intents, wish.down, {
        abstain: wish.abstain,
        planner: wish.planner,
        mayWrite: wish.mayWrite,
        signal: this.#stop.signal,
        // A retry after a rate-limit wait or a backoff acts on the views of
        // that moment, not on the ones this pass started with.
        refresh: () => {
          const w = this.#opt.wish();
          return {
            intents: w.intents,
            down: w.down,
            abstain: w.abstain,
            planner: w.planner,
          };
        },
      });
    } catch (e) {
      this.#opt.logger.error("DNS pass failed unexpectedly", { error: e });
      this.#retryAt = clock.now() + RETRY_AFTER_FAILURE_MS;
      return;
    }
    this.#lastPassAt = clock.now();
    this.#recheckAt = report.recheckAtMs ?? Infinity;
    this.#lastCost = (this.#opt.budget?.total ?? 0) - before;
    if (report.status === "ok" || report.status === "abstained") {
      this.#lastSignature = signature;
      this.#retryAt = Infinity;
    } else if (report.status !== "aborted") {
      this.#lastSignature = null;
      this.#retryAt = report.retryAtMs ?? clock.now() + RETRY_AFTER_FAILURE_MS;
    }
    if (idleRead && report.status === "abstained" && report.requests === 0) {
      this.#opt.onDriftSkipped?.("not_writer");
    }
    this.#opt.onReport?.(report);
  }
}

function signatureOf(wish: DnsWish): string {
  const parts = [...wish.intents].sort(([a], [b]) => (a < b ? -1 : 1)).map((
    [ip, i],
  ) => `${ip}=${i}`);
  return `${wish.abstain}|${[...wish.down].sort().join(",")}|${
    parts.join(",")
  }|${[...wish.drainedUp ?? []].sort().join(",")}`;
}
