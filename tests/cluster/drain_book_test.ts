/**
 * The drain book (lib/cluster/drain_book.ts): last writer by version wins
 * whatever the order entries arrive in, a lift beats the drain it lifts,
 * and heartbeats' drains are validated.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  DrainBook,
  type DrainEntry,
  MAX_DRAIN_ENTRIES,
  parseDrainEntries,
} from "../../lib/cluster/drain_book.ts";
import { parseHeartbeat } from "../../lib/cluster/types.ts";

const IP = "192.0.2.1";

Deno.test("DrainBook drains, lifts, and versions each change above the last and the clock", () => {
  const book = new DrainBook();
  const d = book.draft(
    { pool: "default", ip: IP, drained: true, reason: "x" },
    "a",
    1000,
  );
  assertEquals(d.v, 1000);
  book.merge([d]);
  assertEquals(book.drainedIps("default"), new Set([IP]));
  assertEquals(book.get("default", IP)?.reason, "x");
  // A clock behind the held version still makes a newer one.
  const lift = book.draft(
    { pool: "default", ip: IP, drained: false, reason: null },
    "b",
    5,
  );
  assertEquals(lift.v, 1001);
  book.merge([lift]);
  assertEquals(book.get("default", IP), null);
  assertEquals(book.drainedIps("default"), new Set());
  assertEquals(book.drainedIps("other"), new Set());
});

Deno.test("DrainBook.merge() holds the same book whatever the order, and a late old drain does not come back", () => {
  const drain: DrainEntry = {
    pool: "default",
    ip: IP,
    v: 10,
    by: "a",
    drained: true,
    reason: "r",
    at: 10,
  };
  const lift: DrainEntry = {
    ...drain,
    v: 11,
    by: "b",
    drained: false,
    reason: null,
  };
  const tie: DrainEntry = { ...drain, v: 11, by: "c" };
  const orders = [[drain, lift, tie], [tie, lift, drain], [lift, drain, tie], [
    drain,
    tie,
    lift,
  ]];
  const books = orders.map((o) => {
    const b = new DrainBook();
    for (const e of o) b.merge([e]);
    return b.entries();
  });
  for (const b of books) assertEquals(b, books[0]);
  // At equal versions the higher maker wins: c's drain over b's lift.
  assertEquals(books[0]![0]!.by, "c");
  const b = new DrainBook([lift]);
  assertEquals(b.merge([drain]), []);
  assertEquals(b.get("default", IP), null);
});

Deno.test("DrainBook keeps every drain in force and drops the oldest lifts past the cap", () => {
  const entries: DrainEntry[] = [];
  for (let i = 0; i < MAX_DRAIN_ENTRIES + 10; i++) {
    entries.push({
      pool: "default",
      ip: `198.51.100.${i}`,
      v: i + 1,
      by: "a",
      drained: i % 2 === 0,
      reason: null,
      at: 0,
    });
  }
  const book = new DrainBook(entries);
  assertEquals(book.entries().length, MAX_DRAIN_ENTRIES);
  assertEquals(book.drainedIps("default").size, 55);
  assert(
    !book.entries().some((e) => e.ip === "198.51.100.1"),
    "the oldest lift went first",
  );
});

Deno.test("parseDrainEntries() accepts what the book sends and refuses anything else", () => {
  const good: DrainEntry = {
    pool: "default",
    ip: IP,
    v: 1,
    by: "a",
    drained: true,
    reason: null,
    at: 5,
  };
  assertEquals(parseDrainEntries(undefined), { ok: true, value: [] });
  assertEquals(parseDrainEntries([good]), { ok: true, value: [good] });
  const bad: unknown[] = [
    {},
    [{ ...good, v: -1 }],
    [{ ...good, v: 1.5 }],
    [{ ...good, pool: "" }],
    [{ ...good, ip: "x".repeat(65) }],
    [{ ...good, by: 3 }],
    [{ ...good, drained: "yes" }],
    [{ ...good, reason: 5 }],
    [{ ...good, reason: "r".repeat(201) }],
    [{ ...good, at: null }],
    [null],
    new Array(MAX_DRAIN_ENTRIES + 1).fill(good),
  ];
  for (const v of bad) {
    assertEquals(
      parseDrainEntries(v).ok,
      false,
      JSON.stringify(v)?.slice(0, 80),
    );
  }
});

Deno.test("parseHeartbeat() carries a drain book and refuses a bad one", () => {
  const hb = {
    from: "198.51.100.1:7947",
    boot: 1,
    seq: 1,
    sentAt: 1,
    view: {},
  };
  const good: DrainEntry = {
    pool: "default",
    ip: IP,
    v: 1,
    by: "a",
    drained: true,
    reason: "r",
    at: 5,
  };
  const parsed = parseHeartbeat({ ...hb, drains: [good] });
  assert(parsed.ok);
  assertEquals(parsed.value.drains, [good]);
  const none = parseHeartbeat(hb);
  assert(none.ok);
  assertEquals(none.value.drains, undefined);
  assertEquals(parseHeartbeat({ ...hb, drains: [{ ...good, v: "1" }] }), {
    ok: false,
    error: 'bad "drains" entry',
  });
});
