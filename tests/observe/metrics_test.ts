import assert from "node:assert/strict";
import { formatValue, Registry } from "../../lib/observe/metrics.ts";
import {
  AGENT_METRICS,
  createAgentMetrics,
} from "../../lib/observe/metric_catalog.ts";
import { parseProm, sampleValue } from "../support/prom_parse.ts";

Deno.test("Registry.render() emits HELP, TYPE and samples that parse", () => {
  const r = new Registry();
  const c = r.counter({ name: "x_requests_total", help: "Requests." });
  const g = r.gauge({ name: "x_temp", help: "Temp.", labelNames: ["room"] });
  c.inc();
  c.inc(2);
  g.set({ room: "a" }, 1.5);
  g.inc({ room: "b" });
  g.dec({ room: "b" }, 3);
  const text = r.render();
  assert.equal(
    text,
    [
      "# HELP x_requests_total Requests.",
      "# TYPE x_requests_total counter",
      "x_requests_total 3",
      "# HELP x_temp Temp.",
      "# TYPE x_temp gauge",
      'x_temp{room="a"} 1.5',
      'x_temp{room="b"} -2',
      "",
    ].join("\n"),
  );
  const fams = parseProm(text);
  assert.equal(fams.get("x_temp")?.type, "gauge");
  assert.equal(sampleValue(fams, "x_temp", { room: "b" }), -2);
});

Deno.test("Registry.render() escapes label values and help text", () => {
  const r = new Registry();
  const g = r.gauge({
    name: "x_info",
    help: "Back\\slash and\nnewline.",
    labelNames: ["v"],
  });
  const hostile = 'a"b\\c\nd} 1\n# TYPE evil counter';
  g.set({ v: hostile }, 1);
  const text = r.render();
  assert.equal(text.split("\n").length, 4); // 3 lines + final newline
  const fams = parseProm(text);
  assert.equal(fams.get("x_info")?.help, "Back\\slash and\nnewline.");
  assert.equal(sampleValue(fams, "x_info", { v: hostile }), 1);
});

Deno.test("Registry.counter() rejects bad names, duplicates and decrements", () => {
  const r = new Registry();
  assert.throws(() => r.counter({ name: "x_requests", help: "h" }), TypeError);
  assert.throws(() => r.gauge({ name: "1x", help: "h" }), TypeError);
  assert.throws(
    () => r.gauge({ name: "x_g", help: "h", labelNames: ["__x"] }),
    TypeError,
  );
  r.gauge({ name: "x_dup", help: "h" });
  assert.throws(() => r.gauge({ name: "x_dup", help: "h" }), TypeError);
  const c = r.counter({ name: "x_total", help: "h" });
  assert.throws(() => c.inc(-1), RangeError);
  assert.equal(c.get(), 0);
});

Deno.test("Gauge.remove() and clear() drop series", () => {
  const r = new Registry();
  const g = r.gauge({ name: "x_g", help: "h", labelNames: ["ip"] });
  g.set({ ip: "192.0.2.1" }, 1);
  g.set({ ip: "192.0.2.2" }, 0);
  g.remove({ ip: "192.0.2.1" });
  assert.equal(
    sampleValue(parseProm(r.render()), "x_g", { ip: "192.0.2.1" }),
    undefined,
  );
  assert.equal(g.get({ ip: "192.0.2.2" }), 0);
  g.clear();
  assert.equal(parseProm(r.render()).get("x_g")?.samples.length, 0);
});

Deno.test("Registry.onCollect() runs before each render", () => {
  const r = new Registry();
  const g = r.gauge({ name: "x_now", help: "h" });
  let n = 0;
  r.onCollect(() => g.set(++n));
  assert.equal(sampleValue(parseProm(r.render()), "x_now"), 1);
  assert.equal(sampleValue(parseProm(r.render()), "x_now"), 2);
});

Deno.test("formatValue() writes NaN and infinities the Prometheus way", () => {
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(0.000123), "0.000123");
});

Deno.test("createAgentMetrics() declares every agent metric in one valid exposition", () => {
  const m = createAgentMetrics(
    { version: "1.2.3", deno: "2.9.6" },
    1_700_000_000_000,
  );
  const ip = "2001:db8::1";
  const at = { pool: "default", ip };
  m.targetRttSeconds.set(at, 0.0123);
  m.targetProbeTimeoutSeconds.set(at, 0.05);
  m.targetLossRatio.set(at, 0.25);
  m.targetUp.set(at, 0);
  m.targetInDns.set(at, 1);
  m.clusterVotesDown.set(at, 2);
  m.probesSent.inc(10);
  m.dnsApiErrors.inc({ kind: "rate_limit" });
  m.peerMessagesRejected.inc({ reason: "replay" });
  m.notificationsSent.inc({ channel: "slack", result: "ok" });
  const fams = parseProm(m.registry.render());
  const expected = [
    "goavail_target_rtt_seconds",
    "goavail_target_probe_timeout_seconds",
    "goavail_target_loss_ratio",
    "goavail_target_up",
    "goavail_target_in_dns",
    "goavail_probes_sent_total",
    "goavail_probe_replies_total",
    "goavail_probe_timeouts_total",
    "goavail_probe_local_faults_total",
    "goavail_peers_live",
    "goavail_peers_configured",
    "goavail_cluster_votes_down",
    "goavail_dns_writes_total",
    "goavail_dns_api_errors_total",
    "goavail_config_reloads_total",
    "goavail_peer_messages_rejected_total",
    "goavail_build_info",
  ];
  for (const name of expected) assert.ok(fams.has(name), name);
  assert.equal(fams.size, Object.keys(AGENT_METRICS).length);
  assert.equal(sampleValue(fams, "goavail_target_rtt_seconds", at), 0.0123);
  assert.equal(
    sampleValue(fams, "goavail_target_probe_timeout_seconds", at),
    0.05,
  );
  assert.equal(sampleValue(fams, "goavail_probes_sent_total"), 10);
  assert.equal(sampleValue(fams, "goavail_probe_replies_total"), 0);
  assert.equal(
    sampleValue(fams, "goavail_dns_writes_total", { result: "ok" }),
    0,
  );
  assert.equal(
    sampleValue(fams, "goavail_build_info", {
      version: "1.2.3",
      deno: "2.9.6",
    }),
    1,
  );
  assert.equal(sampleValue(fams, "goavail_start_time_seconds"), 1_700_000_000);
});
