/**
 * Drain through a whole agent (real Cloudflare provider against the fake
 * API): a drain withdraws the IP and shows in /status and /metrics, stays
 * in force across a restart on the same state, and a lift (here a peer's,
 * through the book heartbeats carry) restores the record exactly.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { statusSnapshot } from "../../lib/agent/agent_status.ts";
import {
  MemoryStateStore,
  parseStateFile,
} from "../../lib/agent/state_store.ts";
import {
  BASE_TOML,
  type Harness,
  published,
  RECORDS,
  startHarness,
  until,
} from "./harness.ts";

const IP = "192.0.2.2";

function settleAllUp(h: Harness): void {
  for (let i = 0; i < 3; i++) {
    h.prober().emit({ "192.0.2.1": true, [IP]: true, "192.0.2.3": true });
  }
}

const target = (h: Harness) =>
  statusSnapshot(h.agent).targets.find((t) => t.ip === IP)!;

Deno.test("Agent withdraws a drained IP, keeps it out across a restart, and restores it exactly when a peer lifts the drain", async () => {
  const store = new MemoryStateStore();
  const first = await startHarness(BASE_TOML, { store });
  let before: Record<string, unknown> | undefined;
  try {
    before = published(first.cf).get(IP);
    await until(() => first.agent.lastReport !== null, "first pass");
    settleAllUp(first);
    await first.agent.drains.set("default", IP, true, "kernel upgrade");
    await until(() => !published(first.cf).has(IP), "the drained IP withdrawn");
    await until(() => target(first).hold === "drained", "hold drained");
    assertEquals(target(first).drained?.reason, "kernel upgrade");
    assertEquals(target(first).verdict, "up");
    assert(
      first.agent.metrics.registry.render().includes(
        `goavail_target_drained{pool="default",ip="${IP}"} 1`,
      ),
    );
  } finally {
    await first.close();
  }
  assertEquals(store.drains().map((d) => [d.ip, d.drained]), [[IP, true]]);

  // Restart on the same state, against a zone without the record.
  const second = await startHarness(BASE_TOML, {
    store,
    records: RECORDS.filter((r) => r.content !== IP),
  });
  try {
    await until(() => second.agent.lastReport !== null, "first pass");
    settleAllUp(second);
    await until(
      () => second.agent.lastPlan?.holds.get(IP) === "drained",
      "a plan that keeps the drained IP out",
    );
    assertEquals(published(second.cf).has(IP), false);
    const drain = second.agent.drains.get("default", IP)!;
    // A peer lifts it: its entry arrives in a heartbeat's book.
    await second.agent.drains.merge([{
      ...drain,
      v: drain.v + 1,
      by: "198.51.100.9:7947",
      drained: false,
      reason: null,
    }]);
    await until(() => published(second.cf).has(IP), "the record restored");
    const back = published(second.cf).get(IP)!;
    const fields = (
      r: Record<string, unknown> | undefined,
    ) => [r?.ttl, r?.proxied, r?.comment, r?.tags];
    assertEquals(fields(back), fields(before));
    assertEquals(fields(back)[2], "edge-2");
    assertEquals(target(second).drained, null);
  } finally {
    await second.close();
  }
});

Deno.test("parseStateFile() keeps the drain book and refuses a malformed one", () => {
  const drain = {
    pool: "default",
    ip: IP,
    v: 3,
    by: "local",
    drained: true,
    reason: null,
    at: 3,
  };
  const base = { version: 1, snapshots: {}, verdicts: {}, saved: {} };
  const ok = parseStateFile(JSON.stringify({ ...base, drains: [drain] }));
  assert(ok.ok);
  assertEquals(ok.value.drains, [drain]);
  const old = parseStateFile(JSON.stringify(base));
  assert(old.ok);
  assertEquals(old.value.drains, undefined);
  const bad = parseStateFile(
    JSON.stringify({ ...base, drains: [{ ...drain, drained: 1 }] }),
  );
  assertEquals(bad, { ok: false, error: 'bad "drains" entry' });
});
