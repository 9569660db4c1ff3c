/**
 * Invariants of the diff and guards over random inputs (fast-check).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Intent,
  planChanges,
  type PlanInput,
} from "../../lib/write/plan.ts";
import { type DnsRecord, recordTypeOf } from "../../lib/dns/provider.ts";

const NAMES = ["www.example.com", "example.com"];
const POOL = [
  "192.0.2.1",
  "192.0.2.2",
  "192.0.2.3",
  "192.0.2.4",
  "192.0.2.5",
  "2001:db8::1",
  "2001:db8::2",
];
const UNMANAGED: DnsRecord = {
  id: "other",
  type: "A",
  name: "www.example.com",
  content: "198.51.100.9",
  ttl: 1,
  proxied: false,
  comment: null,
  tags: [],
};

const arbInput = fc.record({
  ips: fc.subarray(POOL, { minLength: 1 }),
  intents: fc.array(fc.constantFrom<Intent>("present", "absent", "hold"), {
    minLength: POOL.length,
    maxLength: POOL.length,
  }),
  downExtra: fc.array(fc.boolean(), {
    minLength: POOL.length,
    maxLength: POOL.length,
  }),
  presentMask: fc.array(fc.boolean(), {
    minLength: POOL.length * 2,
    maxLength: POOL.length * 2,
  }),
  minRecords: fc.integer({ min: 0, max: 4 }),
  fraction: fc.constantFrom(0, 0.25, 0.34, 0.5, 0.75, 1),
}).map((r): PlanInput => {
  const intents = new Map(POOL.map((ip, i) => [ip, r.intents[i]!]));
  const down = new Set(
    POOL.filter((ip, i) => intents.get(ip) === "absent" || r.downExtra[i]),
  );
  const current = new Map(NAMES.map((name, n) => [
    name,
    [
      ...r.ips.filter((_, i) => r.presentMask[n * POOL.length + i]).map((
        ip,
        i,
      ): DnsRecord => ({
        id: `${n}-${i}`,
        type: recordTypeOf(ip),
        name,
        content: ip,
        ttl: 300,
        proxied: false,
        comment: null,
        tags: [],
      })),
      ...(n === 0 ? [UNMANAGED] : []),
    ],
  ]));
  return {
    names: NAMES,
    ips: r.ips,
    intents,
    down,
    current,
    snapshots: new Map(),
    guards: { minRecords: r.minRecords, maxRemovalsFraction: r.fraction },
    defaults: { ttl: 1, proxied: false },
  };
});

/** Applies a plan to the input's records, as a provider would. */
function applied(input: PlanInput): Map<string, DnsRecord[]> {
  const plan = planChanges(input);
  const out = new Map([...input.current].map(([n, rs]) => [n, [...rs]]));
  let id = 0;
  for (const c of plan.changes) {
    const list = out.get(c.record.name) ?? [];
    if (c.kind === "delete") {
      out.set(
        c.record.name,
        list.filter((r) => r.id !== c.record.id),
      );
    } else {out.set(c.record.name, [...list, {
        ...c.record,
        id: `new-${id++}`,
      }]);}
  }
  return out;
}

function groups(input: PlanInput, after: Map<string, DnsRecord[]>) {
  return NAMES.flatMap((name) =>
    (["A", "AAAA"] as const).map((type) => {
      const ips = input.ips.filter((ip) => recordTypeOf(ip) === type);
      const published = new Set(
        (after.get(name) ?? []).filter((r) => r.type === type).map((r) =>
          r.content
        ),
      );
      return {
        name,
        type,
        ips,
        present: ips.filter((ip) => published.has(ip)),
      };
    }).filter((g) => g.ips.length > 0)
  );
}

Deno.test("planChanges() never leaves more than floor(fraction × N) IPs absent", () => {
  fc.assert(fc.property(arbInput, (input) => {
    for (const g of groups(input, applied(input))) {
      const cap = Math.floor(
        input.guards.maxRemovalsFraction * g.ips.length + 1e-9,
      );
      assert.ok(g.ips.length - g.present.length <= cap, `${g.name} ${g.type}`);
    }
  }));
});

Deno.test("planChanges() keeps at least min_records per name and family, and all when all are down", () => {
  fc.assert(fc.property(arbInput, (input) => {
    for (const g of groups(input, applied(input))) {
      assert.ok(
        g.present.length >= Math.min(g.ips.length, input.guards.minRecords),
      );
      if (g.ips.every((ip) => input.down.has(ip))) {
        assert.equal(g.present.length, g.ips.length);
      }
    }
  }));
});

Deno.test("planChanges() never touches unmanaged records and converges in one pass", () => {
  fc.assert(fc.property(arbInput, (input) => {
    const plan = planChanges(input);
    assert.ok(plan.changes.every((c) => input.ips.includes(c.record.content)));
    const after = applied(input);
    assert.ok(after.get("www.example.com")!.some((r) => r.id === "other"));
    assert.deepEqual(planChanges({ ...input, current: after }).changes, []);
  }));
});

Deno.test("planChanges() publishes every IP whose intent is present", () => {
  fc.assert(fc.property(arbInput, (input) => {
    for (const g of groups(input, applied(input))) {
      for (const ip of g.ips) {
        if (input.intents.get(ip) === "present") {
          assert.ok(g.present.includes(ip), `${ip} on ${g.name}`);
        }
      }
    }
  }));
});
