/** `[[pool]]` config (lib/config/pool_check.ts, pools.ts): loading, defaults, overrides, every error path. */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import {
  dnsProviderProblem,
  withDnsProvider,
} from "../../lib/config/dns_pool.ts";
import { summarize } from "../../lib/config/summary.ts";
import type { Config, PoolConfig } from "../../lib/config/types.ts";

const CF = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;
const WEB = `[[pool]]
name = "web"
hostnames = ["app", "@"]
ip_addresses = ["203.0.113.11", "2001:DB8::11"]
`;

function load(text: string): Config {
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.config;
}

function pool(config: Config, name: string): PoolConfig {
  const p = config.pools.find((p) => p.name === name);
  if (!p) throw new Error(`no pool ${name}`);
  return p;
}

Deno.test("loadConfigText() keeps the original [Cloudflare] section as one pool named default", () => {
  const config = load(
    `probe_type = "tcp"\nport = 8443\ninterval = 2\n${
      CF.replace("[cloudflare]", "[Cloudflare]")
    }`,
  );
  assertEquals(config.pools.length, 1);
  const p = config.pools[0]!;
  assertEquals(p.name, "default");
  assertEquals(p.hostnames, ["www"]);
  assertEquals(p.ipAddresses, ["192.0.2.1", "192.0.2.2"]);
  assertEquals(p.backupIps, []);
  assertEquals(p.check.type, "tcp");
  assertEquals(p.check.port, 8443);
  assertEquals(p.check.timeout, 1);
  assertEquals(p.interval, 2);
  // The section itself loads as it always did.
  assertEquals(config.cloudflare.hostnames, ["www"]);
  assertEquals(config.probeType, "tcp");
});

Deno.test("loadConfigText() fills a [[pool]]'s defaults from the top level and the section", () => {
  const config = load(
    `failure_threshold = 4\nmin_records = 2\nmax_removals_fraction = 0.25\nretry_interval = 0.2\n${CF}ttl = 120\n${WEB}`,
  );
  const web = pool(config, "web");
  assertEquals(web, {
    name: "web",
    path: "pool[0]",
    dnsDomain: "example.com",
    zoneId: null,
    hostnames: ["app", "@"],
    ipAddresses: ["203.0.113.11", "2001:db8::11"],
    backupIps: [],
    minRecords: 2,
    maxRemovalsFraction: 0.25,
    failureThreshold: 4,
    recoveryThreshold: 4,
    interval: 1,
    retryInterval: 0.2,
    ttl: 120,
    proxied: false,
    check: {
      type: "icmp",
      port: null,
      path: "/",
      expectStatus: null,
      expectBody: null,
      host: "app.example.com",
      timeout: 1,
      timeoutAdaptive: true,
      tlsVerify: true,
    },
  });
  assertEquals(config.pools.map((p) => p.name), ["default", "web"]);
});

Deno.test("loadConfigText() takes every per-pool override", () => {
  const config = load(`${CF}${WEB}min_records = 3
max_removals_fraction = 1
failure_threshold = 5
recovery_threshold = 2
interval = 4
retry_interval = 0.5
ttl = 300
dns_proxied = true
backup_ips = ["198.51.100.7"]
[pool.check]
type = "https"
port = 8443
path = "/healthz"
expect_status = [200, 204]
expect_body = "ok"
host = "www.example.com"
timeout = 2.5
tls_verify = false
`);
  const web = pool(config, "web");
  assertEquals(
    [
      web.minRecords,
      web.maxRemovalsFraction,
      web.failureThreshold,
      web.recoveryThreshold,
      web.interval,
      web.retryInterval,
      web.ttl,
      web.proxied,
      web.backupIps,
    ],
    [3, 1, 5, 2, 4, 0.5, 300, true, ["198.51.100.7"]],
  );
  assertEquals(web.check, {
    type: "https",
    port: 8443,
    path: "/healthz",
    expectStatus: [200, 204],
    expectBody: "ok",
    host: "www.example.com",
    timeout: 2.5,
    timeoutAdaptive: false,
    tlsVerify: false,
  });
  // The section's pool keeps the top-level values.
  assertEquals(pool(config, "default").minRecords, 1);
});

/** [check type, default port, default timeout with interval 0.5] */
const CHECK_DEFAULTS: [string, number | null][] = [
  ["icmp", null],
  ["tcp", 80],
  ["http", 80],
  ["https", 443],
];
for (const [type, port] of CHECK_DEFAULTS) {
  Deno.test(`loadConfigText() gives a ${type} check its default port and min(interval, 1) timeout`, () => {
    const web = pool(
      load(`${CF}${WEB}interval = 0.5\n[pool.check]\ntype = "${type}"\n`),
      "web",
    );
    assertEquals([web.check.port, web.check.timeout], [port, 0.5]);
  });
}

