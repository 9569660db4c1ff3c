/**
 * The write decision, rule by rule (lib/write/decide.ts): each row sets the
 * facts one rule looks at and checks the hold reason and the changes.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decideWrites } from "../../lib/write/decide.ts";
import type { WriteInput } from "../../lib/write/types.ts";
import {
  A,
  B,
  C,
  clusterInput,
  IPS,
  listing,
  NAME,
  rec,
  seeing,
  V6,
  viewOf,
  vote,
  X,
  Y,
} from "./fixtures.ts";

/** A fully connected three-agent cluster where this agent (A) writes. */
function connected(views: { a: string[]; b: string[]; c: string[] }) {
  return clusterInput({
    view: seeing(views.a),
    live: [
      vote(B, seeing(views.b), { hears: [A, C] }),
      vote(C, seeing(views.c), { hears: [A, B] }),
    ],
  });
}

function summary(input: WriteInput, ips = IPS) {
  const d = decideWrites(input, listing(ips), new Map());
  return {
    changes: d.plan.changes.map((c) => `${c.kind} ${c.record.content}`),
    holds: Object.fromEntries(d.plan.holds),
  };
}

Deno.test("decideWrites() removes an IP a quorum sees down, the writer acting", () => {
  assertEquals(summary(connected({ a: [X], b: [X], c: [] })), {
    changes: [`delete ${X}`],
    holds: { [Y]: "in_sync", [V6]: "in_sync" },
  });
});

Deno.test("decideWrites() acts on the quorum even when the writer's own verdict differs", () => {
  assertEquals(summary(connected({ a: [], b: [X], c: [X] })).changes, [
    `delete ${X}`,
  ]);
});

Deno.test("decideWrites() holds every IP for each gate, in rule order", async (t) => {
  const base = connected({ a: [X], b: [X], c: [X] });
  const cases: [string, WriteInput, string][] = [
    [
      "no cluster link",
      { ...base, cluster: { ...base.cluster!, linked: false } },
      "no_cluster",
    ],
    [
      "local send errors",
      {
        ...base,
        self: {
          ...base.self,
          isolation: { ...base.self.isolation, lastLocalFault: 1 },
        },
      },
      "isolated",
    ],
    [
      "every target fails",
      {
        ...base,
        self: {
          ...base.self,
          isolation: { ...base.self.isolation, down: 3 },
        },
      },
      "isolated",
    ],
    [
      "warm-up",
      { ...base, cluster: { ...base.cluster!, warmingUp: true } },
      "warming_up",
    ],
    [
      "credentials rejected",
      { ...base, self: { ...base.self, dnsBlocked: true } },
      "dns_blocked",
    ],
  ];
  for (const [label, input, reason] of cases) {
    await t.step(label, () => {
      const s = summary(input);
      assertEquals(s.changes, []);
      assertEquals(s.holds, { [X]: reason, [Y]: reason, [V6]: reason });
    });
  }
});

Deno.test("decideWrites() holds an IP whose own verdict is unsettled", () => {
  const input = connected({ a: [X], b: [X], c: [X] });
  input.self.unsettled = new Set([X]);
  assertEquals(summary(input).holds[X], "unsettled");
  assertEquals(summary(input).changes, []);
});

Deno.test("decideWrites() holds an IP with neither a down nor an up quorum", () => {
  const input = clusterInput({
    view: seeing([X]),
    live: [vote(B, viewOf({ [Y]: "up" }), { hears: [A] })],
  });
  const s = summary(input);
  assertEquals(s.holds[X], "no_quorum");
  assertEquals(s.changes, []);
});

Deno.test("decideWrites() leaves the change to the lowest writable agent", () => {
  const input = clusterInput({
    self: B,
    view: seeing([X]),
    live: [
      vote(A, seeing([X]), { hears: [B] }),
      vote(C, seeing([X]), { hears: [A, B] }),
    ],
  });
  const d = decideWrites(input, listing(), new Map());
  assertEquals(d.role, { writer: A, active: false, reason: "not_writer" });
  assertEquals(d.plan.changes, []);
  assertEquals(d.plan.holds.get(X), "not_writer");
});

