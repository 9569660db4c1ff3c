/**
 * Heartbeats and self-isolation: an agent whose facts turned isolated since
 * its last write decision must already send `isolated` (its votes must not
 * count) and must not stand for writer.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { heartbeatState } from "../../lib/agent/heartbeat_state.ts";
import type { IntentDecision } from "../../lib/write/types.ts";

const FREE = { isolated: false, reason: null };
const CUT = { isolated: true, reason: "all 3 targets fail at once" };
const standing = { writable: true, acked: true } as IntentDecision;
const view = {
  "192.0.2.10": { verdict: "down" as const, since: 1, consecutive: 3 },
  "192.0.2.11": { verdict: "up" as const, since: 1, consecutive: 3 },
};

const cases = [
  {
    name: "free, free",
    noted: FREE,
    current: FREE,
    isolated: false,
    stands: true,
  },
  {
    name: "noted free, now cut off",
    noted: FREE,
    current: CUT,
    isolated: true,
    stands: false,
  },
  {
    name: "noted cut off, now free",
    noted: CUT,
    current: FREE,
    isolated: true,
    stands: false,
  },
  {
    name: "cut off, cut off",
    noted: CUT,
    current: CUT,
    isolated: true,
    stands: false,
  },
];

for (const c of cases) {
  Deno.test(`heartbeat isolation: ${c.name}`, () => {
    const s = heartbeatState({
      view,
      unsettled: new Set(),
      noted: c.noted,
      current: c.current,
      decided: standing,
      snapshots: [],
    });
    assertEquals(
      { isolated: s.isolated, writable: s.writable, acked: s.acked },
      { isolated: c.isolated, writable: c.stands, acked: c.stands },
    );
  });
}

Deno.test("heartbeat: unsettled verdicts are left out", () => {
  const s = heartbeatState({
    view,
    unsettled: new Set(["192.0.2.10"]),
    noted: FREE,
    current: FREE,
    decided: null,
    snapshots: [],
  });
  assertEquals(Object.keys(s.view), ["192.0.2.11"]);
  assertEquals({ writable: s.writable, acked: s.acked }, {
    writable: false,
    acked: false,
  });
});
