import assert from "node:assert/strict";
import {
  FileStateStore,
  MemoryStateStore,
} from "../../lib/agent/state_store.ts";
import { startHarness } from "./harness.ts";

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
