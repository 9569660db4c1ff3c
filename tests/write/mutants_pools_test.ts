/**
 * Edges of lib/write/pools.ts and lib/write/decide.ts that StrykerJS found
 * unpinned: facts `planPools()` passes on (optional `drainedUp`, down votes
 * by target key, no backups), everything `mergePlans()` carries over, the
 * hold order of `guardHolds()`, and what stage two hands the plan (held
 * IPs' intent, down votes, an inactive role's empty `inDoubt`).
 * @module
 */
import assert from "node:assert/strict";
import {
  guardHolds,
  mergePlans,
  planPools,
  type PoolPlan,
  type WritePool,
} from "../../lib/write/pools.ts";
import type { Plan } from "../../lib/write/plan.ts";
import { decideWrites, isDrainedUp } from "../../lib/write/decide.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import type { HoldReason, Intent } from "../../lib/write/types.ts";
import type { PeerView } from "../../lib/cluster/types.ts";
import {
  A,
  B,
  C,
  clusterInput,
  listing,
  NAME,
  seeing,
  V6,
  viewOf,
  vote,
  X,
  Y,
} from "./fixtures.ts";

const WWW = "www.example.com";
const APP = "app.example.com";
const P1 = "203.0.113.11";
const P2 = "203.0.113.12";
const P3 = "203.0.113.13";
const Z = "198.51.100.7";

function rec(name: string, ip: string): DnsRecord {
  return {
    id: `id-${name}-${ip}`,
    type: "A",
    name,
    content: ip,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
  };
}

function pool(
  name: string,
  names: string[],
  ips: string[],
  over: Partial<WritePool> = {},
): WritePool {
  return {
    name,
    names,
    ips,
    guards: { minRecords: 1, maxRemovalsFraction: 1 },
    defaults: { ttl: 1, proxied: false },
    ...over,
  };
}

function deltas(plan: Plan): string[] {
  return plan.changes.map((c) =>
    `${c.kind === "create" ? "+" : "-"}${c.record.name} ${c.record.content}`
  );
}

Deno.test("mutants pools: planPools() reads facts without drainedUp", () => {
  const p = pool("default", [WWW], [P1, P2]);
  const plans = planPools(
    [p],
    {
      intents: new Map<string, Intent>([[P1, "present"], [P2, "absent"]]),
      down: new Set([P2]),
      downVotes: new Map(),
    },
    new Map([[WWW, [rec(WWW, P1), rec(WWW, P2)]]]),
    new Map(),
    new Set(),
  );
  assert.deepEqual(deltas(plans[0]!.plan), [`-${WWW} ${P2}`]);
  // A pool without backups plans none.
  assert.equal(plans[0]!.plan.backups, undefined);
  assert.equal(plans[0]!.plan.followUp, undefined);
});

Deno.test("mutants pools: planPools() passes down votes by target key", () => {
  const p = pool("edge", [APP], [P1, P2, P3], {
    guards: { minRecords: 2, maxRemovalsFraction: 1 },
  });
  const run = (v1: number, v2: number) =>
    deltas(
      planPools(
        [p],
        {
          intents: new Map<string, Intent>([
            ["edge/" + P1, "absent"],
            ["edge/" + P2, "absent"],
            ["edge/" + P3, "present"],
          ]),
          down: new Set(["edge/" + P1, "edge/" + P2]),
          downVotes: new Map([["edge/" + P1, v1], ["edge/" + P2, v2], [
            P1,
            9,
          ]]),
          drainedUp: new Set(),
        },
        new Map([[APP, [P1, P2, P3].map((ip) => rec(APP, ip))]]),
        new Map(),
        new Set(),
      )[0]!.plan,
    );
  // The IP fewer agents see down stays (the tie order alone keeps P2).
  assert.deepEqual(run(1, 3), [`-${APP} ${P2}`]);
  assert.deepEqual(run(3, 1), [`-${APP} ${P1}`]);
});

function planOf(over: Partial<Plan>): Plan {
  return { changes: [], notes: [], staleSnapshots: [], inDoubt: [], ...over };
}

const DEF = pool("default", [WWW], [P1, P2, P3], { backups: [Z] });
const EDGE = pool("edge", [APP], [P1, P2]);

Deno.test("mutants pools: mergePlans() carries notes, stale snapshots, target-keyed inDoubt and followUp", () => {
  const noteA = {
    name: WWW,
    type: "A" as const,
    guard: "min_records" as const,
    ips: [P1],
  };
  const noteB = {
    name: APP,
    type: "A" as const,
    guard: "blast_radius" as const,
    ips: [P2],
  };
  const { id: _id, ...record } = rec(APP, P1);
  const plans: PoolPlan[] = [
    {
      pool: DEF,
      plan: planOf({
        notes: [noteA],
        staleSnapshots: ["k1"],
        inDoubt: [P2],
        followUp: true,
      }),
    },
    {
      pool: EDGE,
      plan: planOf({
        changes: [{ kind: "create", record, fromSnapshot: false }],
        notes: [noteB],
        staleSnapshots: ["k2"],
        inDoubt: [P1, P2],
      }),
    },
  ];
  assert.deepEqual(mergePlans(plans), {
    changes: [{ kind: "create", record, fromSnapshot: false }],
    notes: [noteA, noteB],
    staleSnapshots: ["k1", "k2"],
    inDoubt: [P2, `edge/${P1}`, `edge/${P2}`],
    followUp: true,
  });
  // followUp: any plan's, and only `true` counts.
  const follow = (...f: (boolean | undefined)[]) =>
    mergePlans(
      f.map((followUp, i) => ({
        pool: i === 0 ? DEF : EDGE,
        plan: planOf(followUp === undefined ? {} : { followUp }),
      })),
    ).followUp;
  assert.equal(follow(undefined, true), true);
  assert.equal(follow(true, undefined), true);
  assert.equal(follow(true), true);
  assert.equal(follow(undefined, false), false);
  assert.equal(follow(false), false);
  assert.equal(follow(), false);
});

