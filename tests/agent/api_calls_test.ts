import assert from "node:assert/strict";
import { ApiCallWindow } from "../../lib/agent/api_calls.ts";
import { collectMetrics } from "../../lib/agent/agent_metrics.ts";
import { parseProm, sampleValue } from "../support/prom_parse.ts";
import { BASE_TOML, startHarness, until } from "./harness.ts";

Deno.test("ApiCallWindow counts the requests of the last five minutes, to ten seconds", () => {
  const w = new ApiCallWindow();
  const t0 = 1_800_000_000_000;
  for (let i = 0; i < 5; i++) w.record(t0 + i * 1000);
  w.record(t0 + 120_000);
  assert.equal(w.count(t0 + 130_000), 6);
  assert.equal(w.count(t0 + 300_000 + 5_000), 1, "the first five aged out");
  assert.equal(w.count(t0 + 700_000), 0);
  // A bucket reused a window later starts from zero.
  w.record(t0 + 300_000);
  assert.equal(w.count(t0 + 300_000), 2);
});

Deno.test("Agent counts its DNS API requests by kind, and those of the last 5 minutes", async () => {
  const h = await startHarness(BASE_TOML);
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) {
      h.prober().emit({
        "192.0.2.1": true,
        "192.0.2.2": false,
        "192.0.2.3": true,
      });
    }
    await until(() => h.cf.writes().length > 0, "the removal");
    collectMetrics(h.agent);
    const text = h.agent.metrics.registry.render();
    const samples = parseProm(text);
    const reads = sampleValue(samples, "goavail_dns_api_calls_total", {
      kind: "read",
    });
    const writes = sampleValue(samples, "goavail_dns_api_calls_total", {
      kind: "write",
    });
    const fake = h.cf.audit.filter((a) => !a.path.startsWith("/__"));
    const fakeReads = fake.filter((a) => a.method === "GET").length;
    assert.equal(reads, fakeReads, text);
    assert.equal(writes, fake.length - fakeReads);
    assert.ok((writes ?? 0) >= 1);
    assert.equal(
      sampleValue(samples, "goavail_dns_api_calls_5m", {}),
      fake.length,
    );
  } finally {
    await h.close();
  }
});

Deno.test("Agent shows the budget and Cloudflare's Ratelimit headers in /metrics", async () => {
  const h = await startHarness(
    BASE_TOML.replace("[cloudflare]", "[cloudflare]\napi_budget_share = 0.5"),
  );
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    assert.ok(h.agent.rateLimit, "no Ratelimit header read");
    collectMetrics(h.agent);
    const samples = parseProm(h.agent.metrics.registry.render());
    const sent = h.cf.audit.filter((a) => !a.path.startsWith("/__")).length;
    assert.equal(sampleValue(samples, "goavail_dns_api_budget_5m", {}), 600);
    assert.equal(
      sampleValue(samples, "goavail_dns_api_ratelimit_remaining", {}),
      1200 - sent,
    );
    assert.equal(
      sampleValue(samples, "goavail_dns_api_ratelimit_quota", {}),
      1200,
    );
    const reset = sampleValue(
      samples,
      "goavail_dns_api_ratelimit_reset_seconds",
      {},
    );
    assert.ok(reset !== undefined && reset > 290 && reset <= 300, `${reset}`);
  } finally {
    await h.close();
  }
});

Deno.test("Agent.reload() applies a new api_budget_share", async () => {
  const h = await startHarness(BASE_TOML);
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    assert.equal(h.agent.apiBudget.allowance, 300);
    h.setConfigText(
      BASE_TOML.replace("[cloudflare]", "[cloudflare]\napi_budget_share = 0.1"),
    );
    assert.equal(await h.agent.reload(), true);
    assert.equal(h.agent.apiBudget.allowance, 120);
  } finally {
    await h.close();
  }
});
