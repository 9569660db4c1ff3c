/**
 * The freeze guard. A process that did not run for longer than
 * `peer_timeout` (SIGSTOP, a paused VM, a suspended host) wakes up with
 * verdicts that describe the world before the freeze, while its peers have
 * already stopped counting it. Acting on them, or sending them as votes,
 * combines a stale view with fresh ones: e.g. a resumed agent whose old
 * verdict says "down" plus one peer that alone sees the IP down now make a
 * quorum nobody has. So after a freeze each IP's own verdict is *unproven*
 * until a full threshold run of observations concluded after the freeze
 * backs it (failure threshold misses for "down", recovery threshold replies
 * for "up"); the agent holds writes for unproven IPs and leaves them out of
 * its heartbeats.
 *
 * Pure bookkeeping: the caller passes monotonic time and verdict counts.
 * @module
 */

/** Detects freezes and tracks which IPs' verdicts are unproven since. */
export class FreezeGuard {
  #lastMicros: number | null = null;
  /** Unproven IPs → observations concluded since the freeze. */
  #unproven = new Map<string, number>();

  /**
   * Notes that the process runs now. Call it often (every tick, before each
   * decision and heartbeat); a gap longer than `boundMs` since the previous
   * call is a freeze.
   * @param nowMicros monotonic time, µs
   * @param boundMs the longest gap that is not a freeze (`peer_timeout`)
   * @returns the gap in ms when it was a freeze, else null
   */
  check(nowMicros: number, boundMs: number): number | null {
    const last = this.#lastMicros;
    this.#lastMicros = nowMicros;
    if (last === null) return null;
    const gapMs = (nowMicros - last) / 1000;
    return gapMs > boundMs ? gapMs : null;
  }

  /**
   * Marks every IP's verdict unproven (after a freeze).
   * @param ips the watched IPs
   */
  distrust(ips: Iterable<string>): void {
    for (const ip of ips) this.#unproven.set(ip, 0);
  }

  /**
   * Counts one observation of `ip`, concluded now.
   * @param ip the IP observed
   * @param consecutive observations in a row agreeing with its verdict,
   *   after this one (`consecutiveOf`)
   * @param needed the threshold of its verdict: failure threshold for
   *   "down", recovery threshold for "up"
   * @returns true when this observation proved the verdict again
   */
  observed(ip: string, consecutive: number, needed: number): boolean {
    const n = this.#unproven.get(ip);
    if (n === undefined) return false;
    if (n + 1 >= needed && consecutive >= needed) {
      this.#unproven.delete(ip);
      return true;
    }
    this.#unproven.set(ip, n + 1);
    return false;
  }

  /** @returns whether `ip`'s verdict is unproven since the last freeze. */
  unproven(ip: string): boolean {
    return this.#unproven.has(ip);
  }

  /** @returns how many IPs are unproven. */
  get size(): number {
    return this.#unproven.size;
  }
}
