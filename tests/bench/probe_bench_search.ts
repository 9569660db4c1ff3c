/**
 * Pure parts of the probe benchmark: the capacity search (step the offered
 * rate up by doubling, then bisect), whether a run held its schedule,
 * quantiles, and the record of discarded runs. No I/O, no clock.
 * @module
 */

/** What one run at an offered rate showed, as the search needs it. */
export interface RateTrial {
  /** Probes the schedule asked for. */
  scheduled: number;
  /** Probes that got a reply in time. */
  received: number;
  /** Probes lost (timeout, local fault, or never observed). */
  lost: number;
  /** Wall ms from spawn to exit minus the tool's start-up (1-probe run). */
  activeMs: number;
  /** Wall ms the schedule itself takes (rounds × interval). */
  scheduleMs: number;
}

/** Slack allowed over the schedule: a run must finish within 1.25× it. */
export const SCHEDULE_SLACK = 1.25;

/**
 * @param t one run
 * @returns why the run did not hold its offered rate, or null when it held
 *   (0 lost, every scheduled probe answered, within 1.25× the schedule)
 */
export function missReason(t: RateTrial): string | null {
  if (t.lost > 0) return `${t.lost} lost`;
  if (t.received < t.scheduled) {
    return `${t.scheduled - t.received} of ${t.scheduled} not answered`;
  }
  if (t.activeMs > SCHEDULE_SLACK * t.scheduleMs) {
    return `took ${(t.activeMs / t.scheduleMs).toFixed(2)}× the schedule`;
  }
  return null;
}

/** Bounds of the capacity search. */
export interface SearchBounds {
  /** First rate tried (probes/s). */
  start: number;
  /** Highest rate ever tried. */
  max: number;
  /** Most trials in all (ladder, retries and bisection). */
  maxTrials: number;
  /** Stop starting trials once this many ms have passed. */
  budgetMs: number;
  /** Bisection stops when hi/lo is at most this (e.g. 1.1 = within 10 %). */
  resolution: number;
}

/** One trial of the search, for the printed log. */
export interface SearchStep {
  rate: number;
  /** null = held; else why not. */
  miss: string | null;
}

/** The search's answer. */
export interface Capacity {
  /** Highest rate that held (0 when none did). */
  held: number;
  /** Lowest failed rate above `held` (null when none was found). */
  failed: number | null;
  /** Failed rates below `held` (a tool that lags at low rates only). */
  failedBelow: number[];
  /** Every trial, in order. */
  steps: SearchStep[];
  /** Why the search stopped early, if it did (trials or time ran out). */
  cut: string | null;
}

/**
 * Finds the highest offered rate that holds. A rate fails only when two
 * runs in a row miss (one disturbed run on a shared machine is retried).
 * Ladder: `start`, doubling, until two rungs in a row fail or `max`; the
 * rungs go on past a single failure because a tool can lag at a low rate
 * and hold a higher one (fping with `-i` ≥ 1 ms). Then bisects between the
 * highest held rung and the failed rung above it. Bounded by `maxTrials`
 * and `budgetMs`.
 * @param trial runs the tool once at a rate; resolves to null when it
 *   held, else the reason it did not
 * @param b bounds of the search
 * @param now the clock for `budgetMs` (ms)
 * @returns the highest rate held, the failed rate above it, every trial
 */
export async function findCapacity(
  trial: (rate: number) => Promise<string | null>,
  b: SearchBounds,
  now: () => number,
): Promise<Capacity> {
  const t0 = now();
  const steps: SearchStep[] = [];
  let cut: string | null = null;
  const room = () => {
    if (steps.length >= b.maxTrials) cut = `${b.maxTrials} trials used`;
    else if (now() - t0 >= b.budgetMs) cut = `${b.budgetMs} ms used`;
    return cut === null;
  };
  /** true = held, false = failed twice, null = out of trials or time. */
  const holds = async (rate: number): Promise<boolean | null> => {
    for (let run = 0; run < 2; run++) {
      if (!room()) return null;
      const miss = await trial(rate);
      steps.push({ rate, miss });
      if (miss === null) return true;
    }
    return false;
  };
  const failedRungs: number[] = [];
  let held = 0;
  let failed: number | null = null;
  let failsInARow = 0;
  for (let rate = b.start; failsInARow < 2; rate = Math.min(b.max, rate * 2)) {
    const ok = await holds(rate);
    if (ok === null) break;
    if (ok) {
      held = rate;
      failed = null;
      failsInARow = 0;
    } else {
      failedRungs.push(rate);
      failed ??= rate;
      failsInARow++;
    }
    if (rate >= b.max) break;
  }
  while (held > 0 && failed !== null && failed / held > b.resolution) {
    const mid = Math.round(Math.sqrt(held * failed));
    const ok = await holds(mid);
    if (ok === null) break;
    if (ok) held = mid;
    else failed = mid;
  }
  return {
    held,
    failed,
    failedBelow: failedRungs.filter((r) => r < held),
    steps,
    cut,
  };
}

/**
 * @param sorted ascending values
 * @param q quantile in [0, 1]
 * @returns the nearest-rank value at that quantile (NaN when empty)
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/**
 * CPU or wall cost per probe with the start-up (a 1-probe run of the same
 * tool) subtracted.
 * @param total cost of the run
 * @param probes probes the run sent
 * @param startup cost of the 1-probe run
 * @returns (total − startup) / (probes − 1); NaN when fewer than 2 probes
 */
export function perProbe(
  total: number,
  probes: number,
  startup: number,
): number {
  if (probes < 2) return NaN;
  return (total - startup) / (probes - 1);
}

/** Runs thrown away, each with its reason; printed, never silent. */
export class Discards {
  readonly #lines: string[] = [];

  /**
   * Records a discarded run and prints one line for it.
   * @param what which run
   * @param reason why it was thrown away
   * @param print where the line goes
   */
  add(what: string, reason: string, print: (line: string) => void): void {
    const line = `discarded: ${what}: ${reason}`;
    this.#lines.push(line);
    print(line);
  }

  /** @returns how many runs were discarded */
  get count(): number {
    return this.#lines.length;
  }

  /** @returns the printed lines, in order */
  get lines(): readonly string[] {
    return this.#lines;
  }
}
