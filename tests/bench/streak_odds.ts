/**
 * The arithmetic beside the false-down benchmark: how likely independent
 * random loss alone makes a target miss `failure_threshold` probes in a row.
 * @module
 */

/**
 * Exact chance of at least one run of `k` or more losses in `n` independent
 * probes, each lost with probability `p` (a Markov chain over the current
 * run length, the run of `k` absorbing).
 * @param n probes (≥ 0)
 * @param p loss probability of each probe, in [0, 1]
 * @param k run length that counts (≥ 1)
 * @returns the probability, in [0, 1]
 */
export function runOddsAtLeast(n: number, p: number, k: number): number {
  // state[s] = chance the current run is s long and no run of k happened.
  let state = new Array<number>(k).fill(0);
  state[0] = 1;
  let reached = 0;
  for (let i = 0; i < n; i++) {
    const next = new Array<number>(k).fill(0);
    for (let s = 0; s < k; s++) {
      const here = state[s]!;
      next[0]! += here * (1 - p);
      if (s + 1 === k) reached += here * p;
      else next[s + 1]! += here * p;
    }
    state = next;
  }
  return reached;
}

/**
 * @param perTarget chance for one target
 * @param targets independent targets
 * @returns chance that at least one of them does it
 */
export function anyOf(perTarget: number, targets: number): number {
  return 1 - (1 - perTarget) ** targets;
}
