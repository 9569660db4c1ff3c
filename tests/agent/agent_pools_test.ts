/**
 * The agent over pools: each pool's names are planned with its own IPs
 * only, from the pool's own check; a [[pool]] whose checks cannot run is
 * held, so an ICMP failure of the pool default never touches its names.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import type { FakeRecordInput } from "../support/fake_cloudflare.ts";
import {
  BASE_TOML,
  published,
  quiet,
  RECORDS,
  startHarness,
  until,
} from "./harness.ts";
import type { FakeCloudflare } from "../support/fake_cloudflare.ts";
import { statusSnapshot } from "../../lib/agent/agent_status.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;
const APP = "app.example.com";
const POOLED = `${BASE_TOML}
[[pool]]
name = "web"
hostnames = ["app"]
ip_addresses = ["192.0.2.2", "203.0.113.11"]
[pool.check]
type = "http"
`;
const APP_RECORD: FakeRecordInput = {
  type: "A",
  name: APP,
  content: "192.0.2.2",
  ttl: 300,
  proxied: false,
  comment: null,
  tags: [],
};

function contentsOf(cf: FakeCloudflare, name: string): string[] {
  const out: string[] = [];
  for (const zone of cf.state.zones.values()) {
    for (const r of zone.records.values()) {
      if (r.name === name && r.type === "A") out.push(r.content);
    }
  }
  return out.sort();
}

Deno.test("Agent withdraws a default-pool IP from its own names only, and holds a [[pool]] it cannot check", async () => {
  const h = await startHarness(POOLED, { records: [...RECORDS, APP_RECORD] });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    await until(
      () => h.logs.some((l) => l.includes("[[pool]] checks cannot run here")),
      "the warning naming the unprobed pools",
    );
    assertEquals(h.prober().targets.sort(), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
    ]);
    for (let i = 0; i < 3; i++) h.prober().emit({ ...UP, "192.0.2.2": false });
    await until(() => !published(h.cf).has("192.0.2.2"), "removal from www");
    await quiet(h);
    // web's name keeps its record (web's own verdict is not known), gains
    // nothing, and www never gains web's IP.
    assertEquals(contentsOf(h.cf, APP), ["192.0.2.2"]);
    assertEquals(contentsOf(h.cf, "www.example.com"), [
      "192.0.2.1",
      "192.0.2.3",
    ]);
    assert(
      h.cf.writes().every((w) => !JSON.stringify(w).includes(APP)),
      "a write touched app.example.com",
    );
    assertEquals(h.agent.lastPlan?.holds.get("web/192.0.2.2"), "unsettled");
    assertEquals(h.agent.lastPlan?.holds.get("web/203.0.113.11"), "unsettled");
  } finally {
    await h.close();
  }
});

Deno.test("Agent withdraws an IP from the pool whose check fails only, and gives a pool's names only its own IPs", async () => {
  const h = await startHarness(POOLED, {
    records: [...RECORDS, APP_RECORD],
    poolProbers: true,
  });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    const web = h.poolProber("web");
    assertEquals(web.targets, ["192.0.2.2", "203.0.113.11"]);
    assert(web.running, "the pool's prober runs");
    // ICMP sees every default IP up; web's check fails on 192.0.2.2.
    for (let i = 0; i < 3; i++) {
      h.prober().emit(UP);
      web.emit({ "192.0.2.2": false, "203.0.113.11": true });
    }
    await until(
      () => contentsOf(h.cf, APP).join() === "203.0.113.11",
      "app.example.com: 192.0.2.2 withdrawn, 203.0.113.11 created",
    );
    await quiet(h);
    assertEquals(contentsOf(h.cf, "www.example.com"), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
    ]);
    assertEquals(h.agent.lastPlan?.holds.get("192.0.2.2"), "in_sync");
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});

Deno.test("Agent drains a [[pool]]'s IP from that pool's names only, and /status and /metrics show the pool's targets", async () => {
  const h = await startHarness(POOLED, {
    records: [...RECORDS, APP_RECORD],
    poolProbers: true,
  });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    const web = h.poolProber("web");
    for (let i = 0; i < 3; i++) {
      h.prober().emit(UP);
      web.emit({ "192.0.2.2": true, "203.0.113.11": true });
    }
    await until(
      () => contentsOf(h.cf, APP).length === 2,
      "app.example.com gains 203.0.113.11",
    );
    await h.agent.drains.set("web", "192.0.2.2", true, "deploy");
    await until(
      () => contentsOf(h.cf, APP).join() === "203.0.113.11",
      "the drained pool IP withdrawn from app.example.com",
    );
    await quiet(h);
    assertEquals(contentsOf(h.cf, "www.example.com"), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
    ]);
    const rows = statusSnapshot(h.agent).targets.map((t) => [
      t.pool,
      t.ip,
      t.inDns,
      t.hold,
      t.drained?.reason ?? null,
    ]);
    assertEquals(rows, [
      ["default", "192.0.2.1", true, "in_sync", null],
      ["default", "192.0.2.2", true, "in_sync", null],
      ["default", "192.0.2.3", true, "in_sync", null],
      ["web", "192.0.2.2", false, "drained", "deploy"],
      ["web", "203.0.113.11", true, "in_sync", null],
    ]);
    const text = h.agent.metrics.registry.render();
    for (
      const line of [
        'goavail_target_drained{pool="web",ip="192.0.2.2"} 1',
        'goavail_target_in_dns{pool="web",ip="192.0.2.2"} 0',
        'goavail_target_in_dns{pool="default",ip="192.0.2.2"} 1',
        'goavail_target_up{pool="web",ip="203.0.113.11"} 1',
        'goavail_target_write_held{pool="web",ip="192.0.2.2",reason="drained"} 1',
      ]
    ) assert(text.includes(line), line);
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});
