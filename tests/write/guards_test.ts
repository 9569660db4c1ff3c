import assert from "node:assert/strict";
import {
  applyGuards,
  type GuardName,
  sortIps,
} from "../../lib/write/guards.ts";

const V4 = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];

interface Row {
  what: string;
  ips?: string[];
  present?: string[];
  wantAbsent: string[];
  down?: string[];
  minRecords?: number;
  fraction?: number;
  /** Agents that see each IP down (min_records' choice). */
  votes?: Record<string, number>;
  /** Drained IPs the cluster does not see down. */
  drainedUp?: string[];
  absent: string[];
  notes?: [GuardName, string[]][];
}

function run(row: Row) {
  const ips = row.ips ?? V4;
  return applyGuards({
    name: "www.example.com",
    type: "A",
    ips,
    present: new Set(row.present ?? ips),
    wantAbsent: new Set(row.wantAbsent),
    down: new Set(row.down ?? row.wantAbsent),
    downVotes: row.votes ? new Map(Object.entries(row.votes)) : undefined,
    drainedUp: row.drainedUp ? new Set(row.drainedUp) : undefined,
  }, {
    minRecords: row.minRecords ?? 1,
    maxRemovalsFraction: row.fraction ?? 0.5,
  });
}

const TABLE: Row[] = [
  { what: "nothing wanted absent", wantAbsent: [], absent: [] },
  {
    what: "every IP down, one only drained: it stays, the dead ones go",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    drainedUp: ["192.0.2.1"],
    fraction: 1,
    absent: ["192.0.2.2", "192.0.2.3"],
    notes: [["all_down", ["192.0.2.1"]]],
  },
  {
    what: "every IP down, two only drained: both stay, within blast radius",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    wantAbsent: V4,
    drainedUp: ["192.0.2.1", "192.0.2.4"],
    fraction: 0.25,
    absent: ["192.0.2.2"],
    notes: [["all_down", ["192.0.2.1", "192.0.2.4"]], [
      "blast_radius",
      ["192.0.2.3"],
    ]],
  },
  {
    what: "one of four removed",
    wantAbsent: ["192.0.2.3"],
    absent: ["192.0.2.3"],
  },
  {
    what: "two of four at fraction 0.5",
    wantAbsent: ["192.0.2.1", "192.0.2.2"],
    absent: ["192.0.2.1", "192.0.2.2"],
  },
  {
    what: "three of four capped at two, lowest first",
    wantAbsent: ["192.0.2.4", "192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.2", "192.0.2.3"],
    notes: [["blast_radius", ["192.0.2.4"]]],
  },
  {
    what: "removals already made are kept before new ones",
    present: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.4"],
    absent: ["192.0.2.4", "192.0.2.1"],
    notes: [["blast_radius", ["192.0.2.2"]]],
  },
  {
    what: "already removed beyond the cap are put back",
    present: ["192.0.2.4"],
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.1", "192.0.2.2"],
    notes: [["blast_radius", ["192.0.2.3"]]],
  },
  {
    what: "fraction 0.26 of four allows one",
    fraction: 0.26,
    wantAbsent: ["192.0.2.1", "192.0.2.2"],
    absent: ["192.0.2.1"],
    notes: [["blast_radius", ["192.0.2.2"]]],
  },
  {
    what: "fraction 0.75 of four allows exactly three",
    fraction: 0.75,
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
  },
  {
    what: "fraction 0 removes nothing",
    fraction: 0,
    wantAbsent: ["192.0.2.1"],
    absent: [],
    notes: [["blast_radius", ["192.0.2.1"]]],
  },
  {
    what: "single IP is never removed at fraction 0.5",
    ips: ["192.0.2.1"],
    wantAbsent: ["192.0.2.1"],
    down: [],
    absent: [],
    notes: [["blast_radius", ["192.0.2.1"]]],
  },
  {
    what: "every IP down: none removed, all restored",
    present: ["192.0.2.1"],
    wantAbsent: V4,
    down: V4,
    absent: [],
    notes: [["all_down", V4]],
  },
  {
    what: "fraction 1 with min_records 1 keeps one",
    fraction: 1,
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    down: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    absent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    notes: [["min_records", ["192.0.2.4"]]],
  },
  {
    what: "min_records 2 of three with fraction 1",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    fraction: 1,
    minRecords: 2,
    wantAbsent: ["192.0.2.1", "192.0.2.2"],
    absent: ["192.0.2.1"],
    notes: [["min_records", ["192.0.2.2"]]],
  },
  {
    what: "min_records releases new removals before old ones",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    present: ["192.0.2.1", "192.0.2.3"],
    fraction: 1,
    minRecords: 2,
    wantAbsent: ["192.0.2.1", "192.0.2.2"],
    absent: ["192.0.2.2"],
    notes: [["min_records", ["192.0.2.1"]]],
  },
  {
    // Simulator seed 5269 (min_records re-created an IP a quorum saw down).
    what: "min_records puts back the IP fewest agents see down",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    present: ["192.0.2.3"],
    fraction: 1,
    minRecords: 2,
    wantAbsent: ["192.0.2.1", "192.0.2.2"],
    down: ["192.0.2.2"],
    votes: { "192.0.2.1": 0, "192.0.2.2": 3 },
    absent: ["192.0.2.2"],
    notes: [["min_records", ["192.0.2.1"]]],
  },
  {
    what: "min_records keeps the present IP nobody sees down over a new one",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    present: ["192.0.2.1", "192.0.2.2"],
    fraction: 1,
    minRecords: 2,
    wantAbsent: ["192.0.2.1", "192.0.2.3"],
    down: ["192.0.2.3"],
    votes: { "192.0.2.1": 0, "192.0.2.3": 2 },
    absent: ["192.0.2.3"],
    notes: [["min_records", ["192.0.2.1"]]],
  },
  {
    // Simulator soak seed 71619 (I3): the writer, blind to all three, saw
    // .1 and .2 down itself (one vote each, a peer's "up" each, no quorum);
    // .3 listed, down for two. Putting back .2 re-created an IP a quorum
    // (with an agent the writer did not hear) saw down, and deleted .3.
    what:
      "min_records keeps a listed IP over re-creating one an agent sees down",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    present: ["192.0.2.3"],
    fraction: 1,
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    down: ["192.0.2.3"],
    votes: { "192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 2 },
    absent: ["192.0.2.1", "192.0.2.2"],
    notes: [["min_records", ["192.0.2.3"]]],
  },
  {
    what: "min_records with equal votes releases the newest, highest first",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    present: ["192.0.2.2", "192.0.2.3"],
    fraction: 1,
    minRecords: 2,
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    votes: { "192.0.2.1": 2, "192.0.2.2": 2, "192.0.2.3": 2 },
    down: [],
    absent: ["192.0.2.1"],
    notes: [["min_records", ["192.0.2.3", "192.0.2.2"]]],
  },
  {
    what: "min_records releases two in vote order, not address order",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    fraction: 1,
    minRecords: 3,
    wantAbsent: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    down: [],
    votes: { "192.0.2.1": 0, "192.0.2.2": 3, "192.0.2.3": 1 },
    absent: ["192.0.2.2"],
    notes: [["min_records", ["192.0.2.1", "192.0.2.3"]]],
  },
  {
    what: "min_records above N keeps everything",
    ips: ["192.0.2.1", "192.0.2.2"],
    fraction: 1,
    minRecords: 5,
    wantAbsent: ["192.0.2.1"],
    absent: [],
    notes: [["min_records", ["192.0.2.1"]]],
  },
  {
    what: "hold-absent IPs count against the cap",
    present: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    wantAbsent: ["192.0.2.4", "192.0.2.1"],
    down: ["192.0.2.1"],
    absent: ["192.0.2.4", "192.0.2.1"],
  },
];

for (const row of TABLE) {
  Deno.test(`applyGuards() ${row.what}`, () => {
    const out = run(row);
    assert.deepEqual([...out.absent].sort(), [...row.absent].sort());
    assert.deepEqual(
      out.notes.map((n) => [n.guard, n.ips]),
      row.notes ?? [],
    );
  });
}

Deno.test("applyGuards() is deterministic whatever the input order", () => {
  const a = run({
    what: "",
    wantAbsent: ["192.0.2.4", "192.0.2.3", "192.0.2.2"],
    absent: [],
  });
  const b = run({
    what: "",
    wantAbsent: ["192.0.2.2", "192.0.2.3", "192.0.2.4"],
    absent: [],
  });
  assert.deepEqual([...a.absent], [...b.absent]);
  assert.deepEqual(a.notes, b.notes);
});

Deno.test("sortIps() orders IPv4 and IPv6 numerically", () => {
  assert.deepEqual(sortIps(["192.0.2.10", "192.0.2.9", "192.0.2.100"]), [
    "192.0.2.9",
    "192.0.2.10",
    "192.0.2.100",
  ]);
  assert.deepEqual(sortIps(["2001:db8::10", "2001:db8::9", "2001:db8:0:1::"]), [
    "2001:db8::9",
    "2001:db8::10",
    "2001:db8:0:1::",
  ]);
});