Deno.test("loadConfigText() loads [[pool]]s alone: the first pool's zone is the agent's", () => {
  const config = load(`${WEB}dns_domain = "example.net"\n`);
  assertEquals(config.pools.map((p) => p.name), ["web"]);
  assertEquals(config.dnsProvider, "cloudflare");
  assertEquals(config.cloudflare.dnsDomain, "example.net");
  assertEquals(pool(config, "web").check.host, "app.example.net");
});

Deno.test("loadConfigText() lets [cloudflare] hold only API settings beside [[pool]]s", () => {
  const config = load(
    `[cloudflare]\ndns_domain = "example.com"\nreconcile_interval = 30\n${WEB}`,
  );
  assertEquals(config.pools.map((p) => p.name), ["web"]);
  assertEquals(config.cloudflare.reconcileInterval, 30);
});

Deno.test("loadConfigText() lets one IP belong to several pools", () => {
  const config = load(
    `${CF}${WEB}[[pool]]\nname = "ping"\nhostnames = ["ping"]\nip_addresses = ["203.0.113.11"]\n`,
  );
  assertEquals(pool(config, "ping").ipAddresses, ["203.0.113.11"]);
  assertEquals(pool(config, "web").ipAddresses[0], "203.0.113.11");
});

Deno.test("withDnsProvider() makes the [route53] section the pool default", () => {
  const config = load(`${CF}[route53]
aws_domain = "example.com"
hostnames = ["r53"]
ip_addresses = ["192.0.2.9"]
${WEB}`);
  const r53 = withDnsProvider(config, "route53");
  assertEquals(r53.pools.map((p) => [p.name, p.hostnames]), [
    ["default", ["r53"]],
    ["web", ["app", "@"]],
  ]);
  assertEquals(pool(r53, "default").ttl, 300);
});

Deno.test("summarize() lists each pool when the file has [[pool]]s", () => {
  const config = load(
    `${CF}${WEB}backup_ips = ["198.51.100.7"]\n[pool.check]\ntype = "http"\npath = "/healthz"\nexpect_status = [200]\n`,
  );
  const lines = summarize(config, "p.toml");
  assertEquals(
    lines[1],
    "  targets:    4 (192.0.2.1, 192.0.2.2, 203.0.113.11, 2001:db8::11)",
  );
  assertEquals(
    lines[2],
    "  pool default: www.example.com <- 192.0.2.1, 192.0.2.2; icmp every 1 s, down after 3, up after 3, keep >= 1",
  );
  assertEquals(
    lines[3],
    "  pool web: app.example.com, example.com <- 203.0.113.11, 2001:db8::11 (backups 198.51.100.7); http port 80 /healthz (host app.example.com, status 200) every 1 s, down after 3, up after 3, keep >= 1",
  );
  assert(
    lines.includes(
      "  hostnames:  www.example.com, app.example.com, example.com (zone example.com)",
    ),
  );
});

Deno.test("summarize() of the original section alone shows no pool lines", () => {
  const lines = summarize(load(CF), "g.toml");
  assert(!lines.some((l) => l.includes("pool")));
});

