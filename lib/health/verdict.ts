/**
 * The local verdict per IP: a pure hysteresis state machine with no timers.
 *
 * `failureThreshold` consecutive misses turn an IP "down";
 * `recoveryThreshold` consecutive replies turn it "up". An IP starts "up"
 * (as the original goavail did) unless a stored verdict says otherwise.
 * Local faults (the probe could not even send) say nothing about the target:
 * they neither count as a miss nor break a streak, and are counted apart so
 * the agent's self-isolation guard can read them.
 * @module
 */

/** A local verdict about one IP. */
export type Verdict = "up" | "down";

/**
 * One probe outcome, structurally equal to the probe module's `Observation`
 * (declared here because sibling modules do not import each other).
 */
export interface HealthObservation {
  /** The target. */
  ip: string;
  /** Whether a reply arrived in time. */
  ok: boolean;
  /** Round-trip time in µs when `ok`. */
  rttMicros: number | null;
  /** Wall-clock ms when the outcome was known. */
  at: number;
  /** Why `ok` is false: a silent timeout or a local send failure. */
  fault?: "timeout" | "local";
  /** Error code or text of the failure, e.g. "EHOSTUNREACH". */
  detail?: string;
}

/** Hysteresis settings; both are integers ≥ 1. */
export interface Thresholds {
  /** Consecutive misses before an up IP turns down. */
  failureThreshold: number;
  /** Consecutive replies before a down IP turns up. */
  recoveryThreshold: number;
}

/** A verdict as stored across restarts. */
export interface StoredVerdict {
  verdict: Verdict;
  /** Wall-clock ms since which the verdict holds. */
  since: number;
}

/** Everything the machine knows about one IP. Plain data; never mutated. */
export interface IpHealth {
  ip: string;
  verdict: Verdict;
  /** Wall-clock ms of the last transition (or of the initial state). */
  since: number;
  /** Current streak of misses (reset by a reply). */
  misses: number;
  /** Current streak of replies (reset by a miss). */
  replies: number;
  /** Whether every miss of the current miss streak was a timeout. */
  allTimeouts: boolean;
  /** Current streak of local faults (reset by any other outcome). */
  localFaultStreak: number;
  /** Local faults seen since this IP was added. */
  localFaultsTotal: number;
  /** Outcome of the last observation, null before the first. */
  last: "reply" | "miss" | "local" | null;
  /** Wall-clock ms of the last observation, null before the first. */
  lastAt: number | null;
  /** RTT of the last reply in µs, null before the first reply. */
  lastRttMicros: number | null;
  /** Detail of the last miss or local fault. */
  lastDetail: string | null;
}

/** A change of verdict, with when and why. */
export interface Transition {
  ip: string;
  from: Verdict;
  to: Verdict;
  /** Wall-clock ms of the observation that caused it. */
  at: number;
  /** Human-readable cause, e.g. "3 consecutive timeouts". */
  reason: string;
}

/** The result of feeding one observation to {@linkcode step}. */
export interface StepResult {
  state: IpHealth;
  transition: Transition | null;
}

/**
 * Builds the initial state of an IP.
 * @param ip the target
 * @param at wall-clock ms used as `since` when nothing is stored
 * @param stored a verdict kept from a previous run
 * @returns "up" since `at`, or the stored verdict and time
 */
export function initialHealth(
  ip: string,
  at: number,
  stored?: StoredVerdict,
): IpHealth {
  return {
    ip,
    verdict: stored?.verdict ?? "up",
    since: stored?.since ?? at,
    misses: 0,
    replies: 0,
    allTimeouts: true,
    localFaultStreak: 0,
    localFaultsTotal: 0,
    last: null,
    lastAt: null,
    lastRttMicros: null,
    lastDetail: null,
  };
}

/**
 * Feeds one observation to the machine. Pure: returns a new state.
 * @param state the IP's current state (its `ip` must equal `obs.ip`)
 * @param obs the probe outcome
 * @param t the thresholds in force
 * @returns the new state and the transition it caused, if any
 */
export function step(
  state: IpHealth,
  obs: HealthObservation,
  t: Thresholds,
): StepResult {
  if (obs.ok) return onReply(state, obs, t);
  if (obs.fault === "local") {
    return {
      state: {
        ...state,
        localFaultStreak: state.localFaultStreak + 1,
        localFaultsTotal: state.localFaultsTotal + 1,
        last: "local",
        lastAt: obs.at,
        lastDetail: obs.detail ?? "local fault",
      },
      transition: null,
    };
  }
  return onMiss(state, obs, t);
}

function onReply(
  state: IpHealth,
  obs: HealthObservation,
  t: Thresholds,
): StepResult {
  const replies = state.replies + 1;
  const next: IpHealth = {
    ...state,
    misses: 0,
    replies,
    allTimeouts: true,
    localFaultStreak: 0,
    last: "reply",
    lastAt: obs.at,
    lastRttMicros: obs.rttMicros,
  };
  if (state.verdict === "down" && replies >= t.recoveryThreshold) {
    const reason = `${replies} consecutive ${plural(replies, "reply")}`;
    return flip(next, "up", obs.at, reason);
  }
  return { state: next, transition: null };
}

function onMiss(
  state: IpHealth,
  obs: HealthObservation,
  t: Thresholds,
): StepResult {
  const misses = state.misses + 1;
  const allTimeouts = (misses === 1 || state.allTimeouts) &&
    obs.fault === "timeout";
  const detail = obs.detail ?? (obs.fault === "timeout" ? "timeout" : "failed");
  const next: IpHealth = {
    ...state,
    misses,
    replies: 0,
    allTimeouts,
    localFaultStreak: 0,
    last: "miss",
    lastAt: obs.at,
    lastDetail: detail,
  };
  if (state.verdict === "up" && misses >= t.failureThreshold) {
    const reason = allTimeouts
      ? `${misses} consecutive ${plural(misses, "timeout")}`
      : `${misses} consecutive ${plural(misses, "failure")} (last: ${detail})`;
    return flip(next, "down", obs.at, reason);
  }
  return { state: next, transition: null };
}

function flip(
  state: IpHealth,
  to: Verdict,
  at: number,
  reason: string,
): StepResult {
  return {
    state: { ...state, verdict: to, since: at },
    transition: { ip: state.ip, from: state.verdict, to, at, reason },
  };
}

function plural(n: number, word: string): string {
  if (n === 1) return word;
  return word.endsWith("y") ? word.slice(0, -1) + "ies" : word + "s";
}

/**
 * How many observations in a row agree with the current verdict: the reply
 * streak when up, the miss streak when down. This is the `consecutive`
 * field peers receive.
 * @param state an IP's state
 * @returns the streak length
 */
export function consecutiveOf(state: IpHealth): number {
  return state.verdict === "up" ? state.replies : state.misses;
}

/**
 * Checks thresholds.
 * @param t candidate thresholds
 * @returns an error message, or null when both are integers ≥ 1
 */
export function checkThresholds(t: Thresholds): string | null {
  const pairs: [string, unknown][] = [
    ["failure_threshold", t.failureThreshold],
    ["recovery_threshold", t.recoveryThreshold],
  ];
  for (const [name, v] of pairs) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      return `"${name}" must be an integer ≥ 1, got ${JSON.stringify(v)}`;
    }
  }
  return null;
}
