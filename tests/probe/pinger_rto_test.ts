/**
 * The pinger with adaptive timing: each target's timeout follows its RTT
 * (lib/probe/rto.ts), misses back off, late replies are samples, and
 * deadlines of mixed lengths expire in deadline order.
 * @module
 */
import assert from "node:assert/strict";
import type { ProbeTiming } from "../../lib/probe/types.ts";
import { setup } from "./pinger_fixture.ts";

const ADAPTIVE: ProbeTiming = {
  intervalMs: 1000,
  timeoutMs: 1000,
  adaptive: true,
};

type Fixture = ReturnType<typeof setup>;

/**
 * Answers every send not answered yet with its target's RTT (µs); a target
 * mapped to null stays silent.
 */
function answerer(t: Fixture, rtts: Record<string, number | null>) {
  let next = 0;
  return () => {
    for (; next < t.v4.sent.length; next++) {
      const rtt = rtts[t.v4.sent[next]!.ip];
      if (rtt !== null && rtt !== undefined) {
        t.v4.reply(next, { rttMicros: rtt });
      }
    }
  };
}

/** Advances `ms` in `stepMs` slices, answering sends after each. */
async function run(t: Fixture, ms: number, answer: () => void, stepMs = 5) {
  for (let done = 0; done < ms; done += stepMs) {
    answer();
    await t.advance(stepMs);
  }
  answer();
}

/** @returns ms from the send of `ip`'s last probe to its timeout observation. */
function waited(t: Fixture, ip: string): number {
  const sends = t.v4.sent.filter((s) => s.ip === ip);
  const last = t.obs.filter((o) => o.ip === ip).at(-1)!;
  assert.equal(last.fault, "timeout", `${ip} timed out`);
  return last.at - sends.at(-1)!.sentMono / 1000;
}

