/**
 * Which IPs min_records brings back: those the cluster does not see down
 * before those it does, so the guard never re-creates a dead IP while an IP
 * nobody sees down is left out (found by the simulator, seed 5269).
 * @module
 */
import assert from "node:assert/strict";
import { applyGuards } from "../../lib/write/guards.ts";

const A = "198.51.100.1";
const B = "198.51.100.2";
const C = "198.51.100.3";

const cases = [
  {
    what:
      "a name with no record: the IP not seen down comes back, not the dead one",
    ips: [A, B],
    present: [],
    wantAbsent: [A, B],
    down: [B],
    minRecords: 1,
    absent: [B],
    kept: [A],
  },
  {
    what: "the lower IP not seen down is kept over a higher dead one",
    ips: [A, B, C],
    present: [A, B, C],
    wantAbsent: [A, B, C],
    down: [A, C],
    minRecords: 1,
    absent: [A, C],
    kept: [B],
  },
  {
    what: "two kept: the one not seen down first, then the newest dead one",
    ips: [A, B, C],
    present: [A, B],
    wantAbsent: [A, B, C],
    down: [A, B],
    minRecords: 2,
    absent: [A],
    kept: [C, B],
  },
  {
    what: "every IP seen down: newest, highest first as before",
    ips: [A, B, C],
    present: [A, B, C],
    wantAbsent: [A, B],
    down: [A, B],
    minRecords: 2,
    absent: [A],
    kept: [B],
  },
];

for (const c of cases) {
  Deno.test(`min_records: ${c.what}`, () => {
    const out = applyGuards({
      name: "www.example.com",
      type: "A",
      ips: c.ips,
      present: new Set(c.present),
      wantAbsent: new Set(c.wantAbsent),
      down: new Set(c.down),
    }, { minRecords: c.minRecords, maxRemovalsFraction: 1 });
    assert.deepEqual([...out.absent].sort(), [...c.absent].sort());
    assert.deepEqual(out.notes.map((n) => [n.guard, n.ips]), [
      ["min_records", c.kept],
    ]);
  });
}
