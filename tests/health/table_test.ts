import assert from "node:assert/strict";
import { HealthTable } from "../../lib/health/table.ts";
import type { HealthObservation } from "../../lib/health/verdict.ts";

const T0 = 1_700_000_000_000;
const A = "192.0.2.1";
const B = "192.0.2.2";
const C = "2001:db8::1";
const t33 = { failureThreshold: 3, recoveryThreshold: 3 };

function miss(ip: string, at: number): HealthObservation {
  return { ip, ok: false, rttMicros: null, at, fault: "timeout" };
}
function reply(ip: string, at: number): HealthObservation {
  return { ip, ok: true, rttMicros: 500, at };
}
function local(ip: string, at: number): HealthObservation {
  return { ip, ok: false, rttMicros: null, at, fault: "local" };
}

Deno.test("HealthTable.observeAll() returns transitions in order", () => {
  const table = new HealthTable([A, B], t33, { at: T0 });
  const obs = [1, 2, 3].flatMap((i) => [miss(A, T0 + i), reply(B, T0 + i)]);
  const trs = table.observeAll(obs);
  assert.equal(trs.length, 1);
  assert.equal(trs[0]?.ip, A);
  assert.equal(table.verdict(A), "down");
  assert.equal(table.verdict(B), "up");
});

Deno.test("HealthTable.observe() ignores unknown IPs", () => {
  const table = new HealthTable([A], t33, { at: T0 });
  assert.equal(table.observe(miss(B, T0)), null);
  assert.deepEqual(table.ips(), [A]);
});

Deno.test("HealthTable.setTargets() keeps kept IPs' state", () => {
  const table = new HealthTable([A, B], t33, { at: T0 });
  table.observeAll([miss(A, 1), miss(A, 2), miss(A, 3), miss(B, 1)]);
  const r = table.setTargets([A, C], T0 + 10);
  assert.deepEqual(r, { added: [C], removed: [B] });
  assert.equal(table.verdict(A), "down");
  assert.equal(table.get(C)?.since, T0 + 10);
  assert.equal(table.get(B), undefined);
  table.setTargets([A, B], T0 + 20);
  assert.equal(table.get(B)?.misses, 0, "a re-added IP starts fresh");
});

Deno.test("HealthTable.setTargets() starts new IPs from stored verdicts", () => {
  const stored = new Map([[C, { verdict: "down" as const, since: 42 }]]);
  const table = new HealthTable([A], t33, { at: T0 });
  table.setTargets([A, C], T0, stored);
  assert.equal(table.verdict(C), "down");
  assert.equal(table.get(C)?.since, 42);
  assert.deepEqual(table.stored().get(C), { verdict: "down", since: 42 });
});

Deno.test("HealthTable.setThresholds() keeps streaks and applies next", () => {
  const table = new HealthTable([A], t33, { at: T0 });
  table.observeAll([miss(A, 1), miss(A, 2)]);
  table.setThresholds({ failureThreshold: 5, recoveryThreshold: 2 });
  assert.equal(table.observe(miss(A, 3)), null);
  assert.equal(table.observe(miss(A, 4)), null);
  assert.equal(table.observe(miss(A, 5))?.reason, "5 consecutive timeouts");
  table.setThresholds({ failureThreshold: 1, recoveryThreshold: 1 });
  assert.equal(table.observe(reply(A, 6))?.to, "up");
  assert.throws(
    () => table.setThresholds({ failureThreshold: 0, recoveryThreshold: 1 }),
    RangeError,
  );
  assert.equal(table.thresholds.failureThreshold, 1, "bad values not kept");
});

Deno.test("HealthTable.view() gives the heartbeat view shape", () => {
  const table = new HealthTable([A, B], t33, { at: T0 });
  table.observeAll([miss(A, 1), miss(A, 2), miss(A, T0 + 3), reply(B, 1)]);
  assert.deepEqual(table.view(), {
    [A]: { verdict: "down", since: T0 + 3, consecutive: 3 },
    [B]: { verdict: "up", since: T0, consecutive: 1 },
  });
});

Deno.test("HealthTable.summary() counts local faults apart", () => {
  const table = new HealthTable([A, B, C], t33, { at: T0 });
  table.observeAll([
    local(A, 1),
    local(A, 2),
    local(A, 3),
    miss(B, 1),
    reply(C, 1),
  ]);
  assert.deepEqual(table.summary(), {
    total: 3,
    up: 3,
    down: 0,
    observed: 3,
    lastMissed: 1,
    lastLocalFault: 1,
    localFaultsTotal: 3,
  });
});
