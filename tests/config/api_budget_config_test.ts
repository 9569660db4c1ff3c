import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";

const BASE = `
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;

Deno.test("cloudflare.api_budget_share defaults to 0.25 and loads", () => {
  const d = loadConfigText(BASE);
  assert(d.ok);
  assertEquals(d.value.config.cloudflare.apiBudgetShare, 0.25);
  for (const v of [0.1, 1]) {
    const r = loadConfigText(`${BASE}api_budget_share = ${v}\n`);
    assert(r.ok, JSON.stringify(!r.ok && r.errors));
    assertEquals(r.value.config.cloudflare.apiBudgetShare, v);
  }
});

Deno.test("cloudflare.api_budget_share outside (0, 1] is an error naming the key", () => {
  for (const v of ["0", "-0.5", "1.5", '"half"']) {
    const r = loadConfigText(`${BASE}api_budget_share = ${v}\n`);
    assert(!r.ok, v);
    const e = r.errors.find((x) => x.path === "cloudflare.api_budget_share");
    assert(e, JSON.stringify(r.errors));
  }
});
