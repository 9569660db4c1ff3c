/**
 * "Why not written": every IP the agent leaves alone carries the write
 * decision's reason in /status and /metrics.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { statusSnapshot } from "../../lib/agent/agent_status.ts";
import { BASE_TOML, published, startHarness, until } from "./harness.ts";

const holds = (h: Awaited<ReturnType<typeof startHarness>>) =>
  Object.fromEntries(
    statusSnapshot(h.agent).targets.map((t) => [t.ip, t.hold]),
  );

Deno.test("statusSnapshot() shows unsettled, then in_sync, then the guard that keeps an IP", async () => {
  const h = await startHarness(
    BASE_TOML.replace(
      "[cloudflare]",
      "max_removals_fraction = 0.34\n[cloudflare]",
    ),
  );
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    assertEquals(Object.values(holds(h)), [
      "unsettled",
      "unsettled",
      "unsettled",
    ]);
    for (let i = 0; i < 3; i++) {
      h.prober().emit({
        "192.0.2.1": true,
        "192.0.2.2": false,
        "192.0.2.3": false,
      });
    }
    await until(() => published(h.cf).size === 2, "one removal");
    const expected = {
      "192.0.2.1": "in_sync",
      "192.0.2.2": "in_sync",
      "192.0.2.3": "blast_radius",
    };
    await until(
      () => JSON.stringify(holds(h)) === JSON.stringify(expected),
      "the removal in sync and the blast-radius hold",
    );
    const text = h.agent.metrics.registry.render();
    const held = text.split("\n").filter((l) =>
      l.startsWith("goavail_target_write_held{")
    );
    assertEquals(held.length, 3);
    assertEquals(
      held.some((l) =>
        l.includes('ip="192.0.2.3"') && l.includes('reason="blast_radius"')
      ),
      true,
    );
    assertEquals(statusSnapshot(h.agent).writer.active, true);
  } finally {
    await h.close();
  }
});