Deno.test("decideWrites() defers to a lower agent it only hears of through a peer", () => {
  const input = clusterInput({
    self: B,
    view: seeing([X]),
    live: [vote(C, seeing([X]), { hears: [A, B], backs: [A] })],
  });
  assertEquals(decideWrites(input, listing(), new Map()).role.writer, A);
  const unacked = clusterInput({
    self: B,
    view: seeing([X]),
    live: [vote(C, seeing([X]), { hears: [A, B], backs: [] })],
  });
  assertEquals(
    decideWrites(unacked, listing(), new Map()).role.writer,
    B,
    "an agent nobody acknowledges does not stand",
  );
});

Deno.test("decideWrites() does not write unless a quorum acknowledges this agent", () => {
  const input = clusterInput({
    view: seeing([X]),
    live: [vote(B, seeing([X]), { hears: [] })],
  });
  const d = decideWrites(input, listing(), new Map());
  assertEquals(d.role.active, false);
  assertEquals(d.plan.holds.get(X), "not_writer");
});

Deno.test("decideWrites() waits handoverMs after becoming the writer", () => {
  const input = clusterInput({
    now: 50_000,
    writerSince: null,
    view: seeing([X]),
    live: [vote(B, seeing([X]), { hears: [A] })],
  });
  const first = decideWrites(input, listing(), new Map());
  assertEquals(first.role.reason, "handover");
  assertEquals(first.wakeAtMs, 54_000);
  assertEquals(first.memory.writerSince, 50_000);
  const later = decideWrites(
    { ...input, now: 54_000, memory: first.memory },
    listing(),
    new Map(),
  );
  assertEquals(later.plan.changes.map((c) => c.kind), ["delete"]);
});

Deno.test("decideWrites() forgets writerSince when it stops being the writer", () => {
  const input = clusterInput({
    self: B,
    live: [vote(A, seeing(), { hears: [B] })],
  });
  assertEquals(decideWrites(input, listing(), new Map()).memory, {
    writerSince: null,
  });
});

Deno.test("decideWrites() does not restore a dead IP for an agent blind to the name's other IPs (issue 9, defect 1)", () => {
  // A sees X and Y down (blind to Y, its IPv6 target answers); B and C see
  // only X down. X is out of DNS. A's own verdicts say "every A target is
  // down", but the cluster's do not: X stays out.
  const input = connected({ a: [X, Y], b: [X], c: [X] });
  assertEquals(summary(input, [Y, V6]), {
    changes: [],
    holds: { [X]: "in_sync", [Y]: "in_sync", [V6]: "in_sync" },
  });
});

Deno.test("decideWrites() keeps the name when two IPs are each seen down by a different pair (issue 9, defect 2)", () => {
  // A and C see X down, B and C see Y down: both are down for the cluster,
  // so the never-empty guard holds both, on every agent.
  const views = { a: [X], b: [Y], c: [X, Y] };
  const fromA = summary(connected(views));
  assertEquals(fromA.changes, []);
  assertEquals(fromA.holds[X], "all_down");
  assertEquals(fromA.holds[Y], "all_down");
});

Deno.test("decideWrites() restores every IP when all are down for the cluster (fail open)", () => {
  const s = summary(connected({ a: [X, Y], b: [X, Y], c: [X, Y] }), [V6]);
  assertEquals(s.changes, [`create ${X}`, `create ${Y}`]);
});

Deno.test("decideWrites() restores from the exact snapshot", () => {
  const snap = rec(X, {
    proxied: true,
    ttl: 1,
    comment: "edge 1",
    tags: ["team:edge"],
  });
  const d = decideWrites(
    connected({ a: [], b: [], c: [] }),
    listing([Y, V6]),
    new Map([[`${NAME}|A|${X}`, snap]]),
  );
  const { id: _id, ...record } = snap;
  assertEquals(d.plan.changes, [{
    kind: "create",
    record,
    fromSnapshot: true,
  }]);
});

Deno.test("decideWrites() single node: its own verdict decides, no handover", () => {
  const input: WriteInput = {
    ...clusterInput({ view: seeing([X]), writerSince: null }),
    cluster: null,
  };
  assertEquals(summary(input).changes, [`delete ${X}`]);
});