/** [case, toml, error path, words of the message] */
const ERRORS: [string, string, string, string][] = [
  [
    "not an array of tables",
    `pool = 3\n${CF}`,
    "pool",
    "[[pool]] tables",
  ],
  [
    "name missing",
    `${CF}[[pool]]\nhostnames = ["a"]\nip_addresses = ["192.0.2.9"]\n`,
    "pool[0].name",
    "is required",
  ],
  [
    "name too long for a heartbeat key",
    `${CF}${WEB.replace('"web"', '"abcdefghijklmnopqrstuvwxy"')}`,
    "pool[0].name",
    "1 to 24",
  ],
  [
    "name shape",
    `${CF}${WEB}[[pool]]\nname = "Web Pool"\nhostnames = ["a"]\nip_addresses = ["192.0.2.9"]\n`,
    "pool[1].name",
    '"Web Pool"',
  ],
  [
    "name repeated",
    `${CF}${WEB}${WEB.replace(/app", "@/, "b")}`,
    "pool[1].name",
    'repeats the name of pool[0] ("web")',
  ],
  [
    "name default taken",
    `${CF}${WEB.replace('"web"', '"default"')}`,
    "pool[0].name",
    'the pool "default" that [cloudflare] stands for',
  ],
  [
    "hostnames missing",
    `${CF}[[pool]]\nname = "a"\nip_addresses = ["192.0.2.9"]\n`,
    "pool[0].hostnames",
    "is required",
  ],
  [
    "hostnames empty",
    `${CF}${WEB.replace('["app", "@"]', "[]")}`,
    "pool[0].hostnames",
    "at least one",
  ],
  [
    "hostname bad",
    `${CF}${WEB.replace('"@"', '"a b"')}`,
    "pool[0].hostnames[1]",
    '"a b"',
  ],
  [
    "hostname repeated",
    `${CF}${WEB.replace('"@"', '"APP"')}`,
    "pool[0].hostnames[1]",
    'repeats "app"',
  ],
  [
    "hostname of another pool",
    `${CF}${WEB.replace('"@"', '"www.example.com"')}`,
    "pool[0].hostnames[1]",
    'is already a name of pool "default"',
  ],
  [
    "ip_addresses missing",
    `${CF}[[pool]]\nname = "a"\nhostnames = ["a"]\n`,
    "pool[0].ip_addresses",
    "is required",
  ],
  [
    "ip bad",
    `${CF}${WEB.replace('"2001:DB8::11"', '"nope"')}`,
    "pool[0].ip_addresses[1]",
    '"nope"',
  ],
  [
    "ip_addresses not a list",
    `${CF}${WEB.replace('["203.0.113.11", "2001:DB8::11"]', '"203.0.113.11"')}`,
    "pool[0].ip_addresses",
    "must be a list",
  ],
  [
    "backup bad",
    `${CF}${WEB}backup_ips = ["192.0.2.300"]\n`,
    "pool[0].backup_ips[0]",
    '"192.0.2.300"',
  ],
  [
    "backup is a primary",
    `${CF}${WEB}backup_ips = ["198.51.100.7", "203.0.113.11"]\n`,
    "pool[0].backup_ips[1]",
    'also in "ip_addresses"',
  ],
  [
    "backup is a primary in another spelling",
    `${CF}${WEB}backup_ips = ["2001:db8:0::11"]\n`,
    "pool[0].backup_ips[0]",
    'also in "ip_addresses"',
  ],
  [
    "backup of a family with no primary",
    `${CF}${
      WEB.replace(', "2001:DB8::11"', "")
    }backup_ips = ["2001:db8::99"]\n`,
    "pool[0].backup_ips[0]",
    "no primary of its family",
  ],
  [
    "unknown key",
    `${CF}${WEB}hostname = ["x"]\n`,
    "pool[0].hostname",
    'did you mean "hostnames"',
  ],
  [
    "dns_domain bad",
    `${CF}${WEB}dns_domain = "nodot"\n`,
    "pool[0].dns_domain",
    '"nodot"',
  ],
  [
    "dns_domain another zone with Route 53",
    `[route53]\naws_domain = "example.com"\nhostnames = ["www"]\nip_addresses = ["192.0.2.1"]\n${WEB}dns_domain = "example.org"\n`,
    "pool[0].dns_domain",
    'must be the [route53] section\'s hosted zone "example.com"',
  ],
  ["dns_domain needed", `${WEB}`, "pool[0].dns_domain", "is required"],
  [
    "zone_id alone",
    `${CF}${WEB}zone_id = "0123456789abcdef0123456789abcdef"\n`,
    "pool[0].dns_domain",
    '"zone_id" other than',
  ],
  ["zone_id bad", `${CF}${WEB}zone_id = "xyz"\n`, "pool[0].zone_id", '"xyz"'],
  [
    "min_records",
    `${CF}${WEB}min_records = 0\n`,
    "pool[0].min_records",
    "integer from 1",
  ],
  [
    "max_removals_fraction",
    `${CF}${WEB}max_removals_fraction = 2\n`,
    "pool[0].max_removals_fraction",
    "at most 1",
  ],
  [
    "failure_threshold",
    `${CF}${WEB}failure_threshold = "3"\n`,
    "pool[0].failure_threshold",
    '"3"',
  ],
  [
    "recovery_threshold",
    `${CF}${WEB}recovery_threshold = 0\n`,
    "pool[0].recovery_threshold",
    "integer from 1",
  ],
  ["interval", `${CF}${WEB}interval = 0.01\n`, "pool[0].interval", "0.01"],
  [
    "retry_interval range",
    `${CF}${WEB}retry_interval = 0\n`,
    "pool[0].retry_interval",
    "from 0.01",
  ],
  [
    "retry_interval ≥ interval",
    `${CF}${WEB}interval = 2\nretry_interval = 2\n`,
    "pool[0].retry_interval",
    'shorter than "interval" (2 s)',
  ],
  [
    "ttl Cloudflare range",
    `${CF}${WEB}ttl = 20\n`,
    "pool[0].ttl",
    "1 (automatic)",
  ],
  [
    "dns_proxied",
    `${CF}${WEB}dns_proxied = "yes"\n`,
    "pool[0].dns_proxied",
    '"yes"',
  ],
  [
    "check not a table",
    `${CF}${WEB}check = "http"\n`,
    "pool[0].check",
    "[pool.check] table",
  ],
  [
    "check type",
    `${CF}${WEB}[pool.check]\ntype = "udp"\n`,
    "pool[0].check.type",
    '"udp"',
  ],
  [
    "check unknown key",
    `${CF}${WEB}[pool.check]\ntype = "http"\nexpect_statuses = [200]\n`,
    "pool[0].check.expect_statuses",
    'did you mean "expect_status"',
  ],
  [
    "check port range",
    `${CF}${WEB}[pool.check]\ntype = "tcp"\nport = 0\n`,
    "pool[0].check.port",
    "from 1 to 65535",
  ],
  [
    "check port on icmp",
    `${CF}${WEB}[pool.check]\nport = 80\n`,
    "pool[0].check.port",
    'no meaning for a "icmp" check',
  ],
  [
    "check path shape",
    `${CF}${WEB}[pool.check]\ntype = "http"\npath = "healthz"\n`,
    "pool[0].check.path",
    'starting with "/"',
  ],
  [
    "check path on tcp",
    `${CF}${WEB}[pool.check]\ntype = "tcp"\npath = "/"\n`,
    "pool[0].check.path",
    'no meaning for a "tcp" check',
  ],
  [
    "expect_status item",
    `${CF}${WEB}[pool.check]\ntype = "http"\nexpect_status = [200, 99]\n`,
    "pool[0].check.expect_status[1]",
    "integer from 100 to 599",
  ],
  [
    "expect_status first item",
    `${CF}${WEB}[[pool]]\nname = "b"\nhostnames = ["b"]\nip_addresses = ["192.0.2.9"]\n[pool.check]\ntype = "http"\nexpect_status = ["200"]\n`,
    "pool[1].check.expect_status[0]",
    '"200"',
  ],
  [
    "expect_status empty",
    `${CF}${WEB}[pool.check]\ntype = "http"\nexpect_status = []\n`,
    "pool[0].check.expect_status",
    "at least one",
  ],
  [
    "expect_status on icmp",
    `${CF}${WEB}[pool.check]\nexpect_status = [200]\n`,
    "pool[0].check.expect_status",
    "no meaning",
  ],
  [
    "expect_body empty",
    `${CF}${WEB}[pool.check]\ntype = "http"\nexpect_body = ""\n`,
    "pool[0].check.expect_body",
    "non-empty string",
  ],
  [
    "expect_body on tcp",
    `${CF}${WEB}[pool.check]\ntype = "tcp"\nexpect_body = "ok"\n`,
    "pool[0].check.expect_body",
    "no meaning",
  ],
  [
    "host shape",
    `${CF}${WEB}[pool.check]\ntype = "http"\nhost = "www.example.com:8080"\n`,
    "pool[0].check.host",
    "host name",
  ],
  [
    "host on icmp",
    `${CF}${WEB}[pool.check]\nhost = "www.example.com"\n`,
    "pool[0].check.host",
    "no meaning",
  ],
  [
    "timeout",
    `${CF}${WEB}[pool.check]\ntimeout = 0\n`,
    "pool[0].check.timeout",
    "from 0.01 to 60",
  ],
  [
    "tls_verify type",
    `${CF}${WEB}[pool.check]\ntype = "https"\ntls_verify = "no"\n`,
    "pool[0].check.tls_verify",
    '"no"',
  ],
  [
    "tls_verify on http",
    `${CF}${WEB}[pool.check]\ntype = "http"\ntls_verify = false\n`,
    "pool[0].check.tls_verify",
    'only for "https"',
  ],
];

