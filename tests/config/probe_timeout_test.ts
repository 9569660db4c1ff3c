import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import { timingOf } from "../../lib/agent/config_view.ts";

const base = (interval: number) => `
interval = ${interval}
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
`;

Deno.test("probe_timeout unset: adaptive, min(interval, 1) until warm", async (t) => {
  // deno-fmt-ignore
  const table: [string, { timeoutMs: number; adaptive: boolean; intervalMs: number }][] = [
    [base(1), { intervalMs: 1000, timeoutMs: 1000, adaptive: true }],
    [base(0.5), { intervalMs: 500, timeoutMs: 500, adaptive: true }],
    [base(5), { intervalMs: 5000, timeoutMs: 1000, adaptive: true }],
    [`probe_timeout = 0.3\n${base(1)}`, { intervalMs: 1000, timeoutMs: 300, adaptive: false }],
    [`probe_timeout = 1\n${base(1)}`, { intervalMs: 1000, timeoutMs: 1000, adaptive: false }],
  ];
  for (const [text, want] of table) {
    await t.step(text.split("\n").slice(0, 2).join(" ").trim(), () => {
      const r = loadConfigText(text);
      assert(r.ok, JSON.stringify(!r.ok && r.errors));
      const timing = timingOf(r.value.config);
      assertEquals(
        {
          intervalMs: timing.intervalMs,
          timeoutMs: timing.timeoutMs,
          adaptive: timing.adaptive,
        },
        want,
      );
      assertEquals(r.value.config.probeTimeoutAdaptive, want.adaptive);
    });
  }
});
