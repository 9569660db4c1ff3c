/**
 * Edges of the write unit's building blocks that the main tables do not pin:
 * tally of isolated agents, writer candidates, id order, the freeze guard's
 * first call, guard notes and IP order, isolation at two targets, and plan
 * defaults.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FreezeGuard } from "../../lib/write/freeze.ts";
import { applyGuards, sortIps } from "../../lib/write/guards.ts";
import {
  checkIsolation,
  type IsolationInput,
} from "../../lib/write/isolation.ts";
import { planChanges } from "../../lib/write/plan.ts";
import { tally } from "../../lib/write/quorum.ts";
import { compareIds, electWriter } from "../../lib/write/writer.ts";
import { A, B, C, NAME, rec, viewOf, vote, X, Y } from "./fixtures.ts";

const Z = "192.0.2.3";

Deno.test("tally() skips an agent that suspects itself even when it has verdicts", () => {
  const votes = [
    vote(A, viewOf({ [X]: "down" }), { isolated: true }),
    vote(B, viewOf({ [X]: "up" }), { isolated: true }),
    vote(C, viewOf({ [X]: "down" })),
  ];
  assertEquals(tally(X, votes), { down: 1, up: 0 });
});

Deno.test("electWriter() lets only a writable self stand", () => {
  const self = vote(A, {}, { writable: false });
  const live = [vote(B, {}, { hears: [A] })];
  assertEquals(electWriter(self, live, [B, C]), { writer: B, acks: 2 });
});

Deno.test("electWriter() ignores its own id and unknown ids relayed by peers", () => {
  const self = vote(B, {}, { writable: false });
  const live = [vote(C, {}, { backs: [B, "192.0.2.250:7947"] })];
  assertEquals(electWriter(self, live, [A, C]).writer, C);
});

Deno.test("compareIds() returns -1, 0 and 1", () => {
  assertEquals(
    [compareIds("a", "b"), compareIds("a", "a"), compareIds("b", "a")],
    [-1, 0, 1],
  );
});

Deno.test("FreezeGuard.check() never calls the first tick a freeze", () => {
  assertEquals(new FreezeGuard().check(9e12, 1000), null);
});

Deno.test("FreezeGuard.observed() leaves a trusted IP trusted", () => {
  const guard = new FreezeGuard();
  assertEquals(guard.observed(X, 5, 3), false);
  assertEquals({ unproven: guard.unproven(X), size: guard.size }, {
    unproven: false,
    size: 0,
  });
});

function group(over: {
  present?: string[];
  wantAbsent: string[];
  down: string[];
}) {
  return {
    name: NAME,
    type: "A" as const,
    ips: [X, Y, Z],
    present: new Set(over.present ?? [X, Y, Z]),
    wantAbsent: new Set(over.wantAbsent),
    down: new Set(over.down),
  };
}

Deno.test("applyGuards() all down notes only the IPs wanted absent, and nothing when none is", () => {
  const settings = { minRecords: 1, maxRemovalsFraction: 0.5 };
  const none = applyGuards(
    group({ wantAbsent: [], down: [X, Y, Z] }),
    settings,
  );
  assertEquals({ absent: [...none.absent], notes: none.notes }, {
    absent: [],
    notes: [],
  });
  const one = applyGuards(
    group({ wantAbsent: [Y], down: [X, Y, Z] }),
    settings,
  );
  assertEquals(one.notes, [{
    name: NAME,
    type: "A",
    guard: "all_down",
    ips: [Y],
  }]);
});

Deno.test("applyGuards() min_records puts the highest removals back first", () => {
  const out = applyGuards(
    group({ wantAbsent: [X, Y, Z], down: [X, Y] }),
    { minRecords: 3, maxRemovalsFraction: 1 },
  );
  assertEquals(out.notes, [
    { name: NAME, type: "A", guard: "min_records", ips: [Z, Y, X] },
  ]);
});

Deno.test("sortIps() sorts longer IPv4 lists whatever their order", () => {
  const sorted = Array.from({ length: 12 }, (_, i) => `192.0.2.${i * 9}`);
  const shuffled = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4, 7].map((i) =>
    sorted[i]!
  );
  assertEquals(sortIps([...sorted].reverse()), sorted);
  assertEquals(sortIps(shuffled), sorted);
});

Deno.test("sortIps() expands IPv6 '::' wherever it sits", () => {
  assertEquals(
    sortIps([
      "2001:db8::1:0",
      "2001:db8::1",
      "::1",
      "2001:db8::",
      "2001:db8::2",
    ]),
    ["::1", "2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::1:0"],
  );
  assertEquals(
    sortIps(["2001:db8:1:2:3:4:5:7", "2001:db8:1:2:3:4:5:6"]),
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:7"],
  );
});

Deno.test("sortIps() compares IPv6 groups in place, whatever the '::' length", () => {
  assertEquals(
    sortIps(["2001:db8::fff:fff:1:10", "2001:db8:0:0:10::"]),
    ["2001:db8:0:0:10::", "2001:db8::fff:fff:1:10"],
  );
  assertEquals(
    sortIps(["2001:db8:a:0:1:10:fff:0", "2001:db8:a::1:fff:fff"]),
    ["2001:db8:a::1:fff:fff", "2001:db8:a:0:1:10:fff:0"],
  );
});

const HEALTHY: IsolationInput = {
  targets: 2,
  down: 0,
  lastMissed: 0,
  lastLocalFault: 0,
  lostAllPeers: false,
};

Deno.test("checkIsolation() isolates when both of two targets fail", () => {
  assertEquals(checkIsolation({ ...HEALTHY, down: 2 }).isolated, true);
});

Deno.test("checkIsolation() words a local fault without a code", () => {
  assertEquals(
    checkIsolation({ ...HEALTHY, lastLocalFault: 1 }).reason,
    "local send errors for 1 target(s): this host's network is suspect",
  );
});

Deno.test("planChanges() treats an IP without an intent as held, not created", () => {
  const plan = planChanges({
    names: [NAME],
    ips: [X, Y],
    intents: new Map([[X, "present"]]),
    down: new Set(),
    current: new Map([[NAME, [rec(X)]]]),
    snapshots: new Map(),
    guards: { minRecords: 1, maxRemovalsFraction: 0.5 },
    defaults: { ttl: 1, proxied: false },
  });
  assertEquals(plan.changes, []);
});
