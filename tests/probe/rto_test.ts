import assert from "node:assert/strict";
import fc from "fast-check";
import {
  RTO_GRANULARITY_MICROS,
  RTO_MIN_MICROS,
  rtoBounds,
  RtoEstimator,
} from "../../lib/probe/rto.ts";

/** interval 1 s, fixed 1 s: the default cadence. */
const BOUNDS = rtoBounds(1000, 1000);

/** A reply with this RTT (ms), or a miss. */
type Event = number | "miss";

function run(events: Event[]): RtoEstimator {
  const e = new RtoEstimator();
  for (const ev of events) {
    if (ev === "miss") e.miss();
    else e.sample(ev * 1000);
  }
  return e;
}

Deno.test("rtoBounds() clamps to [50 ms, interval] and caps the fixed timeout at the interval", () => {
  assert.deepEqual(rtoBounds(1000, 1000), {
    minMicros: 50_000,
    maxMicros: 1_000_000,
    fixedMicros: 1_000_000,
  });
  assert.deepEqual(rtoBounds(5000, 1000), {
    minMicros: 50_000,
    maxMicros: 5_000_000,
    fixedMicros: 1_000_000,
  });
  assert.deepEqual(rtoBounds(30, 30), {
    minMicros: 30_000,
    maxMicros: 30_000,
    fixedMicros: 30_000,
  });
});

Deno.test("RtoEstimator() timeoutMicros() follows RFC 6298 step by step", async (t) => {
  // deno-fmt-ignore
  const table: { name: string; events: Event[]; timeoutMs: number; srttMs?: number; rttvarMs?: number }[] = [
    { name: "no reply yet: the fixed timeout", events: [], timeoutMs: 1000 },
    { name: "one reply: still fixed", events: [10], timeoutMs: 1000, srttMs: 10, rttvarMs: 5 },
    { name: "two replies: still fixed", events: [10, 10], timeoutMs: 1000 },
    // §2.3 on 10, 10, 10: RTTVAR 5 → 3.75 → 2.8125; SRTT stays 10;
    // RTO = 10 + 4·2.8125 = 21.25 ms, below the 50 ms floor.
    { name: "three steady 10 ms replies: the 50 ms floor", events: [10, 10, 10], timeoutMs: 50, srttMs: 10, rttvarMs: 2.8125 },
    // 100, 100, 100: RTTVAR 50 → 37.5 → 28.125; RTO = 100 + 112.5.
    { name: "three steady 100 ms replies: SRTT + 4·RTTVAR", events: [100, 100, 100], timeoutMs: 212.5, srttMs: 100, rttvarMs: 28.125 },
    // 100, 200: RTTVAR = .75·50 + .25·100 = 62.5, SRTT = 112.5;
    // then 100: RTTVAR = .75·62.5 + .25·12.5 = 50, SRTT = 110.9375.
    { name: "a jittery path: the variance widens the timeout", events: [100, 200, 100], timeoutMs: 310.9375, srttMs: 110.9375, rttvarMs: 50 },
    { name: "a slow path: clamped to the interval", events: [500, 500, 500], timeoutMs: 1000 },
    { name: "a miss doubles the timeout (§5.5)", events: [100, 100, 100, "miss"], timeoutMs: 425 },
    { name: "a second miss doubles it again, up to the interval", events: [100, 100, 100, "miss", "miss"], timeoutMs: 850 },
    { name: "the backoff stops at the interval", events: [100, 100, 100, "miss", "miss", "miss"], timeoutMs: 1000 },
    { name: "a backed-off floor doubles from 50 ms", events: [10, 10, 10, "miss"], timeoutMs: 100 },
    // 10, 10, 10, miss, 10: the reply ends the backoff and is a sample:
    // RTTVAR = .75·2.8125 = 2.109375 → RTO 18.4 ms → the floor.
    { name: "a reply ends the backoff", events: [10, 10, 10, "miss", 10], timeoutMs: 50 },
    // After 3 misses the estimate is stale (§5): the next reply starts over.
    { name: "a reply after 3 misses starts over, cold", events: [10, 10, 10, "miss", "miss", "miss", 10], timeoutMs: 1000, srttMs: 10, rttvarMs: 5 },
    { name: "a reply after 2 misses is smoothed in", events: [10, 10, 10, "miss", "miss", 10], timeoutMs: 50 },
    // A late reply of 300 ms on a 10 ms path (fed as a sample):
    // RTTVAR = .75·2.8125 + .25·290 = 74.609375, SRTT = 46.25:
    // RTO = 46.25 + 298.4375 = 344.6875 ms, above that RTT.
    { name: "a late reply raises the timeout past its own RTT", events: [10, 10, 10, "miss", 300], timeoutMs: 344.6875 },
  ];
  for (const row of table) {
    await t.step(row.name, () => {
      const e = run(row.events);
      assert.equal(e.timeoutMicros(BOUNDS), Math.round(row.timeoutMs * 1000));
      if (row.srttMs !== undefined) {
        assert.equal(e.srttMicros, row.srttMs * 1000, "SRTT");
      }
      if (row.rttvarMs !== undefined) {
        assert.equal(e.rttvarMicros, row.rttvarMs * 1000, "RTTVAR");
      }
    });
  }
});

