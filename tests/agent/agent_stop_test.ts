import assert from "node:assert/strict";
import {
  FileStateStore,
  MemoryStateStore,
} from "../../lib/agent/state_store.ts";
import { startHarness, until } from "./harness.ts";

Deno.test("MemoryStateStore.putVerdicts() writes once, and only on change", async () => {
  const store = new MemoryStateStore();
  const verdicts = new Map([
    ["192.0.2.1", { verdict: "up" as const, since: 5 }],
    ["192.0.2.2", { verdict: "down" as const, since: 6 }],
  ]);
  await store.putVerdicts(verdicts);
  assert.equal(store.writes, 1);
  await store.putVerdicts(verdicts);
  assert.equal(store.writes, 1, "rewrote unchanged verdicts");
  assert.deepEqual(store.verdicts(), verdicts);
});

Deno.test("FileStateStore.putVerdicts() persists every verdict across reopen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-stop-" });
  try {
    const a = await FileStateStore.open(dir);
    await a.putVerdicts(
      new Map([["192.0.2.1", { verdict: "down" as const, since: 7 }]]),
    );
    const b = await FileStateStore.open(dir);
    assert.deepEqual(b.verdicts().get("192.0.2.1"), {
      verdict: "down",
      since: 7,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Agent.stop() saves every target's verdict to the state store", async () => {
  const h = await startHarness();
  try {
    assert.equal(h.store.verdicts().size, 0, "verdicts saved before stop");
  } finally {
    await h.close();
  }
  const saved = h.store.verdicts();
  assert.deepEqual([...saved.keys()].sort(), [
    "192.0.2.1",
    "192.0.2.2",
    "192.0.2.3",
  ]);
  for (const v of saved.values()) assert.equal(v.verdict, "up");
});

Deno.test("Agent.stop() saves the verdicts without waiting for a DNS call that hangs", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    h.cf.faults.push({ kind: "slow", delayMs: 60_000, times: 100 });
    h.clock.advance(61_000); // the drift-repair pass reads, and hangs
    await until(
      () => h.cf.audit.some((a) => a.fault === "slow"),
      "the hanging request",
    );
    const stopping = h.agent.stop();
    await until(() => h.store.verdicts().size === 3, "verdicts saved");
    await h.cf.close(); // ends the hanging request, so stop() can finish
    await stopping;
  } finally {
    await h.close();
  }
});