Deno.test("Pinger() with adaptive timing waits the fixed timeout until 3 replies, then the target's RTO", async () => {
  const t = setup({ pinger: { timing: ADAPTIVE } });
  const ip = "192.0.2.1";
  const rtts: Record<string, number | null> = { [ip]: 10_000 };
  const answer = answerer(t, rtts);
  try {
    t.pinger.setTargets([ip]);
    t.pinger.start();
    await t.advance(1);
    assert.equal(t.pinger.probeTimeoutMicros(ip), 1_000_000, "cold");
    assert.equal(t.pinger.probeTimeoutMicros("192.0.2.99"), null);
    await run(t, 2100, answer, 50);
    assert.deepEqual(t.obs.map((o) => o.ok), [true, true, true]);
    // SRTT 10 ms, RTTVAR 2.8 ms: 21 ms, raised to the 50 ms floor.
    assert.equal(t.pinger.probeTimeoutMicros(ip), 50_000);
    rtts[ip] = null;
    await run(t, 900, answer, 30);
    await run(t, 100, answer, 4);
    const w = waited(t, ip);
    assert.ok(w >= 50 && w <= 60, `the 4th probe waited ${w} ms`);
    assert.equal(t.pinger.probeTimeoutMicros(ip), 100_000, "backed off");
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() times out a fast target before a slow one sent earlier", async () => {
  const t = setup({ pinger: { timing: ADAPTIVE, spread: false } });
  const slow = "192.0.2.2", fast = "192.0.2.1";
  const rtts: Record<string, number | null> = {
    [slow]: 200_000,
    [fast]: 10_000,
  };
  const answer = answerer(t, rtts);
  try {
    t.pinger.setTargets([slow, fast]); // the slow one is sent first
    t.pinger.start();
    await run(t, 2500, answer, 50);
    assert.equal(t.obs.filter((o) => o.ok).length, 6);
    // 200 ms: SRTT 200 ms, RTTVAR 56.25 ms → 425 ms.
    assert.equal(t.pinger.probeTimeoutMicros(slow), 425_000);
    assert.equal(t.pinger.probeTimeoutMicros(fast), 50_000);
    rtts[slow] = rtts[fast] = null;
    await run(t, 500, answer, 25);
    await run(t, 100, answer, 4);
    await run(t, 300, answer, 25);
    await run(t, 100, answer, 4);
    const order = t.obs.filter((o) => !o.ok).map((o) => o.ip);
    assert.deepEqual(order, [fast, slow]);
    const [wf, ws] = [waited(t, fast), waited(t, slow)];
    assert.ok(wf >= 50 && wf <= 60, `fast waited ${wf} ms`);
    assert.ok(ws >= 425 && ws <= 435, `slow waited ${ws} ms`);
    const sends = t.v4.sent.slice(-2).map((s) => s.ip);
    assert.deepEqual(sends, [slow, fast], "sent in this order");
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() takes a late reply as a sample, so the next probe waits long enough", async () => {
  const t = setup({ pinger: { timing: ADAPTIVE } });
  const ip = "192.0.2.1";
  const rtts: Record<string, number | null> = { [ip]: 10_000 };
  const answer = answerer(t, rtts);
  try {
    t.pinger.setTargets([ip]);
    t.pinger.start();
    await run(t, 2900, answer, 50);
    assert.equal(t.pinger.probeTimeoutMicros(ip), 50_000);
    rtts[ip] = 300_000; // the path slows down thirtyfold
    await run(t, 1000, answer, 20);
    assert.deepEqual(t.obs.map((o) => o.ok), [true, true, true, false]);
    assert.equal(t.pinger.stats().late, 1);
    // RFC 6298 on 10, 10, 10 then 300 ms: 344.7 ms, past that RTT.
    assert.equal(t.pinger.probeTimeoutMicros(ip), 344_688);
    await run(t, 400, answer, 20);
    assert.deepEqual(t.obs.map((o) => o.ok), [true, true, true, false, true]);
    assert.equal(t.obs.at(-1)!.rttMicros, 300_000);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger.retry() with adaptive timing waits min(retry_interval, RTO)", async () => {
  const t = setup({ pinger: { timing: { ...ADAPTIVE, retryMs: 200 } } });
  const ip = "192.0.2.1";
  const rtts: Record<string, number | null> = { [ip]: 10_000 };
  const answer = answerer(t, rtts);
  try {
    t.pinger.setTargets([ip]);
    t.pinger.start();
    await run(t, 2900, answer, 50);
    rtts[ip] = null;
    await run(t, 200, answer, 4); // the 4th probe times out after 50 ms
    assert.equal(t.obs.at(-1)!.fault, "timeout");
    t.pinger.retry(ip); // as the agent does after a first miss
    await run(t, 200, answer, 4);
    assert.equal(t.v4.sent.length, 5, "the confirming probe, 200 ms on");
    await run(t, 150, answer, 4);
    // Backed off once: 100 ms, below retry_interval (200 ms).
    const w = waited(t, ip);
    assert.ok(w >= 100 && w <= 110, `the retry waited ${w} ms`);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() with a fixed timeout ignores RTTs, and switching to adaptive uses what it learnt", async () => {
  const t = setup(); // timeoutMs 500, not adaptive
  const ip = "192.0.2.1";
  const rtts: Record<string, number | null> = { [ip]: 10_000 };
  const answer = answerer(t, rtts);
  try {
    t.pinger.setTargets([ip]);
    t.pinger.start();
    await run(t, 2900, answer, 50);
    assert.equal(t.pinger.probeTimeoutMicros(ip), 500_000);
    rtts[ip] = null;
    await run(t, 480, answer, 40);
    await run(t, 140, answer, 4);
    const w = waited(t, ip);
    assert.ok(w >= 500 && w <= 510, `waited ${w} ms`);
    t.pinger.setTiming({ intervalMs: 1000, timeoutMs: 500, adaptive: true });
    // Warm from 3 replies, backed off once by the miss: 2 × 50 ms.
    assert.equal(t.pinger.probeTimeoutMicros(ip), 100_000);
  } finally {
    await t.pinger.stop();
  }
});
