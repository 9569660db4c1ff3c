/**
 * Withdrawn records the config no longer manages: which, why, and the
 * warnings an agent gives at start and on reload (the snapshot stays).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import {
  snapshotOrigin,
  unmanagedReasons,
  type Withdrawn,
} from "../../lib/agent/withdrawn.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import {
  BASE_TOML,
  configOf,
  published,
  startHarness,
  until,
} from "./harness.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;

function withdrawn(
  name: string,
  content: string,
  zone: string | null = "example.com",
): Withdrawn {
  const record: DnsRecord = {
    type: content.includes(":") ? "AAAA" : "A",
    name,
    content,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
  };
  return {
    key: `${name}|${record.type}|${content}`,
    record,
    info: zone === null ? null : { at: 1, by: "edge-1", zone },
  };
}

Deno.test("unmanagedReasons() says whether the zone, hostname or IP left the config", () => {
  const config = configOf(BASE_TOML);
  const cases: [Withdrawn, string[]][] = [
    [withdrawn("www.example.com", "192.0.2.1"), []],
    [withdrawn("WWW.example.com", "192.0.2.1", null), []],
    [withdrawn("www.example.com", "192.0.2.9"), ["ip"]],
    [withdrawn("api.example.com", "192.0.2.1"), ["hostname"]],
    [withdrawn("api.example.com", "192.0.2.9"), ["hostname", "ip"]],
    [withdrawn("www.example.net", "192.0.2.1"), ["zone"]],
    // Recorded in another zone whose names happen to end like this one's.
    [withdrawn("www.example.com", "192.0.2.1", "com"), ["zone"]],
    [withdrawn("www.example.com", "2001:db8::1"), ["ip"]],
  ];
  for (const [w, reasons] of cases) {
    assertEquals(unmanagedReasons(w, config), reasons, w.key);
  }
});

Deno.test("unmanagedReasons() counts every pool: another zone's names, backups", () => {
  const config = configOf(`${BASE_TOML}
[[pool]]
name = "shop"
dns_domain = "example.org"
hostnames = ["shop"]
ip_addresses = ["203.0.113.11"]
backup_ips = ["198.51.100.7"]
`);
  const cases: [Withdrawn, string[]][] = [
    [withdrawn("www.example.com", "192.0.2.1"), []],
    [withdrawn("shop.example.org", "203.0.113.11", "example.org"), []],
    [withdrawn("shop.example.org", "198.51.100.7", "example.org"), []],
    [withdrawn("shop.example.org", "203.0.113.99", "example.org"), ["ip"]],
    [withdrawn("www.example.org", "203.0.113.11", "example.org"), ["hostname"]],
    [withdrawn("shop.example.net", "203.0.113.11", "example.net"), ["zone"]],
  ];
  for (const [w, reasons] of cases) {
    assertEquals(unmanagedReasons(w, config), reasons, w.key);
  }
});

Deno.test("snapshotOrigin() records the node id in a cluster, else the host name", () => {
  const single = configOf(BASE_TOML);
  assertEquals(snapshotOrigin(single, "edge-1"), {
    by: "edge-1",
    zone: "example.com",
  });
  const cluster = configOf(
    BASE_TOML + `[members]
peers = ["192.0.2.12:7947"]
local_addr = "192.0.2.11:7947"
insecure_plaintext = true
`,
  );
  assertEquals(snapshotOrigin(cluster, "edge-1").by, "192.0.2.11:7947");
});

const DROPS = [
  {
    what: "the IP",
    toml: BASE_TOML.replace('"192.0.2.2", ', ""),
    reason: "its IP left the config",
  },
  {
    what: "the hostname",
    toml: BASE_TOML.replace('hostnames = ["www"]', 'hostnames = ["app"]'),
    reason: "its hostname left the config",
  },
  {
    what: "the zone",
    toml: BASE_TOML.replace('"example.com"', '"example.net"'),
    reason: "its zone is not the config's dns_domain",
    // The fake has no example.net: the pass would wait on a retry backoff.
    noPass: true,
  },
];

Deno.test("Agent.reload() that drops a withdrawn record's IP, hostname or zone warns naming it and keeps its snapshot", async (t) => {
  for (const drop of DROPS) {
    await t.step(drop.what, async () => {
      const h = await startHarness();
      try {
        await until(() => h.agent.lastReport !== null, "first pass");
        for (let i = 0; i < 3; i++) {
          h.prober().emit({ ...UP, "192.0.2.2": false });
        }
        await until(() => !published(h.cf).has("192.0.2.2"), "removal");
        const key = "www.example.com|A|192.0.2.2";
        assertEquals(h.store.snapshotInfo().get(key)?.zone, "example.com");
        const warned = () =>
          h.logs.filter((l) =>
            l.includes("level=warn") &&
            l.includes("Withdrawn record A www.example.com 192.0.2.2")
          );
        h.setConfigText(drop.toml);
        assertEquals(await h.agent.reload(), true);
        assertEquals(warned().length, 1, h.logs.join("\n"));
        assert(warned()[0]!.includes(drop.reason), warned()[0]);
        assert(warned()[0]!.includes("goavail restore 192.0.2.2"));
        // A pass under the new config leaves the snapshot alone.
        if (!("noPass" in drop)) {
          const last = h.agent.lastReport;
          h.agent.driver.invalidate();
          await until(() => h.agent.lastReport !== last, "a pass");
        }
        assert(h.store.snapshots().has(key), "the snapshot was dropped");
        // The same config again: nothing new to say.
        assertEquals(await h.agent.reload(), true);
        assertEquals(warned().length, 1);
      } finally {
        await h.close();
      }
    });
  }
});

Deno.test("Agent.create() warns about each withdrawn record the config does not manage", async () => {
  const store = new MemoryStateStore();
  store.setOrigin({ by: "edge-1", zone: "example.com" });
  await store.putSnapshots([
    withdrawn("www.example.com", "192.0.2.9").record,
    withdrawn("www.example.com", "192.0.2.3").record,
  ]);
  const h = await startHarness(BASE_TOML, { store });
  try {
    const warned = h.logs.filter((l) => l.includes("Withdrawn record"));
    assertEquals(warned.length, 1, warned.join("\n"));
    assert(warned[0]!.includes("A www.example.com 192.0.2.9"));
    assert(h.store.snapshots().has("www.example.com|A|192.0.2.9"));
  } finally {
    await h.close();
  }
});
