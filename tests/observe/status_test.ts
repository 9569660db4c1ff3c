import assert from "node:assert/strict";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger, silentLogger } from "../../lib/observe/log.ts";
import { createAgentMetrics } from "../../lib/observe/metric_catalog.ts";
import {
  createStatusApp,
  METRICS_CONTENT_TYPE,
  parseListen,
  serveStatus,
  StatusServerError,
  type StatusSnapshot,
} from "../../lib/observe/status.ts";
import { parseProm, sampleValue } from "../support/prom_parse.ts";
import { fakeSnapshot, HOSTILE, NOW_MS } from "./fake_snapshot.ts";

function app(
  over: { healthy?: () => boolean; snapshot?: () => StatusSnapshot } = {},
) {
  const m = createAgentMetrics({ version: "0.1.0" });
  m.targetUp.set({ pool: "default", ip: "192.0.2.1" }, 1);
  return createStatusApp({
    snapshot: over.snapshot ?? (() => fakeSnapshot()),
    metrics: () => m.registry.render(),
    healthy: over.healthy,
    logger: silentLogger,
    clock: new ManualClock(NOW_MS),
  });
}

Deno.test("createStatusApp() serves the snapshot as JSON at /status", async () => {
  const res = await app().request("/status");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = await res.json();
  assert.deepEqual(body, fakeSnapshot());
  const keys = Object.keys(body).sort();
  assert.deepEqual(keys, [
    "config",
    "dns",
    "dryRun",
    "guards",
    "node",
    "peers",
    "startedAt",
    "targets",
    "version",
    "writer",
  ]);
  assert.deepEqual(Object.keys(body.targets[0]!).sort(), [
    "backup",
    "clusterDown",
    "drained",
    "hold",
    "inDns",
    "ip",
    "lastChange",
    "lastRttMicros",
    "lossLastMinute",
    "pool",
    "probeTimeoutMicros",
    "since",
    "verdict",
    "votesDown",
    "votesUp",
  ]);
});

Deno.test("createStatusApp() serves Prometheus text 0.0.4 at /metrics", async () => {
  const res = await app().request("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), METRICS_CONTENT_TYPE);
  const fams = parseProm(await res.text());
  assert.equal(
    sampleValue(fams, "goavail_target_up", {
      pool: "default",
      ip: "192.0.2.1",
    }),
    1,
  );
});

Deno.test("createStatusApp() answers /healthz from healthy()", async () => {
  let ok = true;
  const a = app({ healthy: () => ok });
  let res = await a.request("/healthz");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "ok");
  ok = false;
  res = await a.request("/healthz");
  assert.equal(res.status, 503);
  assert.equal(await res.text(), "unhealthy");
});

Deno.test("createStatusApp() renders an escaped HTML page at /", async () => {
  const res = await app().request("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(
    res.headers.get("content-security-policy") ?? "",
    /default-src 'none'/,
  );
  const html = await res.text();
  assert.ok(html.includes('<tr data-ip="192.0.2.1">'));
  assert.ok(html.includes('<span class="verdict verdict-up">up</span>'));
  assert.ok(html.includes('<span class="verdict verdict-down">down</span>'));
  assert.ok(html.includes("12.35 ms"));
  assert.ok(html.includes("50.0 %"));
  assert.ok(html.includes('id="dry-run"'));
  assert.ok(html.includes('<meta http-equiv="refresh" content="5">'));
  assert.ok(!html.includes(HOSTILE));
  assert.ok(!/<script|<img|onerror=alert\(1\)>/i.test(html));
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  assert.ok(html.includes("30 s ago"));
});

Deno.test("createStatusApp() shows guard and paused-write banners", async () => {
  const snap = fakeSnapshot({
    dryRun: false,
    guards: { isolated: true, reason: "every target failed at once" },
    dns: {
      provider: "cloudflare",
      lastActions: [],
      writesPaused: "401 from the API",
    },
    peers: [],
  });
  const html = await (await app({ snapshot: () => snap }).request("/")).text();
  assert.ok(!html.includes('id="dry-run"'));
  assert.ok(html.includes("every target failed at once"));
  assert.ok(html.includes("401 from the API"));
  assert.ok(html.includes("Single node: no peers configured."));
});

Deno.test("createStatusApp() hides internals on errors and logs them", async () => {
  const lines: string[] = [];
  const { logger } = createLogger({ sink: (l) => lines.push(l) });
  const a = createStatusApp({
    snapshot: () => {
      throw new Error("boom inside");
    },
    metrics: () => "",
    logger,
  });
  const res = await a.request("/status");
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "internal error");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /component=status .*boom inside/);
  assert.equal((await a.request("/nope")).status, 404);
});

Deno.test("parseListen() accepts host:port, [v6]:port and :port only", () => {
  assert.deepEqual(parseListen("127.0.0.1:8000"), {
    ok: true,
    value: { hostname: "127.0.0.1", port: 8000 },
  });
  assert.deepEqual(parseListen("[::1]:0"), {
    ok: true,
    value: { hostname: "::1", port: 0 },
  });
  assert.deepEqual(parseListen(":9"), {
    ok: true,
    value: { hostname: "0.0.0.0", port: 9 },
  });
  assert.deepEqual(parseListen("localhost:80"), {
    ok: true,
    value: { hostname: "localhost", port: 80 },
  });
  for (const bad of ["8000", "::1:80", "host:99999", "host:", "a b:1", ""]) {
    assert.equal(parseListen(bad).ok, false, bad);
  }
});

Deno.test("serveStatus() serves the app on 127.0.0.1 and closes cleanly", async () => {
  const server = serveStatus("127.0.0.1:0", app(), silentLogger);
  try {
    assert.ok(server.addr.port > 0);
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(await res.text(), "ok");
    const page = await fetch(`${server.url}/`);
    assert.match(await page.text(), /verdict-down/);
  } finally {
    await server.close();
  }
});

Deno.test("serveStatus() throws StatusServerError on a bad or taken address", async () => {
  assert.throws(
    () => serveStatus("nonsense", app(), silentLogger),
    StatusServerError,
  );
  const first = serveStatus("127.0.0.1:0", app(), silentLogger);
  try {
    assert.throws(
      () => serveStatus(`127.0.0.1:${first.addr.port}`, app(), silentLogger),
      StatusServerError,
    );
  } finally {
    await first.close();
  }
});
