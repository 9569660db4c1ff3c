/**
 * The adaptive probe timeout of one target: TCP's retransmission timer
 * (RFC 6298, "Computing TCP's Retransmission Timer") applied to echo probes.
 *
 * - §2.2, first sample R: SRTT = R, RTTVAR = R/2.
 * - §2.3, later samples R': RTTVAR = (1 − β)·RTTVAR + β·|SRTT − R'|, then
 *   SRTT = (1 − α)·SRTT + α·R', with α = 1/8 and β = 1/4.
 * - RTO = SRTT + max(G, K·RTTVAR), K = 4; G is the clock granularity, here
 *   the send loop's quantum (deadlines are not checked more finely).
 * - §5.5, a timeout doubles the RTO ("back off the timer"), up to the upper
 *   bound (§2.5).
 * - §5 (after 5.7): after backing off several times SRTT and RTTVAR are
 *   likely bogus and may be cleared, the next sample starting over as in §2.2.
 *   Here: a reply after {@linkcode RTO_STALE_AFTER_MISSES} misses in a row.
 *
 * Where it differs from TCP, and why:
 * - Bounds are [50 ms, interval], not TCP's 1 s floor (§2.4): that floor
 *   protects a connection from spurious retransmissions; here a spurious miss
 *   costs one count of a `failure_threshold` streak, each miss of the streak
 *   doubles the next timeout, and a late reply (a path that slowed down, not
 *   a dead one) is a sample that puts the next timeout past that RTT (RFC
 *   6298's gain: SRTT moves by 1/8 of the error, 4·RTTVAR by at least all of
 *   it). So a false down needs the RTT to outgrow the timeout on every probe
 *   of the streak, the timeout doubling or learning each time. A probe never
 *   waits past the next probe of its target (the interval), and with
 *   `retry_interval` the confirming probes wait at most that, as before.
 * - Until {@linkcode RTO_WARMUP_SAMPLES} replies, the fixed timeout
 *   (min(interval, 1 s)) applies: one or two samples say little of the
 *   variance (TCP starts at 1 s too, §2.1).
 * - Karn's algorithm (§3) keeps samples from retransmitted segments out of
 *   the estimate because their ACK is ambiguous. Every probe carries its own
 *   number, so no reply is ambiguous: every reply is a sample, a late one
 *   included (it says the RTO was too short). What this keeps of Karn is the
 *   other half: the backed-off RTO holds until a reply arrives, and a reply
 *   ends the backoff.
 *
 * Pure: no clock, no I/O; the caller feeds replies and misses.
 * @module
 */

/** Smallest adaptive timeout (µs): 50 ms. */
export const RTO_MIN_MICROS = 50_000;

/** Replies needed before the estimate replaces the fixed timeout. */
export const RTO_WARMUP_SAMPLES = 3;

/** Misses in a row after which the estimate is discarded on the next reply. */
export const RTO_STALE_AFTER_MISSES = 3;

/** RFC 6298's G (µs): the send loop checks deadlines every ~5 ms. */
export const RTO_GRANULARITY_MICROS = 5_000;

/** Limits an estimator's timeout is computed within, all in µs. */
export interface RtoBounds {
  /** Lower clamp (≥ 1). */
  minMicros: number;
  /** Upper clamp: the probe interval. */
  maxMicros: number;
  /** Timeout used until the estimate is warm: min(interval, 1 s). */
  fixedMicros: number;
}

/** Largest backoff exponent kept (2^20 × 50 ms is far past any interval). */
const MAX_BACKOFF = 20;

/**
 * One target's RFC 6298 estimator. Mutable and allocation-free after
 * construction (the pinger keeps one per target on its hot path).
 */
export class RtoEstimator {
  /** Smoothed RTT (µs); meaningful once `samples > 0`. */
  srttMicros = 0;
  /** RTT variation (µs); meaningful once `samples > 0`. */
  rttvarMicros = 0;
  /** Samples taken since the estimate (re)started. */
  samples = 0;
  /** Misses since the last reply. */
  misses = 0;

  /**
   * Takes a reply's RTT (in time or late) and ends any backoff.
   * @param rttMicros the measured round trip (µs, ≥ 0)
   */
  sample(rttMicros: number): void {
    const r = Math.max(0, rttMicros);
    if (this.samples === 0 || this.misses >= RTO_STALE_AFTER_MISSES) {
      this.srttMicros = r;
      this.rttvarMicros = r / 2;
      this.samples = 1;
    } else {
      this.rttvarMicros = 0.75 * this.rttvarMicros +
        0.25 * Math.abs(this.srttMicros - r);
      this.srttMicros = 0.875 * this.srttMicros + 0.125 * r;
      this.samples++;
    }
    this.misses = 0;
  }

  /** Records a probe that got no reply in time: the next timeout doubles. */
  miss(): void {
    this.misses++;
  }

  /** Whether enough replies came for the estimate to apply. */
  get warm(): boolean {
    return this.samples >= RTO_WARMUP_SAMPLES;
  }

  /**
   * @param bounds the clamp and the fixed timeout
   * @returns how long the next probe waits (µs): the fixed timeout while
   *   cold, else SRTT + max(G, 4·RTTVAR) clamped to `bounds`, doubled per
   *   miss since the last reply and clamped again
   */
  timeoutMicros(bounds: RtoBounds): number {
    if (!this.warm) return bounds.fixedMicros;
    const rto = this.srttMicros +
      Math.max(RTO_GRANULARITY_MICROS, 4 * this.rttvarMicros);
    const base = Math.round(clamp(rto, bounds.minMicros, bounds.maxMicros));
    const backedOff = base * 2 ** Math.min(this.misses, MAX_BACKOFF);
    return Math.min(backedOff, bounds.maxMicros);
  }
}

/**
 * @param intervalMs the probe interval
 * @param fixedMs the fixed timeout while cold (min(interval, 1 s))
 * @returns the bounds of an adaptive timeout at this cadence; when the
 *   interval is below 50 ms the clamp is the interval alone
 */
export function rtoBounds(intervalMs: number, fixedMs: number): RtoBounds {
  const maxMicros = Math.max(1, intervalMs * 1000);
  return {
    minMicros: Math.min(RTO_MIN_MICROS, maxMicros),
    maxMicros,
    fixedMicros: Math.min(fixedMs * 1000, maxMicros),
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
