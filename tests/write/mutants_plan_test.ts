/**
 * Edges of lib/write/plan.ts and lib/write/guards.ts that StrykerJS found
 * unpinned: a plan without backups, backups that are also primaries, the
 * not-released group's roster, `followUp`, withdrawals under rule D and
 * their `needsCreates`, down votes through `planChanges()`, and the
 * min_records put-back order (undoubted before doubted).
 * @module
 */
import assert from "node:assert/strict";
import {
  type Intent,
  type Plan,
  planChanges,
  type PlanInput,
} from "../../lib/write/plan.ts";
import { applyGuards } from "../../lib/write/guards.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import { doubtKey } from "../../lib/write/in_doubt.ts";

const WWW = "www.example.com";
const X = "203.0.113.11";
const Y = "203.0.113.12";
const V = "203.0.113.13";
const Z = "198.51.100.7";
const W = "198.51.100.8";

function rec(content: string): DnsRecord {
  return {
    id: `id-${content}`,
    type: content.includes(":") ? "AAAA" : "A",
    name: WWW,
    content,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
  };
}

interface Case {
  ips?: string[];
  /** Omitted: no `backups` key at all. */
  backups?: string[];
  intents: Record<string, Intent>;
  listed: string[];
  minRecords?: number;
  fraction?: number;
  inDoubt?: string[];
  downVotes?: Record<string, number>;
}

function plan(c: Case): Plan {
  const input: PlanInput = {
    names: [WWW],
    ips: c.ips ?? [X, Y],
    intents: new Map(Object.entries(c.intents)),
    down: new Set(
      Object.entries(c.intents).filter(([, i]) => i === "absent").map((
        [ip],
      ) => ip),
    ),
    current: new Map([[WWW, c.listed.map(rec)]]),
    snapshots: new Map(),
    guards: {
      minRecords: c.minRecords ?? 1,
      maxRemovalsFraction: c.fraction ?? 1,
    },
    defaults: { ttl: 1, proxied: false },
  };
  if (c.backups) input.backups = c.backups;
  if (c.inDoubt) {
    input.inDoubt = new Set(c.inDoubt.map((ip) => doubtKey(WWW, "A", ip)));
  }
  if (c.downVotes) input.downVotes = new Map(Object.entries(c.downVotes));
  return planChanges(input);
}

function changes(p: Plan): string[] {
  return p.changes.map((c) =>
    `${c.kind === "create" ? "+" : "-"}${c.record.content}`
  );
}

Deno.test("mutants plan: a plan without backups has no backups and no followUp", () => {
  for (
    const backups of [undefined, []] as const
  ) {
    const p = plan({
      ...(backups ? { backups: [...backups] } : {}),
      intents: { [X]: "present", [Y]: "absent" },
      listed: [X, Y],
    });
    assert.deepEqual(changes(p), [`-${Y}`]);
    assert.equal(p.backups, undefined);
    assert.equal(p.followUp, undefined);
    assert.equal("backups" in p, false);
    assert.equal("followUp" in p, false);
  }
});

Deno.test("mutants plan: a backup that is also a primary is a primary only", () => {
  const p = plan({
    backups: [X],
    intents: { [X]: "present", [Y]: "present" },
    listed: [X, Y],
  });
  assert.deepEqual(changes(p), []);
  assert.equal(p.backups, undefined);
});

Deno.test("mutants plan: a backup's withdrawal does not rely on creates", () => {
  const p = plan({
    backups: [Z],
    intents: { [X]: "present", [Y]: "present", [Z]: "present" },
    listed: [X, Y, Z],
  });
  assert.deepEqual(p.changes, [{
    kind: "delete",
    record: rec(Z),
    needsCreates: false,
  }]);
});

Deno.test("mutants plan: not released, an unlisted healthy backup is not created beside a listed one", () => {
  const p = plan({
    backups: [Z, W],
    intents: { [X]: "present", [Y]: "absent", [Z]: "present", [W]: "present" },
    listed: [Z],
  });
  assert.deepEqual(changes(p), [`+${X}`]);
  assert.deepEqual(p.backups, [
    { ip: W, hold: "standby" },
    { ip: Z, hold: "primary_pending" },
  ]);
  assert.equal(p.followUp, true);
  assert.deepEqual(p.inDoubt, []);
});

