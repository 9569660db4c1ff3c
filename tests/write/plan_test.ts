import assert from "node:assert/strict";
import {
  type Intent,
  planChanges,
  type PlanInput,
} from "../../lib/write/plan.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";

const WWW = "www.example.com";
const APEX = "example.com";

function rec(
  name: string,
  content: string,
  extra: Partial<DnsRecord> = {},
): DnsRecord {
  return {
    id: `id-${name}-${content}`,
    type: content.includes(":") ? "AAAA" : "A",
    name,
    content,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
    ...extra,
  };
}

function input(
  over: Partial<Omit<PlanInput, "intents">> & {
    intents: Record<string, Intent>;
  },
): PlanInput {
  const ips = over.ips ?? ["192.0.2.1", "192.0.2.2"];
  return {
    names: [WWW],
    ips,
    down: new Set(
      Object.entries(over.intents).filter(([, i]) => i === "absent").map((
        [ip],
      ) => ip),
    ),
    current: new Map([[WWW, ips.map((ip) => rec(WWW, ip))]]),
    snapshots: new Map(),
    guards: { minRecords: 1, maxRemovalsFraction: 0.5 },
    defaults: { ttl: 1, proxied: true },
    ...over,
    intents: new Map(Object.entries(over.intents)),
  };
}

const summary = (p: ReturnType<typeof planChanges>) =>
  p.changes.map((c) =>
    `${c.kind} ${c.record.type} ${c.record.name} ${c.record.content}`
  );

Deno.test("planChanges() makes no change when DNS already matches", () => {
  const p = planChanges(
    input({ intents: { "192.0.2.1": "present", "192.0.2.2": "present" } }),
  );
  assert.deepEqual(p.changes, []);
  assert.deepEqual(p.notes, []);
});

Deno.test("planChanges() deletes an absent IP's record", () => {
  const p = planChanges(
    input({ intents: { "192.0.2.1": "present", "192.0.2.2": "absent" } }),
  );
  assert.deepEqual(summary(p), [`delete A ${WWW} 192.0.2.2`]);
  assert.equal(p.changes[0]?.record.id, `id-${WWW}-192.0.2.2`);
});

Deno.test("planChanges() creates a missing present IP from config defaults", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "present", "192.0.2.2": "present" },
    current: new Map([[WWW, [rec(WWW, "192.0.2.1")]]]),
  }));
  assert.deepEqual(p.changes, [{
    kind: "create",
    fromSnapshot: false,
    record: {
      type: "A",
      name: WWW,
      content: "192.0.2.2",
      ttl: 1,
      proxied: true,
      comment: null,
      tags: [],
    },
  }]);
});

Deno.test("planChanges() restores from the snapshot when there is one", () => {
  const snap = rec(WWW, "192.0.2.2", {
    ttl: 120,
    proxied: false,
    comment: "edge",
    tags: ["team:ops"],
  });
  const p = planChanges(input({
    intents: { "192.0.2.1": "present", "192.0.2.2": "present" },
    current: new Map([[WWW, [rec(WWW, "192.0.2.1")]]]),
    snapshots: new Map([[recordKey(snap), snap]]),
  }));
  const { id: _id, ...expected } = snap;
  assert.deepEqual(p.changes, [{
    kind: "create",
    fromSnapshot: true,
    record: expected,
  }]);
});

Deno.test("planChanges() leaves held IPs as they are", () => {
  const p = planChanges(input({
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    intents: { "192.0.2.1": "hold", "192.0.2.3": "hold" },
    current: new Map([[WWW, [rec(WWW, "192.0.2.1"), rec(WWW, "192.0.2.2")]]]),
  }));
  assert.deepEqual(p.changes, []);
});

Deno.test("planChanges() never touches unmanaged records", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "absent", "192.0.2.2": "present" },
    current: new Map([[WWW, [
      rec(WWW, "192.0.2.1"),
      rec(WWW, "192.0.2.2"),
      rec(WWW, "198.51.100.7"),
      { ...rec(WWW, "192.0.2.1"), type: "AAAA", id: "weird" } as DnsRecord,
    ]]]),
  }));
  assert.deepEqual(summary(p), [`delete A ${WWW} 192.0.2.1`]);
});

Deno.test("planChanges() keeps duplicates of a present IP and deletes all copies of an absent one", () => {
  const dupes = [
    rec(WWW, "192.0.2.1", { id: "a" }),
    rec(WWW, "192.0.2.1", { id: "b" }),
  ];
  const keep = planChanges(input({
    intents: { "192.0.2.1": "present", "192.0.2.2": "present" },
    current: new Map([[WWW, [...dupes, rec(WWW, "192.0.2.2")]]]),
  }));
  assert.deepEqual(keep.changes, []);
  const drop = planChanges(input({
    intents: { "192.0.2.1": "absent", "192.0.2.2": "present" },
    current: new Map([[WWW, [...dupes, rec(WWW, "192.0.2.2")]]]),
  }));
  assert.deepEqual(drop.changes.map((c) => c.record.id), ["a", "b"]);
});

Deno.test("planChanges() restores everything when every IP is down", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "absent", "192.0.2.2": "absent" },
    current: new Map([[WWW, [rec(WWW, "192.0.2.1")]]]),
  }));
  assert.deepEqual(summary(p), [`create A ${WWW} 192.0.2.2`]);
  assert.deepEqual(p.notes.map((n) => n.guard), ["all_down"]);
});

