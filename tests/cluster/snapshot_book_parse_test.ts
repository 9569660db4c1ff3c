/**
 * What a peer's `snapshots` field may hold (lib/cluster/snapshot_book.ts
 * `parseBookEntries()`), field by field and at each length limit, and the
 * order `newer()` gives versions.
 */
import assert from "node:assert/strict";
import { recordKey } from "../../lib/dns/provider.ts";
import {
  type BookEntry,
  newer,
  parseBookEntries,
} from "../../lib/cluster/snapshot_book.ts";

const RECORD = {
  type: "A",
  name: "www.example.com",
  content: "192.0.2.1",
  ttl: 1,
  proxied: false,
  comment: null,
  tags: [],
};

/** One wire entry whose key matches its record, with fields changed. */
function wire(
  record: Record<string, unknown> | null,
  entry: Record<string, unknown> = {},
): Record<string, unknown> {
  const key = record === null
    ? "www.example.com|A|192.0.2.1"
    : recordKey(record as { name: string; type: "A"; content: string });
  return { key, v: 7, by: "198.51.100.1:7947", record, ...entry };
}

const BAD_ENTRY = { ok: false, error: 'bad "snapshots" entry' };

Deno.test("parseBookEntries() refuses each malformed field alone", () => {
  const refused: [string, unknown][] = [
    ["entry not an object", ["x"]],
    ["entry null", [null]],
    ["entry a list", [[wire(RECORD)]]],
    ["key not a string", [wire(RECORD, { key: 5 })]],
    ["key of 401 characters", [wire(null, { key: "k".repeat(401) })]],
    ["version a float", [wire(RECORD, { v: 1.5 })]],
    ["version a string", [wire(RECORD, { v: "7" })]],
    ["version negative", [wire(RECORD, { v: -1 })]],
    ["by not a string", [wire(RECORD, { by: 1 })]],
    ["by empty", [wire(RECORD, { by: "" })]],
    ["by of 301 characters", [wire(RECORD, { by: "b".repeat(301) })]],
    ["record a list", [wire(null, { record: [RECORD] })]],
    ["record a string", [wire(null, { record: "A" })]],
    ["type CNAME", [wire({ ...RECORD, type: "CNAME" })]],
    ["type missing", [wire({ ...RECORD, type: undefined })]],
    ["name not a string", [wire(null, { record: { ...RECORD, name: 5 } })]],
    ["name empty", [wire({ ...RECORD, name: "" })]],
    ["name of 256 characters", [wire({ ...RECORD, name: "n".repeat(256) })]],
    ["content not a string", [
      wire(null, { record: { ...RECORD, content: 1 } }),
    ]],
    ["content of 65 characters", [
      wire({ ...RECORD, content: "1".repeat(65) }),
    ]],
    ["ttl negative", [wire({ ...RECORD, ttl: -1 })]],
    ["ttl a string", [wire({ ...RECORD, ttl: "1" })]],
    ["proxied a string", [wire({ ...RECORD, proxied: "false" })]],
    ["comment a number", [wire({ ...RECORD, comment: 1 })]],
    ["tags not a list", [wire({ ...RECORD, tags: "a" })]],
    ["101 tags", [wire({ ...RECORD, tags: Array(101).fill("t") })]],
    ["a tag not a string", [wire({ ...RECORD, tags: ["a", 1] })]],
    ["key of another record", [
      wire(RECORD, { key: "www.example.com|A|192.0.2.2" }),
    ]],
  ];
  for (const [what, raw] of refused) {
    assert.deepEqual(parseBookEntries(raw), BAD_ENTRY, what);
  }
  const listError = {
    ok: false,
    error: '"snapshots" must be a list of at most 1000',
  };
  assert.deepEqual(parseBookEntries({}), listError);
  assert.deepEqual(parseBookEntries(Array(1001).fill(wire(RECORD))), listError);
});

Deno.test("parseBookEntries() takes every field at its limit, and drops the record id", () => {
  const longName = "n".repeat(255);
  const edge = {
    ...RECORD,
    type: "AAAA",
    name: longName,
    content: "2001:db8::1",
    ttl: 0,
    proxied: true,
    comment: "c",
    tags: Array(100).fill("t"),
    id: "cf-1",
  };
  const { id: _id, ...kept } = edge;
  const raw = [
    wire(edge, { v: 0, by: "b".repeat(300) }),
    wire(null, { key: "k".repeat(400), by: "b" }),
  ];
  assert.deepEqual(parseBookEntries(Array(1000).fill(raw[1])).ok, true);
  assert.deepEqual(parseBookEntries(raw), {
    ok: true,
    value: [
      {
        key: recordKey(edge as never),
        v: 0,
        by: "b".repeat(300),
        record: kept,
      },
      { key: "k".repeat(400), v: 7, by: "b", record: null },
    ],
  });
});

Deno.test("newer() orders by version, then node id, then record text", () => {
  const e = (v: number, by: string, content: string | null): BookEntry => ({
    key: "k",
    v,
    by,
    record: content === null ? null : { ...RECORD, type: "A", content },
  });
  const rows: [BookEntry, BookEntry, boolean][] = [
    [e(2, "a", "192.0.2.1"), e(1, "b", "192.0.2.9"), true],
    [e(1, "b", "192.0.2.9"), e(2, "a", "192.0.2.1"), false],
    [e(1, "b", "192.0.2.1"), e(1, "a", "192.0.2.9"), true],
    [e(1, "a", "192.0.2.9"), e(1, "b", "192.0.2.1"), false],
    [e(1, "a", "192.0.2.2"), e(1, "a", "192.0.2.1"), true],
    [e(1, "a", "192.0.2.1"), e(1, "a", "192.0.2.2"), false],
    [e(1, "a", "192.0.2.1"), e(1, "a", "192.0.2.1"), false],
    [e(1, "a", "192.0.2.1"), e(1, "a", null), true],
  ];
  for (const [a, b, want] of rows) {
    assert.equal(
      newer(a, b),
      want,
      `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
    );
  }
});
