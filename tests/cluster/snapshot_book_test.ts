import assert from "node:assert/strict";
import fc from "fast-check";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";
import {
  type BookEntry,
  MAX_BOOK_ENTRIES,
  parseBookEntries,
  SnapshotBook,
  TOMBSTONE_MS,
} from "../../lib/cluster/snapshot_book.ts";

const NOW = 1_800_000_000_000;

function rec(content: string, over: Partial<DnsRecord> = {}): DnsRecord {
  return {
    type: content.includes(":") ? "AAAA" : "A",
    name: "www.example.com",
    content,
    ttl: 1,
    proxied: true,
    comment: "behind the WAF",
    tags: ["team:edge"],
    ...over,
  };
}

Deno.test("SnapshotBook carries a snapshot to a peer exactly, id removed", () => {
  const a = new SnapshotBook();
  const b = new SnapshotBook();
  a.put([{ ...rec("192.0.2.1"), id: "cf-1" }], "a", NOW);
  const merged = b.merge(a.entries(NOW), NOW + 5);
  assert.deepEqual(merged.stored.map((e) => e.record), [rec("192.0.2.1")]);
  assert.deepEqual(merged.dropped, []);
  assert.deepEqual(b.live().get(recordKey(rec("192.0.2.1"))), rec("192.0.2.1"));
  assert.deepEqual(b.merge(a.entries(NOW), NOW + 6), {
    stored: [],
    dropped: [],
  }, "the same entries again change nothing");
});

Deno.test("SnapshotBook: a tombstone removes the peer's copy, an old copy does not come back", () => {
  const a = new SnapshotBook();
  const b = new SnapshotBook();
  a.put([rec("192.0.2.1")], "a", NOW);
  const old = a.entries(NOW);
  b.merge(old, NOW);
  a.drop([recordKey(rec("192.0.2.1"))], "a", NOW + 10_000);
  assert.deepEqual(b.merge(a.entries(NOW + 10_000), NOW + 10_000), {
    stored: [],
    dropped: [recordKey(rec("192.0.2.1"))],
  });
  assert.equal(b.live().size, 0);
  assert.deepEqual(b.merge(old, NOW + 20_000).stored, [], "stale copy refused");
  assert.equal(b.live().size, 0);
});

Deno.test("SnapshotBook: a seeded (restarted) copy loses to any version a peer made", () => {
  const restarted = new SnapshotBook();
  restarted.seed(
    new Map([[recordKey(rec("192.0.2.1")), rec("192.0.2.1", { ttl: 300 })]]),
    new Map(),
    "b",
    NOW,
  );
  const peer = new SnapshotBook();
  peer.put([rec("192.0.2.1")], "a", NOW - 60_000);
  restarted.merge(peer.entries(NOW), NOW);
  assert.equal(restarted.live().get(recordKey(rec("192.0.2.1")))?.ttl, 1);
});

Deno.test("SnapshotBook: a snapshot taken after a restart beats the peers' older tombstone", () => {
  const peer = new SnapshotBook();
  peer.put([rec("192.0.2.1")], "a", NOW);
  peer.drop([recordKey(rec("192.0.2.1"))], "a", NOW + 1000);
  // b restarted with an empty disk: it knows no version, yet its new
  // snapshot (wall clock version) wins.
  const b = new SnapshotBook();
  b.put([rec("192.0.2.1", { comment: "new" })], "b", NOW + 60_000);
  peer.merge(b.entries(NOW + 60_000), NOW + 60_000);
  assert.equal(peer.live().get(recordKey(rec("192.0.2.1")))?.comment, "new");
  b.merge(peer.entries(NOW + 60_000), NOW + 60_000);
  assert.equal(b.live().size, 1, "b keeps its own snapshot");
});

Deno.test("SnapshotBook forgets tombstones after TOMBSTONE_MS, never snapshots", () => {
  const a = new SnapshotBook();
  a.put([rec("192.0.2.1"), rec("192.0.2.2")], "a", NOW);
  a.drop([recordKey(rec("192.0.2.1"))], "a", NOW);
  assert.equal(a.entries(NOW + TOMBSTONE_MS).length, 2);
  const later = a.entries(NOW + TOMBSTONE_MS + 1);
  assert.deepEqual(later.map((e) => e.record?.content), ["192.0.2.2"]);
});

