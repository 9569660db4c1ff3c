/**
 * Each target's current probe timeout (adaptive: its RTO) in /status and
 * /metrics, and `probe_timeout` turning adaptive timing on and off on reload.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { statusSnapshot } from "../../lib/agent/agent_status.ts";
import { BASE_TOML, startHarness } from "./harness.ts";

Deno.test("statusSnapshot() and /metrics show each target's probe timeout", async () => {
  const h = await startHarness();
  try {
    h.prober().timeouts.set("192.0.2.1", 50_000);
    h.prober().timeouts.set("192.0.2.2", 212_500);
    const shown = statusSnapshot(h.agent).targets.map((
      t,
    ) => [t.ip, t.probeTimeoutMicros]);
    assertEquals(shown, [
      ["192.0.2.1", 50_000],
      ["192.0.2.2", 212_500],
      ["192.0.2.3", 1_000_000],
    ]);
    const lines = h.agent.metrics.registry.render().split("\n")
      .filter((l) => l.startsWith("goavail_target_probe_timeout_seconds{"));
    assertEquals(lines, [
      'goavail_target_probe_timeout_seconds{pool="default",ip="192.0.2.1"} 0.05',
      'goavail_target_probe_timeout_seconds{pool="default",ip="192.0.2.2"} 0.2125',
      'goavail_target_probe_timeout_seconds{pool="default",ip="192.0.2.3"} 1',
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("Agent.reload() sets adaptive timing when probe_timeout goes away, fixed when it comes", async () => {
  const h = await startHarness(`probe_timeout = 0.4\n${BASE_TOML}`);
  try {
    assertEquals(h.prober().timing?.adaptive, false);
    assertEquals(h.prober().timing?.timeoutMs, 400);
    h.setConfigText(BASE_TOML);
    assertEquals(await h.agent.reload(), true);
    assertEquals(h.prober().timing?.adaptive, true);
    assertEquals(h.prober().timing?.timeoutMs, 1000);
    h.setConfigText(`probe_timeout = 0.3\n${BASE_TOML}`);
    assertEquals(await h.agent.reload(), true);
    assertEquals(h.prober().timing?.adaptive, false);
    assertEquals(h.prober().timing?.timeoutMs, 300);
  } finally {
    await h.close();
  }
});
