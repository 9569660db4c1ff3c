import assert from "node:assert/strict";
import { stopWithin } from "../../lib/agent/monitor_command.ts";
import { type Clock, ManualClock } from "../../lib/observe/clock.ts";

/** A manual clock that remembers the signal of every sleep. */
function watchedClock(): { clock: ManualClock; signals: AbortSignal[] } {
  const clock = new ManualClock();
  const signals: AbortSignal[] = [];
  const sleep: Clock["sleep"] = (ms, signal) => {
    if (signal) signals.push(signal);
    return ManualClock.prototype.sleep.call(clock, ms, signal);
  };
  clock.sleep = sleep;
  return { clock, signals };
}

Deno.test("stopWithin() returns true and cancels its deadline when the work settles first", async () => {
  // A deadline left running kept every stopped monitor alive for 1.5 s.
  const { clock, signals } = watchedClock();
  assert.equal(await stopWithin(Promise.resolve(), 1500, clock), true);
  assert.equal(
    await stopWithin(Promise.reject(new Error("x")), 1500, clock),
    true,
  );
  assert.equal(signals.length, 2);
  assert.ok(signals.every((s) => s.aborted), "deadline timer left running");
});

Deno.test("stopWithin() returns false when the deadline passes first", async () => {
  const { clock } = watchedClock();
  const never = Promise.withResolvers<void>();
  const result = stopWithin(never.promise, 1500, clock);
  clock.advance(1500);
  assert.equal(await result, false);
  never.resolve();
});
