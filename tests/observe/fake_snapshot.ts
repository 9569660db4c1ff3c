/**
 * A realistic {@linkcode StatusSnapshot} for status tests: one IP up, one
 * down and removed, one hostile string in every free-text field.
 * @module
 */

import type { StatusSnapshot } from "../../lib/observe/status.ts";

/** A string that breaks out of HTML if it is not escaped. */
export const HOSTILE =
  `<script>alert("x")</script><img src=x onerror=alert(1)>'&`;

/** Fixed "now" for the snapshot, ms since the epoch. */
export const NOW_MS = Date.parse("2026-01-01T12:00:00.000Z");

/**
 * @param overrides top-level fields to replace
 * @returns a fresh snapshot
 */
export function fakeSnapshot(
  overrides: Partial<StatusSnapshot> = {},
): StatusSnapshot {
  return {
    version: "0.1.0",
    node: "198.51.100.10:7947",
    dryRun: true,
    startedAt: "2026-01-01T11:00:00.000Z",
    config: {
      interval: 1,
      failureThreshold: 3,
      recoveryThreshold: 3,
      hostnames: ["www", HOSTILE],
      path: "/etc/goavail/goavail.toml",
    },
    targets: [
      {
        pool: "default",
        ip: "192.0.2.1",
        verdict: "up",
        since: "2026-01-01T11:00:00.000Z",
        lastRttMicros: 12_345,
        probeTimeoutMicros: 50_000,
        lossLastMinute: 0,
        inDns: true,
        lastChange: null,
        clusterDown: false,
        votesDown: 0,
        votesUp: 2,
        hold: "in_sync",
        backup: false,
        drained: null,
      },
      {
        pool: "default",
        ip: "2001:db8::2",
        verdict: "down",
        since: "2026-01-01T11:59:30.000Z",
        lastRttMicros: null,
        probeTimeoutMicros: 1_000_000,
        lossLastMinute: 0.5,
        inDns: false,
        lastChange: { at: "2026-01-01T11:59:30.000Z", reason: HOSTILE },
        clusterDown: true,
        votesDown: 2,
        votesUp: 0,
        hold: null,
        backup: false,
        drained: null,
      },
    ],
    peers: [
      {
        addr: "198.51.100.11:7947",
        live: true,
        lastSeen: "2026-01-01T11:59:59.000Z",
      },
      { addr: HOSTILE, live: false, lastSeen: null },
    ],
    dns: {
      provider: "dry-run",
      lastActions: [{
        at: "2026-01-01T11:59:31.000Z",
        action: "delete",
        hostname: "www.example.com",
        type: "AAAA",
        ip: "2001:db8::2",
        result: "dry-run",
      }],
      writesPaused: null,
    },
    guards: { isolated: false, reason: null },
    writer: { node: "198.51.100.10:7947", active: true, reason: null },
    ...overrides,
  };
}
