/**
 * The agent over a [[pool]] with `backup_ips`, against the fake Cloudflare
 * API: the backup is probed, stays out while a primary is up, is published
 * (from its snapshot) when every primary fails, before the dead primaries
 * go, and is withdrawn only after a recovered primary is back in DNS. The
 * name is never empty.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { FakeCloudflare } from "../support/fake_cloudflare.ts";
import { BASE_TOML, quiet, RECORDS, startHarness, until } from "./harness.ts";
import { statusSnapshot } from "../../lib/agent/agent_status.ts";
import { FOLLOW_UP_MS } from "../../lib/dns/reconciler.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;
const APP = "app.example.com";
const P1 = "203.0.113.11";
const P2 = "203.0.113.12";
const B = "198.51.100.7";
const TOML = `${BASE_TOML}
[[pool]]
name = "web"
hostnames = ["app"]
ip_addresses = ["${P1}", "${P2}"]
backup_ips = ["${B}"]
max_removals_fraction = 1.0
[pool.check]
type = "http"
`;

function app(cf: FakeCloudflare): string[] {
  const out: string[] = [];
  for (const zone of cf.state.zones.values()) {
    for (const r of zone.records.values()) {
      if (r.name === APP && r.type === "A") out.push(r.content);
    }
  }
  return out.sort();
}

const rec = (content: string) => ({
  type: "A" as const,
  name: APP,
  content,
  ttl: 300,
  proxied: false,
  comment: null,
  tags: [],
});

Deno.test("Agent publishes a pool's backup when every primary fails, and withdraws it after a primary is back", async () => {
  const h = await startHarness(TOML, {
    records: [...RECORDS, rec(P1), rec(P2)],
    poolProbers: true,
  });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    const web = h.poolProber("web");
    assertEquals(web.targets, [P1, P2, B]);
    const round = (p1: boolean, p2: boolean, b: boolean) => {
      for (let i = 0; i < 3; i++) {
        h.prober().emit(UP);
        web.emit({ [P1]: p1, [P2]: p2, [B]: b });
      }
    };
    round(true, true, true);
    await quiet(h);
    assertEquals(app(h.cf), [P1, P2]);
    const row = () =>
      statusSnapshot(h.agent).targets.find((t) =>
        t.ip === B && t.pool === "web"
      );
    assertEquals([row()?.backup, row()?.hold, row()?.inDns], [
      true,
      "standby",
      false,
    ]);

    round(false, false, true);
    await until(() => app(h.cf).join() === B, "backup in, both primaries out");
    round(true, false, true);
    await until(() => app(h.cf).includes(P1), "the primary restored");
    // Restored first (from its snapshot: ttl 300), the backup still in.
    assertEquals(app(h.cf), [B, P1]);
    // The follow-up pass, FOLLOW_UP_MS later (advanced until it is due:
    // the pass that restored the primary may still be finishing).
    await until(() => {
      h.clock.advance(FOLLOW_UP_MS / 4);
      return app(h.cf).join() === P1;
    }, "the backup withdrawn on the follow-up pass");
    await quiet(h);
    assertEquals(app(h.cf), [P1]);
    // Withdrawn while healthy: on standby at once, not "in sync".
    assertEquals([row()?.hold, row()?.inDns], ["standby", false]);
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});
