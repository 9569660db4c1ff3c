import assert from "node:assert/strict";
import {
  checkThresholds,
  consecutiveOf,
  type HealthObservation,
  initialHealth,
  type IpHealth,
  step,
  type Thresholds,
  type Transition,
} from "../../lib/health/verdict.ts";

const IP = "192.0.2.1";
const T0 = 1_700_000_000_000;

/**
 * Turns a script into observations, one per second:
 * `o` reply, `x` timeout, `f` failure without fault (e.g. TCP refused),
 * `l` local fault.
 */
function script(s: string): HealthObservation[] {
  return [...s].map((c, i): HealthObservation => {
    const at = T0 + (i + 1) * 1000;
    switch (c) {
      case "o":
        return { ip: IP, ok: true, rttMicros: 1234, at };
      case "x":
        return { ip: IP, ok: false, rttMicros: null, at, fault: "timeout" };
      case "f":
        return { ip: IP, ok: false, rttMicros: null, at, detail: "refused" };
      case "l":
        return {
          ip: IP,
          ok: false,
          rttMicros: null,
          at,
          fault: "local",
          detail: "EHOSTUNREACH",
        };
      default:
        throw new Error(`bad script char ${c}`);
    }
  });
}

function run(
  s: string,
  t: Thresholds,
  start: IpHealth = initialHealth(IP, T0),
): { state: IpHealth; transitions: Transition[] } {
  let state = start;
  const transitions: Transition[] = [];
  for (const o of script(s)) {
    const r = step(state, o, t);
    state = r.state;
    if (r.transition) transitions.push(r.transition);
  }
  return { state, transitions };
}

const t33 = { failureThreshold: 3, recoveryThreshold: 3 };

Deno.test("initialHealth() starts up, or from the stored verdict", () => {
  assert.equal(initialHealth(IP, T0).verdict, "up");
  assert.equal(initialHealth(IP, T0).since, T0);
  const s = initialHealth(IP, T0, { verdict: "down", since: 5 });
  assert.equal(s.verdict, "down");
  assert.equal(s.since, 5);
});

Deno.test("step() follows the hysteresis table", () => {
  // [script, thresholds, final verdict, transitions as "index:to:reason"]
  const table: [string, Thresholds, "up" | "down", string[]][] = [
    ["", t33, "up", []],
    ["xx", t33, "up", []],
    ["xxx", t33, "down", ["2:down:3 consecutive timeouts"]],
    ["xxo", t33, "up", []],
    ["xxoxx", t33, "up", []],
    ["xxoxxx", t33, "down", ["5:down:3 consecutive timeouts"]],
    ["xxxoo", t33, "down", ["2:down:3 consecutive timeouts"]],
    ["xxxooo", t33, "up", [
      "2:down:3 consecutive timeouts",
      "5:up:3 consecutive replies",
    ]],
    ["xxxooxooo", t33, "up", [
      "2:down:3 consecutive timeouts",
      "8:up:3 consecutive replies",
    ]],
    ["x", { failureThreshold: 1, recoveryThreshold: 1 }, "down", [
      "0:down:1 consecutive timeout",
    ]],
    ["xo", { failureThreshold: 1, recoveryThreshold: 1 }, "up", [
      "0:down:1 consecutive timeout",
      "1:up:1 consecutive reply",
    ]],
    ["xxxo", { failureThreshold: 3, recoveryThreshold: 1 }, "up", [
      "2:down:3 consecutive timeouts",
      "3:up:1 consecutive reply",
    ]],
    ["xxxxx", { failureThreshold: 5, recoveryThreshold: 2 }, "down", [
      "4:down:5 consecutive timeouts",
    ]],
    ["xfx", t33, "down", ["2:down:3 consecutive failures (last: timeout)"]],
    ["fff", t33, "down", ["2:down:3 consecutive failures (last: refused)"]],
    ["xxxxxx", t33, "down", ["2:down:3 consecutive timeouts"]],
  ];
  for (const [s, t, verdict, expected] of table) {
    const { state, transitions } = run(s, t);
    assert.equal(state.verdict, verdict, `script ${s}`);
    assert.deepEqual(
      transitions.map((tr) =>
        `${(tr.at - T0) / 1000 - 1}:${tr.to}:${tr.reason}`
      ),
      expected,
      `script ${s}`,
    );
  }
});

Deno.test("step() never counts local faults toward down", () => {
  const { state, transitions } = run("llllllllll", t33);
  assert.equal(state.verdict, "up");
  assert.deepEqual(transitions, []);
  assert.equal(state.localFaultStreak, 10);
  assert.equal(state.localFaultsTotal, 10);
  assert.equal(state.lastDetail, "EHOSTUNREACH");
});

Deno.test("step() keeps streaks across local faults and resets the local streak", () => {
  const a = run("xxlx", t33);
  assert.equal(a.state.verdict, "down");
  assert.equal(a.transitions[0]?.reason, "3 consecutive timeouts");
  assert.equal(a.state.localFaultStreak, 0);
  assert.equal(a.state.localFaultsTotal, 1);
  const b = run("xxxoolo", t33);
  assert.equal(b.state.verdict, "up");
});

Deno.test("step() records transition time, from, to and since", () => {
  const { state, transitions } = run("xxx", t33);
  const tr = transitions[0];
  assert.ok(tr);
  assert.deepEqual(tr, {
    ip: IP,
    from: "up",
    to: "down",
    at: T0 + 3000,
    reason: "3 consecutive timeouts",
  });
  assert.equal(state.since, T0 + 3000);
  assert.equal(state.lastAt, T0 + 3000);
});

Deno.test("step() recovers a stored down verdict after replies", () => {
  const start = initialHealth(IP, T0, { verdict: "down", since: 1 });
  const { state, transitions } = run("ooo", t33, start);
  assert.equal(state.verdict, "up");
  assert.equal(transitions.length, 1);
  assert.equal(transitions[0]?.from, "down");
});

Deno.test("step() is pure: the input state is not changed", () => {
  const s = initialHealth(IP, T0);
  const copy = structuredClone(s);
  step(s, script("x")[0]!, t33);
  assert.deepEqual(s, copy);
});

Deno.test("consecutiveOf() counts observations agreeing with the verdict", () => {
  assert.equal(consecutiveOf(run("ooooo", t33).state), 5);
  assert.equal(consecutiveOf(run("oox", t33).state), 0);
  assert.equal(consecutiveOf(run("xxxx", t33).state), 4);
  assert.equal(consecutiveOf(run("xxxo", t33).state), 0);
});

Deno.test("checkThresholds() accepts integers ≥ 1 only", () => {
  assert.equal(checkThresholds(t33), null);
  assert.match(
    checkThresholds({ failureThreshold: 0, recoveryThreshold: 3 }) ?? "",
    /failure_threshold/,
  );
  assert.match(
    checkThresholds({ failureThreshold: 3, recoveryThreshold: 1.5 }) ?? "",
    /recovery_threshold/,
  );
});
