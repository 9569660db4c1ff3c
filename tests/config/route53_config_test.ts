import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import {
  dnsProviderProblem,
  withDnsProvider,
} from "../../lib/config/dns_pool.ts";

const ROUTE53 = `[Route53]
aws_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.10", "192.0.2.11"]
ttl = 30
aws_region = "us-west-2"
`;
const CLOUDFLARE = `[Cloudflare]
dns_domain = "example.org"
hostnames = ["test"]
ip_addresses = ["198.51.100.1"]
`;

function load(text: string) {
  const r = loadConfigText(text);
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value.config;
}

Deno.test("loadConfigText() makes a lone [Route53] section the pool, Route 53 the provider", () => {
  const c = load(ROUTE53);
  assertEquals(c.dnsProvider, "route53");
  assertEquals(c.cloudflare.dnsDomain, "example.com");
  assertEquals(c.cloudflare.ipAddresses, ["192.0.2.10", "192.0.2.11"]);
  assertEquals(c.cloudflare.ttl, 30);
  assertEquals(c.sections.route53?.zoneId, null);
  assertEquals(c.sections.route53?.region, "us-west-2");
  assertEquals(c.sections.cloudflare, null);
});

Deno.test("withDnsProvider() switches the pool with -p; both sections stay", () => {
  const both = load(CLOUDFLARE + ROUTE53);
  assertEquals(both.dnsProvider, "cloudflare");
  assertEquals(both.cloudflare.dnsDomain, "example.org");
  const r53 = withDnsProvider(both, "route53");
  assertEquals(r53.cloudflare.dnsDomain, "example.com");
  assertEquals(r53.cloudflare.hostnames, ["www"]);
  const back = withDnsProvider(r53, "cloudflare");
  assertEquals(back.cloudflare, both.cloudflare);
  assertEquals(dnsProviderProblem(r53), null);
});

Deno.test('loadConfigText() takes provider = "route53" as the default when both sections exist', () => {
  const c = load(CLOUDFLARE + ROUTE53 + 'provider = "route53"\n');
  assertEquals(c.dnsProvider, "route53");
  assertEquals(c.cloudflare.dnsDomain, "example.com");
});

Deno.test("dnsProviderProblem() names the missing section", () => {
  const c = withDnsProvider(load(CLOUDFLARE), "route53");
  const why = dnsProviderProblem(c);
  assert(why?.includes("[route53]"), why ?? "");
  assert(why?.includes("-p cloudflare"), why ?? "");
});

Deno.test("loadConfigText() names bad [Route53] keys", () => {
  const r = loadConfigText(
    `[Route53]\naws_zoneid = "/hostedzone/z1"\naws_region = "mars"\nttl = -1\nhostnames = ["www"]\n`,
  );
  assert(!r.ok);
  const paths = r.errors.map((e) => e.path).sort();
  assertEquals(paths, [
    "Route53.aws_region",
    "Route53.aws_zoneid",
    "Route53.ttl",
    "route53.aws_domain",
    "route53.ip_addresses",
  ]);
  assert(
    r.errors.some((e) => e.message.includes('"/hostedzone/z1"')),
    JSON.stringify(r.errors),
  );
});

Deno.test("loadConfigText() accepts the API's /hostedzone/ prefix on aws_zoneid", () => {
  const c = load(ROUTE53 + 'aws_zoneid = "/hostedzone/Z0123ABC"\n');
  assertEquals(c.sections.route53?.zoneId, "Z0123ABC");
});
