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
  /** Most trials in all (doubling plus bisection). */
  maxTrials: number;
  /** Bisection stops when hi/lo is at most this (e.g. 1.1 = within 10 %). */
  resolution: number;
}

/** One step of the search, for the printed log. */
export interface SearchStep {
  rate: number;
  /** null = held; else why not. */
  miss: string | null;
}

/** The search's answer. */
export interface Capacity {
  /** Highest rate that held (0 when even `start` failed). */
  held: number;
  /** Lowest rate that failed (null when `max` held or trials ran out first). */
  failed: number | null;
  steps: SearchStep[];
}

/**
 * Finds the highest offered rate that holds: doubles from `start` until a
 * rate fails (or `max`), then bisects between the last held and the first
 * failed rate, within `maxTrials` trials in all.
 * @param trial runs the tool at a rate; resolves to null when it held, else
 *   the reason it did not
 * @param b bounds of the search
 * @returns the highest rate held, the lowest failed and every step
 */
export async function findCapacity(
  trial: (rate: number) => Promise<string | null>,
  b: SearchBounds,
): Promise<Capacity> {
  const steps: SearchStep[] = [];
  const attempt = async (rate: number) => {
    const miss = await trial(rate);
    steps.push({ rate, miss });
    return miss === null;
  };
  let held = 0;
  let failed: number | null = null;
  let rate = b.start;
  while (steps.length < b.maxTrials) {
    if (await attempt(rate)) {
      held = rate;
      if (rate >= b.max) return { held, failed, steps };
      rate = Math.min(b.max, rate * 2);
    } else {
      failed = rate;
      break;
    }
  }
  if (held === 0 || failed === null) return { held, failed, steps };
  while (steps.length < b.maxTrials && failed / held > b.resolution) {
    const mid = Math.round(Math.sqrt(held * failed));
    if (await attempt(mid)) held = mid;
    else failed = mid;
  }
  return { held, failed, steps };
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
 * Differences of two distributions at the same quantiles (a − b), for two
 * tools whose probes cannot be paired one to one.
 * @param a values of the tool under test
 * @param b values of the reference
 * @param qs quantiles in [0, 1]
 * @returns one difference per quantile (NaN when either side is empty)
 */
export function quantileDiffs(
  a: readonly number[],
  b: readonly number[],
  qs: readonly number[],
): number[] {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return qs.map((q) => quantile(sa, q) - quantile(sb, q));
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
