import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  BASE_TOML,
  published,
  settle,
  startHarness,
  until,
} from "./harness.ts";
import { holdOf, statusSnapshot } from "../../lib/agent/agent_status.ts";
import { collectMetrics } from "../../lib/agent/agent_metrics.ts";
import { renderStatusPage } from "../../lib/observe/status_page.ts";

const DOWN = {
  "192.0.2.1": true,
  "192.0.2.2": false,
  "192.0.2.3": true,
} as const;

const rejectedLines = (logs: string[]) =>
  logs.filter((l) =>
    l.includes("level=error") && l.includes("rejected the API token")
  );

Deno.test("Agent with a malformed token (400 6003 [6111]) blocks writes, logs once a minute and calls the API about once a minute", async () => {
  const h = await startHarness(BASE_TOML, { token: "not a well-formed token" });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    // Ten minutes with an IP down: the agent would remove it if it could.
    for (let s = 0; s < 600; s++) {
      h.prober().emit(DOWN);
      h.clock.advance(1000);
      await settle(1);
    }
    await settle();
    const calls = h.cf.audit.length;
    assert(calls >= 2, `retries while blocked: ${calls} calls`);
    assert(calls <= 12, `${calls} API calls in ten minutes`);
    assertEquals(h.cf.writes().length, 0);
    assertEquals(published(h.cf).size, 3);
    const lines = rejectedLines(h.logs);
    assert(lines.length >= 9 && lines.length <= 11, lines.join("\n"));
    assert(lines[0]!.includes("CLOUDFLARE_API_TOKEN"), lines[0]);
    assert(lines[0]!.includes("6111"), lines[0]);
    assert(!h.logs.some((l) => l.includes("not a well-formed token")));
    assertEquals(
      h.logs.filter((l) => l.includes("level=warn") && l.includes("DNS pass"))
        .length,
      0,
      "no retry warnings",
    );
    assertEquals(holdOf(h.agent, "192.0.2.2"), "dns_blocked");
    const status = statusSnapshot(h.agent);
    assert(
      status.dns.writesPaused?.startsWith(
        "DNS writes blocked: credentials rejected",
      ),
      String(status.dns.writesPaused),
    );
    assert(
      renderStatusPage(status, Date.now()).includes(
        "DNS writes blocked: credentials rejected",
      ),
    );
    collectMetrics(h.agent);
    assert(
      h.agent.metrics.registry.render().includes(
        "goavail_dns_credentials_rejected 1",
      ),
    );
  } finally {
    await h.close();
  }
});

Deno.test("Agent clears the credential block when a reload brings a working token", async () => {
  const h = await startHarness(BASE_TOML, { token: "not a well-formed token" });
  try {
    await until(
      () => h.agent.reconciler.credentialsRejected !== null,
      "the refusal",
    );
    h.setToken("test-token");
    assert(await h.agent.reload());
    for (let s = 0; s < 5; s++) {
      h.prober().emit(DOWN);
      h.clock.advance(1000);
      await settle(2);
    }
    await until(() => !published(h.cf).has("192.0.2.2"), "the removal");
    assertEquals(h.agent.reconciler.credentialsRejected, null);
    assertEquals(statusSnapshot(h.agent).dns.writesPaused, null);
    collectMetrics(h.agent);
    assert(
      h.agent.metrics.registry.render().includes(
        "goavail_dns_credentials_rejected 0",
      ),
    );
  } finally {
    await h.close();
  }
});