const FOLLOW: { name: string; c: Case; changes: string[]; followUp?: true }[] =
  [
    {
      name: "a primary restored, no backup listed: no follow-up",
      c: {
        backups: [Z],
        intents: { [X]: "present", [Y]: "absent", [Z]: "present" },
        listed: [],
      },
      changes: [`+${X}`],
    },
    {
      name: "a primary restored beside listed ones, a backup waits: follow-up",
      c: {
        ips: [X, Y, V],
        backups: [Z],
        intents: {
          [X]: "present",
          [Y]: "present",
          [V]: "present",
          [Z]: "present",
        },
        listed: [X, Y, Z],
        minRecords: 3,
      },
      changes: [`+${V}`],
      followUp: true,
    },
    {
      name: "min_records 2, one up primary listed, one restored: follow-up",
      c: {
        backups: [Z],
        intents: { [X]: "present", [Y]: "present", [Z]: "present" },
        listed: [X, Z],
        minRecords: 2,
      },
      changes: [`+${Y}`],
      followUp: true,
    },
    {
      name: "a backup waits on a primary with no quorum: nothing to follow",
      c: {
        backups: [Z],
        intents: { [X]: "hold", [Y]: "absent", [Z]: "present" },
        listed: [Z],
      },
      changes: [],
    },
  ];

for (const row of FOLLOW) {
  Deno.test(`mutants plan: followUp: ${row.name}`, () => {
    const p = plan(row.c);
    assert.deepEqual(changes(p), row.changes);
    assert.equal(p.followUp, row.followUp);
  });
}

Deno.test("mutants plan: every primary down, rule D: only the undoubted dead primary waits", () => {
  const p = plan({
    backups: [Z],
    intents: { [X]: "absent", [Y]: "absent", [Z]: "present" },
    listed: [X, Y],
    inDoubt: [X],
  });
  assert.deepEqual(changes(p), [`+${Z}`, `-${X}`]);
  assert.deepEqual(p.inDoubt, [Y]);
});

Deno.test("mutants plan: not released, rule D: the doubted delete goes, nothing else waits", () => {
  const p = plan({
    backups: [Z],
    intents: { [X]: "present", [Y]: "absent", [Z]: "present" },
    listed: [Y, Z],
    inDoubt: [Y],
  });
  assert.deepEqual(changes(p), [`+${X}`, `-${Y}`]);
  assert.deepEqual(p.inDoubt, []);
  assert.deepEqual(p.backups, [{ ip: Z, hold: "primary_pending" }]);
});

Deno.test("mutants plan: min_records keeps the dead IP fewer agents see down", () => {
  const base: Case = {
    ips: [X, Y, V],
    intents: { [X]: "absent", [Y]: "absent", [V]: "present" },
    listed: [X, Y, V],
    minRecords: 2,
  };
  // X fewer votes: X stays, Y goes (the tie order alone would keep Y).
  assert.deepEqual(changes(plan({ ...base, downVotes: { [X]: 1, [Y]: 3 } })), [
    `-${Y}`,
  ]);
  assert.deepEqual(changes(plan({ ...base, downVotes: { [X]: 3, [Y]: 1 } })), [
    `-${X}`,
  ]);
});

Deno.test("mutants guards: min_records puts back an undoubted IP before a cluster-down listed one", () => {
  const group = {
    name: WWW,
    type: "A" as const,
    ips: [X, Y],
    present: new Set([X]),
    wantAbsent: new Set([X, Y]),
    down: new Set([X]),
  };
  const settings = { minRecords: 1, maxRemovalsFraction: 1 };
  for (
    const downVotes of [undefined, new Map([[X, 2], [Y, 0]])]
  ) {
    const out = applyGuards({ ...group, downVotes }, settings);
    assert.deepEqual([...out.absent], [X]);
    assert.deepEqual(out.notes, [
      { name: WWW, type: "A", guard: "min_records", ips: [Y] },
    ]);
  }
  // An absent IP some agent sees down is doubted: the listed one stays.
  const voted = applyGuards({
    ...group,
    down: new Set(),
    wantAbsent: new Set([X, Y]),
    downVotes: new Map([[X, 0], [Y, 1]]),
  }, settings);
  assert.deepEqual([...voted.absent], [Y]);
});