for (const [name, toml, path, words] of ERRORS) {
  Deno.test(`loadConfigText() rejects a pool: ${name} (${path})`, () => {
    const r = loadConfigText(toml);
    assert(!r.ok, `loaded: ${toml}`);
    const issue = r.errors.find((e) => e.path === path);
    assert(issue, `no error at ${path}: ${JSON.stringify(r.errors)}`);
    assert(
      issue.message.includes(words),
      `${path}: ${issue.message} lacks ${words}`,
    );
  });
}

Deno.test("goavail.toml's commented [[pool]] example loads once uncommented", async () => {
  const text = await Deno.readTextFile(
    new URL("../../goavail.toml", import.meta.url),
  );
  const at = text.indexOf("# [[pool]]");
  assert(at > 0, "goavail.toml has no commented [[pool]]");
  // tls_verify is for https only; the example checks http.
  const example = text.slice(at).replace(/^# tls_verify.*$/m, "").replace(
    /^# (\[\[pool\]\]|\[pool\.check\]|[a-z_]+ = )/gm,
    "$1",
  );
  const config = load(text.slice(0, at) + example);
  const web = pool(config, "web");
  assertEquals([web.check.type, web.check.port, web.check.path], [
    "http",
    8080,
    "/healthz",
  ]);
});

