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
  const late = t.take(1);
  assert.equal(late.kind, "late");
  assert.equal(late.kind === "late" && late.entry.target, "a");
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

Deno.test("InflightTable() expire() follows deadlines, not send order, when timeouts differ", () => {
  const t = new InflightTable<string>(16);
  // Sent in this order, each with its own timeout.
  t.add(1, "slow", 0, 1000);
  t.add(2, "fast", 10, 60);
  t.add(3, "mid", 20, 300);
  t.add(4, "fast-too", 30, 60);
  t.add(5, "answered", 40, 50);
  t.take(5);
  assert.equal(t.nextDeadline(), 60, "the answered probe does not count");
  const expired: string[] = [];
  t.expire(59, (e) => expired.push(e.target!));
  assert.equal(expired.length, 0);
  t.expire(60, (e) => expired.push(e.target!));
  assert.deepEqual(
    expired,
    ["fast", "fast-too"],
    "equal deadlines in send order",
  );
  assert.equal(t.nextDeadline(), 300);
  t.expire(999, (e) => expired.push(e.target!));
  assert.deepEqual(expired, ["fast", "fast-too", "mid"]);
  t.expire(1000, (e) => expired.push(e.target!));
  assert.deepEqual(expired, ["fast", "fast-too", "mid", "slow"]);
  assert.equal(t.nextDeadline(), Infinity);
});

Deno.test("InflightTable() expire() matches a sorted oracle over random deadlines", () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t = new InflightTable<number>(16);
  const sent: { probe: number; deadline: number; answered: boolean }[] = [];
  for (let i = 0; i < 500; i++) {
    const deadline = Math.floor(random() * 100);
    t.add(i, i, 0, deadline);
    const answered = random() < 0.3;
    if (answered) t.take(i);
    sent.push({ probe: i, deadline, answered });
  }
  const expired: number[] = [];
  for (let now = 0; now < 112; now += 7) {
    t.expire(now, (e) => expired.push(e.probe));
  }
  const want = sent.filter((s) => !s.answered)
    .sort((a, b) => a.deadline - b.deadline || a.probe - b.probe)
    .map((s) => s.probe);
  // Expiry runs in steps of 7: within a step, deadline then send order.
  assert.deepEqual(
    [...expired].sort((a, b) => a - b),
    [...want].sort((a, b) => a - b),
    "every unanswered probe expires once",
  );
  const step = (p: number) => Math.ceil(sent[p]!.deadline / 7);
  for (let i = 1; i < expired.length; i++) {
    const a = sent[expired[i - 1]!]!, b = sent[expired[i]!]!;
    assert.ok(
      step(a.probe) < step(b.probe) || a.deadline < b.deadline ||
        (a.deadline === b.deadline && a.probe < b.probe),
      `probe ${a.probe} (${a.deadline}) before ${b.probe} (${b.deadline})`,
    );
  }
});

Deno.test("InflightTable() keeps deadline order across a grow", () => {
  const t = new InflightTable<number>(16);
  for (let i = 0; i < 40; i++) t.add(i, i, 0, 1000 - i);
  const expired: number[] = [];
  t.expire(2000, (e) => expired.push(e.target!));
  assert.deepEqual(expired, Array.from({ length: 40 }, (_, i) => 39 - i));
});
