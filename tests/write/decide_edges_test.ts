/**
 * Edges of the write decision (lib/write/decide.ts) that the rule-by-rule
 * table does not pin: what stage one reports (`writable`, `acked`, the
 * single agent's role), IPs without an own verdict, and what stage two
 * returns when this agent is not the writer.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  decideIntents,
  decideWrites,
  planWrites,
  settledView,
} from "../../lib/write/decide.ts";
import type { WriteInput } from "../../lib/write/types.ts";
import { recordKey } from "../../lib/dns/provider.ts";
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

/** A connected cluster of A, B, C; `hearsA` lists the peers that hear A. */
function cluster(hearsA: string[], over: Partial<WriteInput> = {}) {
  return clusterInput({
    live: [
      vote(B, seeing(), { hears: hearsA.includes(B) ? [A, C] : [C] }),
      vote(C, seeing(), { hears: hearsA.includes(C) ? [A, B] : [B] }),
    ],
    over,
  });
}

function withSelf(input: WriteInput, self: Partial<WriteInput["self"]>) {
  return { ...input, self: { ...input.self, ...self } };
}

Deno.test("decideIntents() reports writable and acked per gate", async (t) => {
  const base = cluster([B, C]);
  const isolation = { ...base.self.isolation, lastLocalFault: 1 };
  const rows: [string, WriteInput, boolean, boolean][] = [
    ["every peer hears it", base, true, true],
    ["one peer hears it (exactly the quorum)", cluster([B]), true, true],
    ["no peer hears it", cluster([]), true, false],
    [
      "credentials rejected",
      withSelf(base, { dnsBlocked: true }),
      false,
      false,
    ],
    ["isolated", withSelf(base, { isolation }), false, false],
    [
      "warming up",
      { ...base, cluster: { ...base.cluster!, warmingUp: true } },
      false,
      false,
    ],
    [
      "no cluster link",
      { ...base, cluster: { ...base.cluster!, linked: false } },
      false,
      false,
    ],
  ];
  for (const [what, input, writable, acked] of rows) {
    await t.step(what, () => {
      const d = decideIntents(input);
      assertEquals({ writable: d.writable, acked: d.acked }, {
        writable,
        acked,
      });
    });
  }
});

Deno.test("decideWrites() holds an IP this agent has no verdict of as unsettled", () => {
  const input = clusterInput({
    view: viewOf({ [X]: "up", [V6]: "up" }),
    live: [
      vote(B, seeing([Y]), { hears: [A, C] }),
      vote(C, seeing([Y]), { hears: [A, B] }),
    ],
  });
  const d = decideWrites(input, listing(), new Map());
  assertEquals(d.ips.get(Y)?.self, undefined);
  assertEquals(d.ips.get(Y)?.hold, "unsettled");
  assertEquals(d.plan.changes, []);
});

Deno.test("decideWrites() leaves a held IP that has no record missing", () => {
  const base = cluster([B, C]);
  const input = withSelf(base, { unsettled: new Set([Y]) });
  const d = decideWrites(input, listing([X, V6]), new Map());
  assertEquals(d.plan.changes, []);
  assertEquals(d.plan.holds.get(Y), "unsettled");
});

Deno.test("decideIntents() on a single agent: active only without a gate, no writer memory", () => {
  const single = { ...cluster([]), cluster: null };
  const free = decideIntents(single);
  assertEquals(free.role, { writer: A, active: true, reason: null });
  assertEquals(free.memory, { writerSince: null });
  const blocked = decideIntents(withSelf(single, { dnsBlocked: true }));
  assertEquals(blocked.role, {
    writer: A,
    active: false,
    reason: "dns_blocked",
  });
  assertEquals(blocked.memory, { writerSince: null });
});

/** This agent is B; A, lower and acknowledged, writes. */
function notWriter(minPeersAgree: number, cView = seeing([X, Y])) {
  return clusterInput({
    self: B,
    minPeersAgree,
    view: seeing([X, Y]),
    live: [
      vote(A, seeing([X, Y]), { hears: [B, C] }),
      vote(C, cView, { hears: [A, B] }),
    ],
  });
}

Deno.test("planWrites() plans nothing, not even notes or stale snapshots, when this agent is not the writer", () => {
  const input = notWriter(1, seeing(IPS));
  const decided = decideIntents(input);
  const snapshots = new Map([[recordKey(rec(V6)), rec(V6)]]);
  const plan = planWrites(decided, input, listing([V6]), snapshots);
  assertEquals(decided.role.active, false);
  assertEquals(
    { changes: plan.changes, notes: plan.notes, stale: plan.staleSnapshots },
    { changes: [], notes: [], stale: [] },
  );
});

Deno.test("planWrites() keeps each IP's own hold reason when this agent is not the writer", () => {
  const input = notWriter(2, seeing([V6]));
  const plan = decideWrites(input, listing(), new Map()).plan;
  assertEquals(Object.fromEntries(plan.holds), {
    [X]: "no_quorum",
    [Y]: "no_quorum",
    [V6]: "no_quorum",
  });
  const agreed = decideWrites(notWriter(1), listing(), new Map()).plan;
  assertEquals(agreed.holds.get(X), "not_writer");
});

Deno.test("planWrites() names the first guard that held an IP across names", () => {
  const Z = "192.0.2.3";
  const OTHER = "api.example.com";
  const view = viewOf({ [X]: "down", [Y]: "down", [Z]: "up" });
  const base = clusterInput({
    view,
    live: [vote(B, view, { hears: [A, C] }), vote(C, view, { hears: [A, B] })],
  });
  const input: WriteInput = {
    ...base,
    settings: {
      ...base.settings,
      names: [NAME, OTHER],
      ips: [X, Y, Z],
      guards: { minRecords: 3, maxRemovalsFraction: 0.5 },
    },
  };
  // On NAME, Y is gone already: blast radius holds X there; on OTHER both are
  // present: blast radius holds Y and min_records X.
  const current = new Map([
    [NAME, [rec(X), rec(Z)]],
    [OTHER, [
      rec(X, { name: OTHER }),
      rec(Y, { name: OTHER }),
      rec(Z, { name: OTHER }),
    ]],
  ]);
  const plan = decideWrites(input, current, new Map()).plan;
  assertEquals(plan.holds.get(X), "blast_radius");
});

Deno.test("settledView() leaves out exactly the unsettled IPs", () => {
  assertEquals(
    settledView(seeing([X]), new Set([Y])),
    viewOf({
      [X]: "down",
      [V6]: "up",
    }),
  );
});

Deno.test("planWrites() gives min_records the cluster's down votes: it re-creates the IP nobody sees down, not the dead one (simulator seed 5269)", () => {
  const Z = "192.0.2.3";
  const peers = viewOf({ [Y]: "down", [Z]: "up" });
  const base = clusterInput({
    view: viewOf({ [X]: "up", [Y]: "down", [Z]: "up" }),
    live: [
      vote(B, peers, { hears: [A, C] }),
      vote(C, peers, { hears: [A, B] }),
    ],
  });
  const input: WriteInput = {
    ...base,
    settings: {
      ...base.settings,
      ips: [X, Y, Z],
      guards: { minRecords: 2, maxRemovalsFraction: 1 },
    },
  };
  // X and Y are both out; min_records needs one back. X has no quorum either
  // way (only A sees it up), Y is down for all three.
  const plan = decideWrites(input, listing([Z]), new Map()).plan;
  assertEquals(
    plan.changes.map((c) => [c.kind, c.record.content]),
    [["create", X]],
  );
  assertEquals(plan.holds.get(Y), "in_sync");
});
