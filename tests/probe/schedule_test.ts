import assert from "node:assert/strict";
import { SpreadSchedule } from "../../lib/probe/schedule.ts";

Deno.test("SpreadSchedule() spaces items evenly over the interval", () => {
  const s = new SpreadSchedule<string>(1000);
  s.setItems(["a", "b", "c", "d"], 0);
  s.start(0);
  const seen: [number, string[]][] = [];
  for (let t = 0; t <= 1000; t += 125) seen.push([t, s.takeDue(t)]);
  assert.deepEqual(seen.filter(([, x]) => x.length > 0), [
    [0, ["a"]],
    [250, ["b"]],
    [500, ["c"]],
    [750, ["d"]],
    [1000, ["a"]],
  ]);
});

Deno.test("SpreadSchedule() takeDue() catches up without exceeding one round per call", () => {
  const s = new SpreadSchedule<number>(1000);
  s.setItems([1, 2, 3], 0);
  s.start(0);
  assert.deepEqual(s.takeDue(1500), [1, 2, 3, 1, 2]);
  assert.equal(s.nextDueMicros(), 1000 + 2000 / 3);
  assert.deepEqual(s.takeDue(10_000), [1], "restarts after a stall");
});

Deno.test("SpreadSchedule() nextDueMicros() is Infinity when empty", () => {
  const s = new SpreadSchedule<number>(1000);
  s.start(0);
  assert.equal(s.nextDueMicros(), Infinity);
  assert.deepEqual(s.takeDue(5000), []);
});

Deno.test("SpreadSchedule() setInterval() applies to the current round", () => {
  const s = new SpreadSchedule<string>(1000);
  s.setItems(["a"], 0);
  s.start(0);
  s.takeDue(0);
  s.setInterval(200);
  assert.equal(s.nextDueMicros(), 200);
});

Deno.test("SpreadSchedule() setItems() keeps the position within the round", () => {
  const s = new SpreadSchedule<string>(1000);
  s.setItems(["a", "b"], 0);
  s.start(0);
  s.takeDue(0);
  s.setItems(["a", "b", "c", "d"], 500);
  assert.deepEqual(s.takeDue(500), ["c"]);
  assert.deepEqual(s.takeDue(999), ["d"]);
});

Deno.test("SpreadSchedule() without spread makes a whole round due at once", () => {
  const s = new SpreadSchedule<number>(1000, false);
  s.setItems([1, 2, 3], 0);
  s.start(0);
  assert.deepEqual(s.takeDue(0), [1, 2, 3]);
  assert.equal(s.nextDueMicros(), 1000);
  assert.deepEqual(s.takeDue(999), []);
  assert.deepEqual(s.takeDue(1000), [1, 2, 3]);
});
