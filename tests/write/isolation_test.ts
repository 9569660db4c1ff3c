import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  checkIsolation,
  type IsolationInput,
} from "../../lib/write/isolation.ts";

const HEALTHY: IsolationInput = {
  targets: 3,
  down: 0,
  lastMissed: 0,
  lastLocalFault: 0,
  localFaultDetail: null,
  lostAllPeers: false,
};

const CASES: [string, Partial<IsolationInput>, boolean, string | null][] = [
  ["healthy", {}, false, null],
  ["one target down", { down: 1, lastMissed: 1 }, false, null],
  ["all but one down", { down: 2, lastMissed: 2 }, false, null],
  ["every target down", { down: 3 }, true, "all 3 targets fail at once"],
  [
    "every last probe missed",
    { lastMissed: 3 },
    true,
    "all 3 targets fail at once",
  ],
  [
    "single target down is not isolation",
    { targets: 1, down: 1, lastMissed: 1 },
    false,
    null,
  ],
  [
    "a local send error",
    { lastLocalFault: 1, localFaultDetail: "EHOSTUNREACH" },
    true,
    "EHOSTUNREACH",
  ],
  ["lost every peer", { lostAllPeers: true }, true, "no peer is reachable"],
];

for (const [name, patch, isolated, words] of CASES) {
  Deno.test(`checkIsolation() ${name}`, () => {
    const r = checkIsolation({ ...HEALTHY, ...patch });
    assertEquals(r.isolated, isolated);
    if (words === null) assertEquals(r.reason, null);
    else assertEquals(r.reason?.includes(words), true, r.reason ?? "no reason");
  });
}
