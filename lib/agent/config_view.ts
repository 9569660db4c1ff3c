/**
 * Small views of the config and the state store that several agent modules
 * read the same way.
 * @module
 */
import type { Config } from "../config/types.ts";
import type { StoredVerdict, Thresholds } from "../health/verdict.ts";
import type { ProbeTiming } from "../probe/types.ts";
import type { StateStore } from "./state_store.ts";

/** @returns the stored up/down verdicts (unknown ones dropped). */
export function storedVerdicts(store: StateStore): Map<string, StoredVerdict> {
  const out = new Map<string, StoredVerdict>();
  for (const [ip, v] of store.verdicts()) {
    if (v.verdict !== "unknown") {
      out.set(ip, { verdict: v.verdict, since: v.since });
    }
  }
  return out;
}

/** @returns whether `config` runs in cluster mode. */
export function isCluster(config: Config): boolean {
  return config.members.localAddr !== null && config.members.peers.length > 0;
}

/** @returns the verdict thresholds of `config`. */
export function thresholdsOf(config: Config): Thresholds {
  return {
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
  };
}

/** @returns the probe cadence of `config`. */
export function timingOf(config: Config): ProbeTiming {
  return {
    intervalMs: config.interval * 1000,
    timeoutMs: config.probeTimeout * 1000,
    adaptive: config.probeTimeoutAdaptive,
    retryMs: config.retryInterval === null ? null : config.retryInterval * 1000,
  };
}
