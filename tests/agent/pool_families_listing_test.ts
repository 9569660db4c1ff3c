/**
 * The provider lists every family a pool uses: a [[pool]] with AAAA
 * addresses (or AAAA backups) under a provider section with only A
 * addresses still sees its AAAA records when the whole zone is listed
 * (more names than record types), so the plan never misses one that is
 * there.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  dnsProviderFor,
  listedTypes,
} from "../../lib/agent/dns_provider_for.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";
import { configOf } from "./harness.ts";

const TOML = `dry_run = false
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
[[pool]]
name = "web"
hostnames = ["app", "shop"]
ip_addresses = ["2001:db8::11", "192.0.2.11"]
backup_ips = ["2001:db8::99"]
`;

const AAAA = (name: string, content: string) => ({
  type: "AAAA" as const,
  name,
  content,
  ttl: 300,
  proxied: false,
  comment: null,
  tags: [],
});

Deno.test("a [[pool]]'s AAAA records and AAAA backups are listed though the provider section has only A addresses", async () => {
  const cf = startFakeCloudflare({
    zones: [{
      name: "example.com",
      records: [
        AAAA("app.example.com", "2001:db8::11"),
        AAAA("shop.example.com", "2001:db8::99"),
      ],
    }],
  });
  try {
    const provider = await dnsProviderFor(configOf(TOML), {
      logger: silentLogger,
      secrets: new Set(),
      env: { CLOUDFLARE_BASE_URL: cf.url, CLOUDFLARE_API_TOKEN: "test-token" },
    });
    const names = ["www.example.com", "app.example.com", "shop.example.com"];
    const listed = await provider.list(names);
    const contents = (n: string) =>
      (listed.get(n) ?? []).map((r) => `${r.type} ${r.content}`);
    assertEquals(contents("app.example.com"), ["AAAA 2001:db8::11"]);
    assertEquals(contents("shop.example.com"), ["AAAA 2001:db8::99"]);
  } finally {
    await cf.close();
  }
});

Deno.test("listedTypes: a reload that adds a family to a [[pool]] needs a new provider", () => {
  const before = configOf(
    TOML.replace('"2001:db8::11", ', "").replace('"2001:db8::99"', ""),
  );
  assertEquals(listedTypes(before), "A");
  assertEquals(listedTypes(configOf(TOML)), "A,AAAA");
});
