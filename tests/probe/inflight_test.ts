import assert from "node:assert/strict";
import { InflightTable } from "../../lib/probe/inflight.ts";

Deno.test("InflightTable() take() matches a pending probe once", () => {
  const t = new InflightTable<string>(16);
  t.add(7, "a", 100, 1000);
  const r = t.take(7);
  assert.equal(r.kind, "match");
  assert.equal(r.kind === "match" && r.entry.target, "a");
  assert.deepEqual(t.take(7), { kind: "unknown" }, "duplicate");
  assert.deepEqual(t.take(8), { kind: "unknown" }, "never sent");
});

Deno.test("InflightTable() take() leaves the probe pending when accept() rejects", () => {
  const t = new InflightTable<string>(16);
  t.add(1, "a", 0, 10);
  assert.deepEqual(t.take(1, () => false), { kind: "unknown" });
  assert.equal(t.take(1).kind, "match");
});

Deno.test("InflightTable() expire() times out in send order and take() then reports late once", () => {
  const t = new InflightTable<string>(16);
  t.add(1, "a", 0, 10);
  t.add(2, "b", 0, 20);
  t.add(3, "c", 0, 30);
  t.take(2);
  const expired: string[] = [];
  t.expire(25, (e) => expired.push(e.target!));
  assert.deepEqual(expired, ["a"]);
  assert.equal(t.nextDeadline(), 30);
  assert.deepEqual(t.take(1), { kind: "late" });
  assert.deepEqual(t.take(1), { kind: "unknown" });
  t.expire(100, (e) => expired.push(e.target!));
  assert.deepEqual(expired, ["a", "c"]);
  assert.equal(t.nextDeadline(), Infinity);
});

Deno.test("InflightTable() grows when every slot is in flight and keeps entries", () => {
  const t = new InflightTable<number>(16);
  for (let i = 0; i < 100; i++) t.add(i, i, 0, 1000 + i);
  assert.ok(t.capacity >= 100);
  for (let i = 0; i < 100; i++) {
    const r = t.take(i);
    assert.ok(r.kind === "match" && r.entry.target === i, `probe ${i}`);
  }
});

Deno.test("InflightTable() handles probe numbers wrapping past 2^32", () => {
  const t = new InflightTable<string>(16);
  t.add(0xffff_ffff, "a", 0, 10);
  t.add(0, "b", 0, 20);
  const expired: string[] = [];
  t.expire(50, (e) => expired.push(e.target!));
  assert.deepEqual(expired, ["a", "b"]);
});

Deno.test("InflightTable() forgets an expired probe once its slot is reused", () => {
  const t = new InflightTable<string>(16);
  t.add(0, "old", 0, 1);
  t.expire(5, () => {});
  for (let i = 1; i <= 16; i++) t.add(i, "new", 0, 100);
  assert.deepEqual(t.take(0), { kind: "unknown" });
});
