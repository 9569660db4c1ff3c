/**
 * Pools in several Cloudflare zones: one provider per zone behind a
 * router, each name listed and written in its own zone; the reconciler
 * qualifies each pool's names by its pool's zone; snapshots record the
 * zone their record is in.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  dnsProviderFor,
  providerShape,
} from "../../lib/agent/dns_provider_for.ts";
import { snapshotOrigin } from "../../lib/agent/withdrawn.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { reconcilerSettings } from "../../lib/dns/reconcile_report.ts";
import { ZoneRouter } from "../../lib/dns/zone_router.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";
import { configOf, quiet, RECORDS, startHarness, until } from "./harness.ts";

const TOML = `dry_run = false
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
[[pool]]
name = "shop"
dns_domain = "example.org"
hostnames = ["@", "shop"]
ip_addresses = ["203.0.113.11", "203.0.113.12"]
`;

const A = (name: string, content: string) => ({
  type: "A" as const,
  name,
  content,
  ttl: 300,
  proxied: true,
  comment: null,
  tags: [],
});

Deno.test("a [[pool]] in another zone is listed and written in that zone", async () => {
  const cf = startFakeCloudflare({
    zones: [
      { name: "example.com", records: [A("www.example.com", "192.0.2.1")] },
      {
        name: "example.org",
        records: [
          A("example.org", "203.0.113.11"),
          A("shop.example.org", "203.0.113.12"),
        ],
      },
    ],
  });
  try {
    const config = configOf(TOML);
    const provider = await dnsProviderFor(config, {
      logger: silentLogger,
      secrets: new Set(),
      env: { CLOUDFLARE_BASE_URL: cf.url, CLOUDFLARE_API_TOKEN: "test-token" },
    });
    const names = reconcilerSettings(config).names;
    assertEquals(names, ["www.example.com", "example.org", "shop.example.org"]);
    const listed = await provider.list(names!);
    const contents = (n: string) => (listed.get(n) ?? []).map((r) => r.content);
    assertEquals(contents("www.example.com"), ["192.0.2.1"]);
    assertEquals(contents("example.org"), ["203.0.113.11"]);
    assertEquals(contents("shop.example.org"), ["203.0.113.12"]);
    const gone = listed.get("shop.example.org")![0]!;
    const r = await provider.apply([
      {
        kind: "create",
        record: A("www.example.com", "192.0.2.2"),
        fromSnapshot: false,
      },
      {
        kind: "create",
        record: A("example.org", "203.0.113.12"),
        fromSnapshot: false,
      },
      { kind: "delete", record: gone },
    ]);
    assertEquals(r.outcomes.map((o) => o.result), ["done", "done", "done"]);
    const zoneOf = (content: string) =>
      [...cf.state.zones.values()].filter((z) =>
        [...z.records.values()].some((x) =>
          x.content === content && x.type === "A"
        )
      ).map((z) => z.name);
    assertEquals(zoneOf("192.0.2.2"), ["example.com"]);
    assertEquals(zoneOf("203.0.113.12"), ["example.org"]);
    const after = await provider.list(names!);
    assertEquals((after.get("shop.example.org") ?? []).length, 0);
  } finally {
    await cf.close();
  }
});

Deno.test("providerShape: a reload that moves a pool to another zone needs a new provider", () => {
  const moved = configOf(TOML.replace('"example.org"', '"example.net"'));
  const same = configOf(TOML.replace('"203.0.113.12"]', '"203.0.113.13"]'));
  assertEquals(providerShape(moved) === providerShape(configOf(TOML)), false);
  assertEquals(providerShape(same) === providerShape(configOf(TOML)), true);
});

Deno.test("ZoneRouter refuses a name in none of its zones, and routes to the longest zone", async () => {
  const seen: string[] = [];
  const fake = (zone: string) => ({
    list: (names: readonly string[]) => {
      seen.push(`${zone}:${names.join(",")}`);
      return Promise.resolve(new Map(names.map((n) => [n, []])));
    },
    apply: () => Promise.resolve({ outcomes: [], requests: 0 }),
  });
  const router = new ZoneRouter([
    { zone: "example.com", provider: fake("example.com") },
    { zone: "eu.example.com", provider: fake("eu.example.com") },
  ]);
  await router.list(["www.example.com", "a.eu.example.com"]);
  assertEquals(seen, [
    "example.com:www.example.com",
    "eu.example.com:a.eu.example.com",
  ]);
  let error = "";
  await router.list(["www.example.net"]).catch((e) => (error = String(e)));
  assertEquals(error.includes("is in none of the zones"), true);
});

Deno.test("snapshots record the zone their record is in", async () => {
  const store = new MemoryStateStore();
  store.setOrigin(snapshotOrigin(configOf(TOML), "edge-1"));
  await store.putSnapshots([
    { id: "1", ...A("shop.example.org", "203.0.113.12") },
    { id: "2", ...A("www.example.com", "192.0.2.1") },
  ]);
  const zones = [...store.snapshotInfo().values()].map((i) => i.zone).sort();
  assertEquals(zones, ["example.com", "example.org"]);
});

Deno.test("Agent withdraws a dead IP of a [[pool]] in another zone from that zone only", async () => {
  const toml = `failure_threshold = 3
interval = 1
dry_run = false
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
[[pool]]
name = "shop"
dns_domain = "example.org"
hostnames = ["shop"]
ip_addresses = ["203.0.113.11", "203.0.113.12"]
max_removals_fraction = 1.0
[pool.check]
type = "tcp"
port = 443
`;
  const h = await startHarness(toml, {
    poolProbers: true,
    fake: {
      zones: [
        { name: "example.com", records: RECORDS },
        {
          name: "example.org",
          records: [
            A("shop.example.org", "203.0.113.11"),
            A("shop.example.org", "203.0.113.12"),
          ],
        },
      ],
    },
  });
  const shop = () =>
    [...[...h.cf.state.zones.values()].find((z) => z.name === "example.org")!
      .records.values()].filter((r) => r.type === "A").map((r) => r.content)
      .sort();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) {
      h.prober().emit({
        "192.0.2.1": true,
        "192.0.2.2": true,
        "192.0.2.3": true,
      });
      h.poolProber("shop").emit({
        "203.0.113.11": false,
        "203.0.113.12": true,
      });
    }
    await until(
      () => shop().join() === "203.0.113.12",
      "withdrawn from example.org",
    );
    await quiet(h);
    assertEquals(shop(), ["203.0.113.12"]);
    const com = [...h.cf.state.zones.values()].find((z) =>
      z.name === "example.com"
    )!;
    assertEquals(
      [...com.records.values()].filter((r) => r.type === "A").map((r) =>
        r.content
      ).sort(),
      ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    );
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});

Deno.test("dry run: each pool's names pretend to hold that pool's IPs", async () => {
  const provider = await dnsProviderFor(
    configOf(TOML.replace("dry_run = false", "dry_run = true")),
    { logger: silentLogger, secrets: new Set() },
  );
  const listed = await provider.list(["www.example.com", "shop.example.org"]);
  const contents = (n: string) => (listed.get(n) ?? []).map((r) => r.content);
  assertEquals(contents("www.example.com"), ["192.0.2.1", "192.0.2.2"]);
  assertEquals(contents("shop.example.org"), ["203.0.113.11", "203.0.113.12"]);
});

Deno.test("dry run: a record it restored is listed after (a backup), and a reload that changes a pool's IPs builds a new one", async () => {
  const dry = TOML.replace("dry_run = false", "dry_run = true");
  const provider = await dnsProviderFor(configOf(dry), {
    logger: silentLogger,
    secrets: new Set(),
  });
  await provider.apply([{
    kind: "create",
    record: { id: "", ...A("shop.example.org", "198.51.100.7") },
    fromSnapshot: false,
  }]);
  const listed = await provider.list(["shop.example.org"]);
  assertEquals(
    (listed.get("shop.example.org") ?? []).map((r) => r.content),
    ["203.0.113.11", "203.0.113.12", "198.51.100.7"],
  );
  const moved = configOf(dry.replace('"203.0.113.12"]', '"203.0.113.13"]'));
  assertEquals(providerShape(moved) === providerShape(configOf(dry)), false);
});
