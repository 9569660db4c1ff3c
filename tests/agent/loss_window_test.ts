import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LossWindow } from "../../lib/agent/loss_window.ts";

Deno.test("LossWindow.loss() is the share lost in the last minute", () => {
  const w = new LossWindow();
  assertEquals(w.loss("192.0.2.1", 0), null);
  for (let t = 0; t < 10_000; t += 1000) {
    w.record("192.0.2.1", t % 2000 === 0, t);
  }
  assertEquals(w.loss("192.0.2.1", 10_000), 0.5);
});

Deno.test("LossWindow.loss() forgets outcomes older than a minute", () => {
  const w = new LossWindow();
  for (let t = 0; t < 5_000; t += 1000) w.record("192.0.2.1", false, t);
  for (let t = 70_000; t < 75_000; t += 1000) w.record("192.0.2.1", true, t);
  assertEquals(w.loss("192.0.2.1", 75_000), 0);
  assertEquals(w.loss("192.0.2.1", 200_000), null);
});

Deno.test("LossWindow.retain() drops IPs no longer watched", () => {
  const w = new LossWindow();
  w.record("192.0.2.1", true, 0);
  w.record("192.0.2.2", true, 0);
  w.retain(["192.0.2.2"]);
  assertEquals(w.loss("192.0.2.1", 0), null);
  assertEquals(w.loss("192.0.2.2", 0), 0);
});
