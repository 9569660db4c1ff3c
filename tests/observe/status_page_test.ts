import assert from "node:assert/strict";
import {
  ago,
  escapeHtml,
  renderStatusPage,
} from "../../lib/observe/status_page.ts";
import { fakeSnapshot, HOSTILE, NOW_MS } from "./fake_snapshot.ts";

Deno.test("escapeHtml() escapes the five HTML metacharacters", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  assert.equal(escapeHtml(null), "");
  assert.equal(escapeHtml(42), "42");
});

Deno.test("ago() prints short relative durations", () => {
  const at = (s: number) => new Date(NOW_MS - s * 1000).toISOString();
  assert.equal(ago(at(5), NOW_MS), "5 s ago");
  assert.equal(ago(at(600), NOW_MS), "10 min ago");
  assert.equal(ago(at(3 * 3600), NOW_MS), "3 h ago");
  assert.equal(ago(at(5 * 86400), NOW_MS), "5 d ago");
  assert.equal(ago(at(-10), NOW_MS), "0 s ago");
  assert.equal(ago(null, NOW_MS), "—");
  assert.equal(ago(HOSTILE, NOW_MS), "—");
});

Deno.test("renderStatusPage() lists down targets first and caps the rows", () => {
  const base = fakeSnapshot();
  const [up, down] = base.targets as [
    typeof base.targets[0],
    typeof base.targets[0],
  ];
  const targets = Array.from({ length: 50 }, (_, i) => ({
    ...(i === 40 ? down : up),
    ip: `192.0.2.${i}`,
  }));
  const html = renderStatusPage({ ...base, targets }, NOW_MS, 10);
  const ips = [...html.matchAll(/<tr data-ip="([^"]+)">/g)].map((m) => m[1]);
  assert.equal(ips.length, 10);
  assert.equal(ips[0], "192.0.2.40");
  assert.equal(ips[1], "192.0.2.0");
  assert.match(html, /Showing 10 of 50 targets, down first/);
  assert.match(html, /<title>goavail 198\.51\.100\.10:7947: 1 down<\/title>/);
  assert.doesNotMatch(renderStatusPage(base, NOW_MS), /id="more-targets"/);
});

Deno.test("renderStatusPage() says so when nothing is configured", () => {
  const html = renderStatusPage(
    fakeSnapshot({
      targets: [],
      peers: [],
      dns: { provider: "cloudflare", lastActions: [], writesPaused: null },
    }),
    NOW_MS,
  );
  assert.match(html, /No targets configured\./);
  assert.match(html, /Single node: no peers configured\./);
  assert.match(html, /No DNS actions yet\./);
});

Deno.test("renderStatusPage() marks a drained IP with its escaped reason and the guard that keeps it", () => {
  const s = fakeSnapshot();
  const at = "2026-01-01T11:00:00.000Z";
  s.targets[0]!.drained = { reason: HOSTILE, by: "local", at };
  s.targets[0]!.hold = "all_down";
  const html = renderStatusPage(s, NOW_MS);
  assert.match(html, /<span class="drained">drained: &lt;script&gt;/);
  assert.match(html, /<\/span>, kept by all down<\/td>/);
  assert.doesNotMatch(html, /<script>alert/);
});