Deno.test("RtoEstimator() adds the granularity G when the variance vanishes", () => {
  const e = run([200, 200, 200]);
  e.rttvarMicros = 0;
  assert.equal(e.timeoutMicros(BOUNDS), 200_000 + RTO_GRANULARITY_MICROS);
});

Deno.test("RtoEstimator() uses a longer interval as its upper clamp", () => {
  const bounds = rtoBounds(5000, 1000);
  const e = run([400, 400, 400, "miss", "miss", "miss"]);
  assert.equal(e.timeoutMicros(bounds), 5_000_000);
  assert.equal(run([]).timeoutMicros(bounds), 1_000_000, "fixed while cold");
});

const rtts = fc.array(fc.integer({ min: 0, max: 5_000_000 }), {
  minLength: 0,
  maxLength: 20,
});
const events = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 5_000_000 }),
    fc.constant("miss" as const),
  ),
  { maxLength: 40 },
);
const cadence = fc.record({
  intervalMs: fc.integer({ min: 100, max: 60_000 }),
  fixedMs: fc.integer({ min: 10, max: 60_000 }),
});

function feed(ev: (number | "miss")[]): RtoEstimator {
  const e = new RtoEstimator();
  for (const x of ev) x === "miss" ? e.miss() : e.sample(x);
  return e;
}

Deno.test("RtoEstimator() property: a warm timeout always lies within [50 ms, interval]", () => {
  fc.assert(
    fc.property(events, cadence, (ev, c) => {
      const bounds = rtoBounds(c.intervalMs, Math.min(c.intervalMs, c.fixedMs));
      const e = feed(ev);
      const t = e.timeoutMicros(bounds);
      if (e.warm) {
        assert.ok(t >= RTO_MIN_MICROS && t <= c.intervalMs * 1000, `${t}`);
      } else {
        assert.equal(t, bounds.fixedMicros);
      }
      assert.ok(t <= c.intervalMs * 1000, "never past the next probe");
    }),
  );
});

Deno.test("RtoEstimator() property: misses in a row never shorten the timeout", () => {
  fc.assert(
    fc.property(rtts, fc.integer({ min: 1, max: 30 }), cadence, (r, n, c) => {
      const bounds = rtoBounds(c.intervalMs, Math.min(c.intervalMs, c.fixedMs));
      const e = feed(r);
      let before = e.timeoutMicros(bounds);
      for (let i = 0; i < n; i++) {
        e.miss();
        const after = e.timeoutMicros(bounds);
        assert.ok(
          after >= before,
          `${after} < ${before} after ${i + 1} misses`,
        );
        if (e.warm && before * 2 <= bounds.maxMicros) {
          assert.equal(after, before * 2, "doubles below the clamp");
        }
        before = after;
      }
    }),
  );
});

Deno.test("RtoEstimator() property: after a reply the timeout exceeds that RTT unless clamped", () => {
  fc.assert(
    fc.property(rtts, fc.integer({ min: 0, max: 900_000 }), (r, rtt) => {
      const e = feed([...r, 1000, 1000, 1000]);
      e.sample(rtt);
      const t = e.timeoutMicros(BOUNDS);
      // RTO ≥ SRTT' + |R − SRTT|·(4β) > R whenever R > SRTT: one slow
      // reply, even a late one, is enough for the next probe to wait for it.
      assert.ok(t > rtt || t === BOUNDS.maxMicros, `${t} <= ${rtt}`);
    }),
  );
});
