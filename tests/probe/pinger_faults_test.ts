/**
 * The pinger under what real sockets do that the plain fake did not: the
 * wall clock stepping between a send and its reply, kernel transmit stamps
 * that arrive late, and a full send buffer (EAGAIN, ENOBUFS) in a burst.
 * @module
 */
import assert from "node:assert/strict";
import { setup } from "./pinger_fixture.ts";

for (const step of [3_600_000_000, -3_600_000_000]) {
  Deno.test(
    `Pinger() measures the RTT on the monotonic clock when the wall clock steps by ${
      step / 3_600_000_000
    } h`,
    async () => {
      const t = setup();
      try {
        t.pinger.setTargets(["192.0.2.1"]);
        t.pinger.start();
        await t.advance(1);
        t.v4.reply(0, { rttMicros: 2_000 });
        t.v4.stepWallClock(step);
        await t.advance(4, 4);
        assert.deepEqual(t.obs.map((o) => [o.ok, o.fault]), [[
          true,
          undefined,
        ]]);
        const rtt = t.obs[0]!.rttMicros!;
        assert.ok(rtt >= 2_000 && rtt <= 4_000, `rtt ${rtt} µs`);
        assert.equal(t.pinger.stats().clockSteps, 1);
      } finally {
        await t.pinger.stop();
      }
    },
  );
}

Deno.test("Pinger() uses the user-space send time while the kernel transmit stamp has not arrived", async () => {
  for (const [reportAfter, expected] of [[0, 950], [50_000, 1_000]]) {
    const t = setup({
      v4: { txDelayMicros: 50, txReportAfterMicros: reportAfter },
    });
    try {
      t.pinger.setTargets(["192.0.2.1"]);
      t.pinger.start();
      await t.advance(0.5);
      t.v4.reply(0, { rttMicros: 1_000 });
      await t.advance(2, 2);
      assert.deepEqual(t.obs.map((o) => o.rttMicros), [expected]);
    } finally {
      await t.pinger.stop();
    }
  }
});

Deno.test("Pinger() retries sends refused by a full buffer instead of reporting local faults", async () => {
  const t = setup({ v4: { autoReplyMicros: 300 } });
  try {
    t.v4.busy(2, "ENOBUFS");
    t.pinger.setTargets(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    t.pinger.start();
    await t.advance(990, 66);
    assert.deepEqual(t.obs.filter((o) => !o.ok), []);
    assert.deepEqual(t.obs.map((o) => o.ip).sort(), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
    ]);
    const stats = t.pinger.stats();
    assert.deepEqual([stats.localFaults, stats.deferred], [0, 2]);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reports a local fault when the buffer stays full for the whole timeout", async () => {
  const t = setup();
  try {
    t.v4.failures.set("192.0.2.1", "EAGAIN");
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(400, 40);
    assert.equal(t.obs.length, 0, "a local fault before the timeout");
    await t.advance(200, 20);
    assert.deepEqual(t.obs.map((o) => [o.fault, o.detail]), [[
      "local",
      "EAGAIN",
    ]]);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger.retry() probes again after retry_interval and waits at most that long", async () => {
  const t = setup({
    pinger: { timing: { intervalMs: 1000, timeoutMs: 500, retryMs: 100 } },
  });
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(1);
    assert.equal(t.v4.sent.length, 1);
    t.pinger.retry("192.0.2.1");
    t.pinger.retry("192.0.2.1"); // one pending at most
    await t.advance(98, 14);
    assert.equal(t.v4.sent.length, 1, "sent before retry_interval");
    await t.advance(10, 2);
    assert.equal(t.v4.sent.length, 2, "the confirming probe");
    // Its timeout is retry_interval (100 ms), not probe_timeout (500 ms);
    // the regular probe's own timeout (500 ms) has not passed yet.
    await t.advance(105, 15);
    assert.deepEqual(t.obs.map((o) => o.fault), ["timeout"]);
    // The next one goes out at once (the last send was over 100 ms ago),
    // and its reply is matched like any other.
    const sent = t.v4.sent.length;
    t.pinger.retry("192.0.2.1");
    await t.advance(5, 5);
    assert.equal(t.v4.sent.length, sent + 1);
    const last = t.v4.sent.length - 1;
    t.v4.reply(last, { rttMicros: 2_000 });
    await t.advance(5, 5);
    assert.deepEqual(t.obs.map((o) => o.ok), [false, true]);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger.retry() does nothing without retry_interval", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(1);
    t.pinger.retry("192.0.2.1");
    await t.advance(400, 40);
    assert.equal(t.v4.sent.length, 1);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reads replies that arrive close together in one wake-up, with their own RTTs", async () => {
  const t = setup({ pinger: { receiveQuantumMs: 5, spread: false } });
  try {
    t.pinger.setTargets(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    t.pinger.start();
    await t.advance(0.1);
    assert.equal(t.v4.sent.length, 3);
    t.v4.reply(0, { rttMicros: 1_000 });
    t.v4.reply(1, { rttMicros: 2_000 });
    t.v4.reply(2, { rttMicros: 3_000 });
    // After a quiet spell the first reply is read at once.
    await t.advance(1, 1);
    assert.deepEqual(t.obs.map((o) => o.rttMicros), [1_000]);
    // The next comes close behind: its wake-up waits the quantum, and the
    // third is read with it.
    await t.advance(1, 1);
    assert.equal(t.obs.length, 1, "read before the quantum ended");
    await t.advance(10, 10);
    assert.deepEqual(t.obs.map((o) => o.rttMicros), [1_000, 2_000, 3_000]);
    assert.equal(t.obs[1]!.at, t.obs[2]!.at, "one wake-up for both");
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() ends the receive loop of a socket closed under it, and the event loop keeps running", async () => {
  const t = setup();
  t.pinger.setTargets(["192.0.2.1"]);
  t.pinger.start();
  await t.advance(1);
  t.v4.close();
  // A loop spinning on a wait that returns at once would starve this timer.
  await new Promise((r) => setTimeout(r, 20));
  await t.pinger.stop();
});
