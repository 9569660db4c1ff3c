import assert from "node:assert/strict";
import fc from "fast-check";
import { DeadlineHeap } from "../../lib/probe/deadline_heap.ts";

Deno.test("DeadlineHeap() pops the smallest deadline first, ties in push order", () => {
  const h = new DeadlineHeap(16);
  assert.equal(h.peekDeadline(), Infinity);
  h.push(30, 1);
  h.push(10, 2);
  h.push(20, 3);
  h.push(10, 4);
  const out: [number, number][] = [];
  while (h.size > 0) {
    out.push([h.peekDeadline(), h.peekKey()]);
    h.pop();
  }
  assert.deepEqual(out, [[10, 2], [10, 4], [20, 3], [30, 1]]);
  h.pop();
  assert.equal(h.size, 0, "pop on empty is a no-op");
});

Deno.test("DeadlineHeap() agrees with a stable sort for any pushes and pops", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ push: fc.integer({ min: 0, max: 50 }) }),
          fc.constant({ pop: true as const }),
        ),
        { maxLength: 300 },
      ),
      (ops) => {
        const h = new DeadlineHeap(16);
        let model: { d: number; k: number }[] = [];
        let key = 0;
        for (const op of ops) {
          if ("push" in op) {
            h.push(op.push, key);
            model.push({ d: op.push, k: key++ });
            model = model.sort((a, b) => a.d - b.d || a.k - b.k);
          } else {
            h.pop();
            model.shift();
          }
          assert.equal(h.size, model.length);
          assert.equal(h.peekDeadline(), model[0]?.d ?? Infinity);
          if (model[0]) assert.equal(h.peekKey(), model[0].k);
        }
      },
    ),
  );
});

Deno.test("DeadlineHeap() clear() forgets every entry", () => {
  const h = new DeadlineHeap(16);
  for (let i = 0; i < 40; i++) h.push(i, i);
  h.clear();
  assert.equal(h.size, 0);
  assert.equal(h.peekDeadline(), Infinity);
});