Deno.test("loadConfigText() takes a Cloudflare [[pool]] in another zone, its names qualified by it", () => {
  const config = load(`${CF}${WEB}dns_domain = "example.org"\n`);
  assertEquals(pool(config, "web").dnsDomain, "example.org");
});

Deno.test("loadConfigText() refuses a pool's name inside another pool's child zone", () => {
  const r = loadConfigText(`${CF}[[pool]]
name = "shop"
hostnames = ["shop.sub"]
ip_addresses = ["203.0.113.11"]
[[pool]]
name = "v6"
dns_domain = "sub.example.com"
hostnames = ["a"]
ip_addresses = ["2001:db8::11"]
`);
  assert(!r.ok);
  const e = r.errors.find((x) => x.path === "pool[0].hostnames[0]");
  assert(e, JSON.stringify(r.errors));
  assert(e.message.includes('inside the zone "sub.example.com"'), e.message);
});

Deno.test("dnsProviderProblem() refuses -p route53 when a pool is in another zone", () => {
  const config = load(`${CF}[route53]
aws_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
${WEB}dns_domain = "example.org"
`);
  assertEquals(dnsProviderProblem(config), null);
  const r53 = withDnsProvider(config, "route53");
  const problem = dnsProviderProblem(r53) ?? "";
  assert(problem.startsWith("pool[0].dns_domain"), problem);
});

Deno.test("loadConfigText() refuses two zone ids for one zone name", () => {
  const a = "0123456789abcdef0123456789abcdef";
  const b = "fedcba9876543210fedcba9876543210";
  const r = loadConfigText(`${CF}zone_id = "${a}"
${WEB}zone_id = "${b}"
dns_domain = "example.com"
`);
  assert(!r.ok);
  const e = r.errors.find((x) => x.path === "pool[0].zone_id");
  assert(e, JSON.stringify(r.errors));
  assert(e.message.includes("one zone name, one zone"), e.message);
});

Deno.test("loadConfigText() takes pools in two zones without a provider section (Cloudflare)", () => {
  const config = load(
    `${WEB}dns_domain = "example.net"\n[[pool]]\nname = "b"\nhostnames = ["b"]\nip_addresses = ["192.0.2.9"]\ndns_domain = "example.org"\n`,
  );
  assertEquals(config.dnsProvider, "cloudflare");
  assertEquals(config.pools.map((p) => p.dnsDomain), [
    "example.net",
    "example.org",
  ]);
});

Deno.test("loadConfigText() checks the zone of a [cloudflare] section without names too", () => {
  const a = "0123456789abcdef0123456789abcdef";
  const b = "fedcba9876543210fedcba9876543210";
  const ids = loadConfigText(`[cloudflare]
dns_domain = "example.com"
zone_id = "${a}"
${WEB}zone_id = "${b}"
dns_domain = "example.com"
`);
  assert(!ids.ok);
  assert(
    ids.errors.some((e) =>
      e.path === "pool[0].zone_id" && e.message.includes("cloudflare's")
    ),
    JSON.stringify(ids.errors),
  );
  const child = loadConfigText(`[cloudflare]
dns_domain = "shop.example.com"
[[pool]]
name = "web"
dns_domain = "example.com"
hostnames = ["www.shop"]
ip_addresses = ["203.0.113.11"]
`);
  assert(!child.ok);
  assert(
    child.errors.some((e) =>
      e.path === "pool[0].hostnames[0]" &&
      e.message.includes('inside the zone "shop.example.com"')
    ),
    JSON.stringify(child.errors),
  );
});
