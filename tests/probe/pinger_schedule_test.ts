import assert from "node:assert/strict";
import { setup } from "./pinger_fixture.ts";

Deno.test("Pinger() spreads sends across the interval instead of bursting", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]);
    const start = t.clock.monotonicMicros();
    t.pinger.start();
    await t.advance(1000, 100);
    const offsets = t.v4.sent.slice(0, 5).map((s) =>
      (s.sentMicros - start) / 1000
    );
    assert.deepEqual(offsets, [0, 250, 500, 750, 1000]);
    assert.deepEqual(t.v4.sent.slice(0, 4).map((s) => s.ip), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
      "192.0.2.4",
    ]);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() setTargets() adds and removes targets while running", async () => {
  const t = setup({ v4: { autoReplyMicros: 100 } });
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(1000, 10);
    t.pinger.setTargets(["192.0.2.2"]);
    t.obs.length = 0;
    const before = t.v4.sent.length;
    await t.advance(2000, 20);
    const ips = new Set(t.v4.sent.slice(before).map((s) => s.ip));
    assert.deepEqual([...ips], ["192.0.2.2"]);
    assert.ok(t.obs.length >= 1);
    assert.ok(t.obs.every((o) => o.ip === "192.0.2.2" && o.ok));
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() drops observations of a target removed with a probe in flight", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(10);
    t.pinger.setTargets([]);
    await t.advance(1000, 4);
    assert.deepEqual(t.obs, []);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() setTiming() changes the interval from then on", async () => {
  const t = setup({ v4: { autoReplyMicros: 100 } });
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(10);
    t.pinger.setTiming({ intervalMs: 200, timeoutMs: 100 });
    await t.advance(1000, 50);
    assert.ok(t.v4.sent.length >= 5, `sent ${t.v4.sent.length}`);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() does not send when it has no targets and stops promptly", async () => {
  const t = setup();
  t.pinger.start();
  t.pinger.start();
  await t.advance(5000, 5);
  assert.equal(t.v4.sent.length + t.v6.sent.length, 0);
  await t.pinger.stop();
  await t.pinger.stop();
  assert.deepEqual(t.pinger.stats(), {
    sent: 0,
    received: 0,
    late: 0,
    timeouts: 0,
    localFaults: 0,
    deferred: 0,
    clockSteps: 0,
  });
});