Deno.test("SnapshotBook: agents that saw the same entries, in any order, hold the same book", () => {
  const ips = ["192.0.2.1", "192.0.2.2", "2001:db8::1"];
  const op = fc.record({
    agent: fc.integer({ min: 0, max: 2 }),
    ip: fc.constantFrom(...ips),
    drop: fc.boolean(),
    ttl: fc.constantFrom(1, 300),
    at: fc.integer({ min: 0, max: 5 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.integer(), (ops, seed) => {
      const makers = [0, 1, 2].map(() => new SnapshotBook());
      const all: BookEntry[] = [];
      for (const o of ops) {
        const book = makers[o.agent]!;
        const at = NOW + o.at * 1000;
        const made = o.drop
          ? book.drop([recordKey(rec(o.ip))], `n${o.agent}`, at)
          : book.put([rec(o.ip, { ttl: o.ttl })], `n${o.agent}`, at);
        all.push(...made);
      }
      const shuffled = [...all].sort((x, y) =>
        ((x.v * 31 + seed) % 7) - ((y.v * 31 + seed) % 7)
      );
      const one = new SnapshotBook();
      const two = new SnapshotBook();
      one.merge(all, NOW);
      for (const e of shuffled) two.merge([e], NOW);
      assert.deepEqual(
        [...two.live()].sort(),
        [...one.live()].sort(),
      );
    }),
  );
});

Deno.test("SnapshotBook seeded with saved versions keeps the newer record over an older copy", () => {
  const key = recordKey(rec("192.0.2.1"));
  const b = new SnapshotBook();
  b.seed(
    new Map([[key, rec("192.0.2.1", { comment: "newest" })]]),
    new Map([[key, { v: NOW + 60_000, by: "a" }]]),
    "b",
    NOW + 120_000,
  );
  const stale = new SnapshotBook();
  stale.seed(new Map([[key, rec("192.0.2.1")]]), new Map(), "z", NOW);
  b.merge(stale.entries(NOW), NOW + 120_000);
  assert.equal(b.live().get(key)?.comment, "newest");
});

Deno.test("SnapshotBook sends at most MAX_BOOK_ENTRIES, snapshots before tombstones", () => {
  const a = new SnapshotBook();
  const many = Array.from(
    { length: MAX_BOOK_ENTRIES + 5 },
    (_, i) => rec(`2001:db8::${i.toString(16)}`),
  );
  a.put(many, "a", NOW);
  a.drop([recordKey(many[0]!)], "a", NOW + 1);
  const sent = a.entries(NOW + 2);
  assert.equal(sent.length, MAX_BOOK_ENTRIES);
  assert.ok(sent.every((e) => e.record !== null), "tombstones go last");
  assert.ok(parseBookEntries(JSON.parse(JSON.stringify(sent))).ok);
});

Deno.test("parseBookEntries() accepts what a book sends and refuses the rest", () => {
  const a = new SnapshotBook();
  a.put([rec("192.0.2.1")], "a", NOW);
  a.put([rec("192.0.2.2")], "a", NOW);
  a.drop([recordKey(rec("192.0.2.2"))], "a", NOW);
  const wire = JSON.parse(JSON.stringify(a.entries(NOW)));
  const ok = parseBookEntries(wire);
  assert.ok(ok.ok);
  assert.deepEqual(ok.value, a.entries(NOW));
  assert.deepEqual(parseBookEntries(undefined), { ok: true, value: [] });
  const good = wire[0];
  const bad: unknown[] = [
    "x",
    [{ ...good, v: -1 }],
    [{ ...good, by: "" }],
    [{ ...good, key: "other|A|192.0.2.9" }],
    [{ ...good, record: { ...good.record, type: "CNAME" } }],
    [{ ...good, record: { ...good.record, ttl: "1" } }],
    [{ ...good, record: { ...good.record, tags: [1] } }],
    Array.from({ length: 1001 }, () => good),
  ];
  for (const b of bad) {
    assert.equal(parseBookEntries(b).ok, false, JSON.stringify(b).slice(0, 80));
  }
});

Deno.test("parseBookEntries() carries settings and private_routing and refuses malformed ones", () => {
  const a = new SnapshotBook();
  const r = rec("192.0.2.1", {
    settings: { ipv6_only: true },
    privateRouting: true,
  });
  a.put([r], "a", NOW);
  const wire = JSON.parse(JSON.stringify(a.entries(NOW)));
  const ok = parseBookEntries(wire);
  assert.ok(ok.ok);
  assert.deepEqual(ok.value[0]?.record, r);
  const good = wire[0];
  for (
    const record of [
      { ...good.record, settings: [1] },
      { ...good.record, settings: "ipv6_only" },
      { ...good.record, privateRouting: "yes" },
    ]
  ) {
    assert.equal(parseBookEntries([{ ...good, record }]).ok, false);
  }
});