Deno.test("planChanges() applies guards per family on mixed names", () => {
  const ips = ["192.0.2.1", "192.0.2.2", "2001:db8::1"];
  const p = planChanges(input({
    ips,
    names: [WWW, APEX],
    intents: {
      "192.0.2.1": "absent",
      "192.0.2.2": "present",
      "2001:db8::1": "absent",
    },
    down: new Set(["192.0.2.1", "2001:db8::1"]),
    current: new Map([
      [WWW, ips.map((ip) => rec(WWW, ip))],
      [APEX, [rec(APEX, "192.0.2.2")]],
    ]),
  }));
  // AAAA: the only IPv6 is down → all_down keeps it on www and restores it at the apex.
  assert.deepEqual(summary(p), [
    `delete A ${WWW} 192.0.2.1`,
    `create AAAA ${APEX} 2001:db8::1`,
  ]);
  assert.deepEqual(p.notes.map((n) => `${n.name} ${n.type} ${n.guard}`), [
    `${WWW} AAAA all_down`,
    `${APEX} AAAA all_down`,
  ]);
});

Deno.test("planChanges() compares IPv6 in canonical form", () => {
  const p = planChanges(input({
    ips: ["2001:DB8:0:0::1", "2001:db8::2"],
    intents: { "2001:db8::1": "absent", "2001:0db8::2": "present" },
    current: new Map([[WWW, [
      rec(WWW, "2001:db8::1"),
      rec(WWW, "2001:db8::2"),
    ]]]),
  }));
  assert.deepEqual(summary(p), [`delete AAAA ${WWW} 2001:db8::1`]);
});

Deno.test("planChanges() honours blast radius and min_records 3", () => {
  const ips = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];
  const p = planChanges(input({
    ips,
    intents: Object.fromEntries(
      ips.map((ip, i): [string, Intent] => [ip, i < 3 ? "absent" : "present"]),
    ),
    current: new Map([[WWW, ips.map((ip) => rec(WWW, ip))]]),
    guards: { minRecords: 3, maxRemovalsFraction: 0.5 },
  }));
  assert.deepEqual(summary(p), [`delete A ${WWW} 192.0.2.1`]);
  assert.deepEqual(p.notes.map((n) => [n.guard, n.ips]), [
    ["blast_radius", ["192.0.2.3"]],
    ["min_records", ["192.0.2.2"]],
  ]);
});

Deno.test("planChanges() changes nothing when the agent abstains", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "absent", "192.0.2.2": "present" },
    abstain: true,
  }));
  assert.deepEqual(p, {
    changes: [],
    notes: [],
    staleSnapshots: [],
    inDoubt: [],
  });
});

Deno.test("planChanges() reports snapshots of records that stay present as stale", () => {
  const snap = rec(WWW, "192.0.2.1");
  const p = planChanges(input({
    intents: { "192.0.2.1": "present", "192.0.2.2": "present" },
    snapshots: new Map([[recordKey(snap), snap]]),
  }));
  assert.deepEqual(p.staleSnapshots, [recordKey(snap)]);
});

Deno.test("planChanges() treats a name with no records as all missing", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "present", "192.0.2.2": "hold" },
    current: new Map(),
  }));
  // The held IP stays absent: one present record satisfies min_records 1.
  assert.deepEqual(summary(p), [`create A ${WWW} 192.0.2.1`]);
});

Deno.test("planChanges() lists creates before deletes on a name", () => {
  const p = planChanges(input({
    intents: { "192.0.2.1": "absent", "192.0.2.2": "present" },
    down: new Set(["192.0.2.1"]),
    current: new Map([[WWW, [rec(WWW, "192.0.2.1")]]]),
  }));
  assert.deepEqual(summary(p), [
    `create A ${WWW} 192.0.2.2`,
    `delete A ${WWW} 192.0.2.1`,
  ]);
});

/** Which deletes wait for the pass's creates: a table over listings. */
const NEEDS_CREATES: {
  name: string;
  ips: string[];
  listed: string[];
  absent: string[];
  minRecords?: number;
  want: boolean;
}[] = [
  {
    name: "X back, Y dead, nothing else listed: Y's delete needs X",
    ips: ["192.0.2.1", "192.0.2.2"],
    listed: ["192.0.2.2"],
    absent: ["192.0.2.2"],
    want: true,
  },
  {
    name: "X back, Y dead, Z listed and staying: Y's delete stands alone",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    listed: ["192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.2"],
    want: false,
  },
  {
    name: "min_records 2 with one listed record staying: needs X",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    listed: ["192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.2"],
    minRecords: 2,
    want: true,
  },
  {
    name: "no create in the pass, two staying: stands alone",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    listed: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.1"],
    want: false,
  },
];

for (const row of NEEDS_CREATES) {
  Deno.test(`planChanges() marks needsCreates: ${row.name}`, () => {
    const intents: Record<string, Intent> = {};
    for (const ip of row.ips) {
      intents[ip] = row.absent.includes(ip) ? "absent" : "present";
    }
    const p = planChanges(input({
      ips: row.ips,
      intents,
      down: new Set(row.absent),
      current: new Map([[WWW, row.listed.map((ip) => rec(WWW, ip))]]),
      guards: { minRecords: row.minRecords ?? 1, maxRemovalsFraction: 1 },
    }));
    const deletes = p.changes.filter((c) => c.kind === "delete");
    assert.equal(deletes.length, row.absent.length, summary(p).join("; "));
    for (const d of deletes) {
      assert.equal(d.kind === "delete" && d.needsCreates, row.want);
    }
  });
}