Deno.test("mutants pools: guardHolds() keeps the first hold: guard notes, then in_doubt, then backups", () => {
  const plans: PoolPlan[] = [
    {
      pool: DEF,
      plan: planOf({
        notes: [
          { name: WWW, type: "A", guard: "blast_radius", ips: [P1] },
          { name: WWW, type: "A", guard: "min_records", ips: [P1, P2] },
        ],
        inDoubt: [P1, P3, P3],
        backups: [
          { ip: P3, hold: "standby" },
          { ip: Z, hold: "primary_pending" },
          { ip: P2, hold: "standby" },
          { ip: Z, hold: "standby" },
        ],
      }),
    },
    // No backups: nothing beyond its own in_doubt.
    { pool: EDGE, plan: planOf({ inDoubt: [P1] }) },
  ];
  const held = guardHolds(plans);
  const want: [string, HoldReason][] = [
    [P1, "blast_radius"],
    [P2, "min_records"],
    [P3, "in_doubt"],
    [Z, "primary_pending"],
    [`edge/${P1}`, "in_doubt"],
  ];
  assert.deepEqual([...held].sort(), want.sort());
  assert.deepEqual(guardHolds([{ pool: EDGE, plan: planOf({}) }]), new Map());
});

/** A connected cluster of A, B, C in which A is the active writer. */
function writerInput(
  views: { a: PeerView; b: PeerView; c: PeerView },
  ips: string[],
  minRecords = 1,
) {
  const base = clusterInput({
    view: views.a,
    live: [
      vote(B, views.b, { hears: [A, C] }),
      vote(C, views.c, { hears: [A, B] }),
    ],
  });
  return {
    ...base,
    settings: {
      ...base.settings,
      ips,
      guards: { minRecords, maxRemovalsFraction: 1 },
    },
    self: {
      ...base.self,
      isolation: { ...base.self.isolation, targets: ips.length },
    },
  };
}

Deno.test("mutants decide: an IP held unsettled is not created on the peers' up quorum", () => {
  const input = writerInput({ a: seeing(), b: seeing(), c: seeing() }, [
    X,
    Y,
    V6,
  ]);
  const d = decideWrites(
    { ...input, self: { ...input.self, unsettled: new Set([X]) } },
    listing([Y, V6]),
    new Map(),
  );
  assert.equal(d.role.active, true);
  assert.equal(d.ips.get(X)?.intent, "present");
  assert.equal(d.ips.get(X)?.hold, "unsettled");
  assert.deepEqual(d.plan.changes, []);
  assert.equal(d.plan.holds.get(X), "unsettled");
});

Deno.test("mutants decide: min_records keeps the down IP fewer agents see down", () => {
  const T = "192.0.2.3";
  const d = decideWrites(
    writerInput(
      {
        a: viewOf({ [X]: "down", [Y]: "down", [T]: "up" }),
        b: viewOf({ [X]: "down", [Y]: "down", [T]: "up" }),
        c: viewOf({ [X]: "up", [Y]: "down", [T]: "up" }),
      },
      [X, Y, T],
      2,
    ),
    listing([X, Y, T]),
    new Map(),
  );
  assert.equal(d.role.active, true);
  assert.equal(d.ips.get(X)?.downVotes, 2);
  assert.equal(d.ips.get(Y)?.downVotes, 3);
  // The tie order alone would keep Y.
  assert.deepEqual(
    d.plan.changes.map((c) => `${c.kind} ${c.record.content}`),
    [`delete ${Y}`],
  );
  assert.equal(d.plan.holds.get(X), "min_records");
});

Deno.test("mutants decide: a plan of an agent that is not the writer has nothing in doubt", () => {
  const input = clusterInput({
    live: [
      vote(B, seeing(), { hears: [C] }),
      vote(C, seeing(), { hears: [B] }),
    ],
  });
  const d = decideWrites(
    input,
    listing([X]),
    new Map(),
    new Set([`${NAME}|A|${Y}`]),
  );
  assert.equal(d.role.active, false);
  assert.deepEqual(d.plan, {
    changes: [],
    holds: new Map([[X, "not_writer"], [Y, "not_writer"], [V6, "not_writer"]]),
    notes: [],
    staleSnapshots: [],
    inDoubt: [],
  });
});

Deno.test("mutants decide: a drained IP with exactly the up quorum is drained-up", () => {
  const d = {
    ip: X,
    intent: "absent" as const,
    self: "up" as const,
    downVotes: 0,
    upVotes: 2,
    needed: 2,
    drained: true,
    hold: null,
  };
  assert.equal(isDrainedUp(d), true);
  assert.equal(isDrainedUp({ ...d, upVotes: 1 }), false);
  assert.equal(isDrainedUp({ ...d, upVotes: 3, drained: false }), false);
});
