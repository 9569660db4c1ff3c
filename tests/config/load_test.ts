import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigFile, loadConfigText } from "../../lib/config/load.ts";

const VALID = `
interval = 1
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;

Deno.test("loadConfigFile() loads the original goavail.toml layout unchanged", async () => {
  const r = await loadConfigFile(
    new URL("../fixtures/original.toml", import.meta.url).pathname,
  );
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  const { config, warnings } = r.value;
  assertEquals(config.failureThreshold, 5);
  assertEquals(config.interval, 2);
  assertEquals(config.port, 8000);
  assertEquals(config.members.peers, ["127.0.0.1:8082"]);
  assertEquals(config.members.localAddr, "127.0.0.1:8081");
  assertEquals(config.members.minPeersAgree, 1);
  assertEquals(config.members.cryptoKeys, ["1234567891012345"]);
  assertEquals(config.members.nodeId, "127.0.0.1:8081");
  assertEquals(config.cloudflare.dnsDomain, "example.com");
  assertEquals(config.cloudflare.hostnames, ["test"]);
  assertEquals(config.cloudflare.ipAddresses, ["192.0.2.1"]);
  assertEquals(
    config.notify.slackWebhookUrl,
    "https://hooks.slack.com/services/T000/B000/XXXX",
  );
  assertEquals(config.notify.slackFormat, "form");
  assertEquals(config.dryRun, true);
  assert(!warnings.some((w) => w.includes("[Route53]")), warnings.join());
  assertEquals(config.dnsProvider, "cloudflare");
  assertEquals(config.sections.route53, {
    awsDomain: "example.com",
    zoneId: "ZZZZZZZZZZZZZ",
    region: "us-west-2",
    hostnames: ["test"],
    ipAddresses: ["198.51.100.120", "127.0.0.1", "192.0.2.1"],
    ttl: 30,
    reconcileInterval: 60,
  });
});

Deno.test("loadConfigFile() loads the bundled goavail.toml", async () => {
  const r = await loadConfigFile(
    new URL("../../goavail.toml", import.meta.url).pathname,
  );
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  assertEquals(r.value.config.cloudflare.ipAddresses, ["127.0.0.1", "::1"]);
  assertEquals(r.value.config.dryRun, true);
  assertEquals(r.value.warnings, []);
});

Deno.test("loadConfigText() fills every default", () => {
  const r = loadConfigText(VALID);
  assert(r.ok);
  const c = r.value.config;
  assertEquals(
    [
      c.failureThreshold,
      c.recoveryThreshold,
      c.probeType,
      c.minRecords,
      c.maxRemovalsFraction,
    ],
    [3, 3, "icmp", 1, 0.5],
  );
  assertEquals([c.stateDir, c.status.listen, c.cloudflare.ttl], [
    "/var/lib/goavail",
    "127.0.0.1:8000",
    1,
  ]);
  assertEquals([c.members.heartbeatInterval, c.members.peerTimeout], [1, 3]);
});

Deno.test("loadConfigText() accepts fractional intervals, IPv6 and lowercase sections", () => {
  const r = loadConfigText(`interval = 0.2
recovery_threshold = 5
[members]
peers = ["198.51.100.2", "[2001:db8::3]:9000"]
local_addr = "198.51.100.1"
min_peers_agree = 2
crypto_keys = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]
[cloudflare]
dns_domain = "example.com"
hostnames = ["@", "www"]
ip_addresses = ["2001:DB8:0::1", "203.0.113.7"]`);
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  const c = r.value.config;
  assertEquals(c.interval, 0.2);
  assertEquals(c.recoveryThreshold, 5);
  assertEquals(c.members.peers, ["198.51.100.2:7947", "[2001:db8::3]:9000"]);
  assertEquals(c.members.localAddr, "198.51.100.1:7947");
  assertEquals(c.cloudflare.ipAddresses, ["2001:db8::1", "203.0.113.7"]);
});

Deno.test("loadConfigText() reports TOML syntax errors with line and column", () => {
  const r = loadConfigText(
    `interval = 1\nfailure_threshold = [1,\n[cloudflare]\n`,
  );
  assert(!r.ok);
  assertEquals(r.errors.length, 1);
  assert(
    /line \d+, column \d+/.test(r.errors[0]!.message),
    r.errors[0]!.message,
  );
  const dup = loadConfigText(`interval = 1\ninterval = 2\n`);
  assert(!dup.ok);
  assert(
    dup.errors[0]!.message.includes("line 2, column 1"),
    dup.errors[0]!.message,
  );
});

Deno.test("loadConfigText() collects every error at once", () => {
  const r = loadConfigText(
    `failure_threshold = 0\ninterval = "fast"\n[cloudflare]\ndns_domain = "x"`,
  );
  assert(!r.ok);
  const paths = r.errors.map((e) => e.path).sort();
  assertEquals(paths, [
    "cloudflare.dns_domain",
    "cloudflare.hostnames",
    "cloudflare.ip_addresses",
    "failure_threshold",
    "interval",
  ]);
});

Deno.test("loadConfigText() takes slack_addr as the original's path or as a full URL", () => {
  const cases: [string, string, string][] = [
    [
      "T000/B000/XXXX",
      "https://hooks.slack.com/services/T000/B000/XXXX",
      "form",
    ],
    [
      "/T000/B000/XXXX",
      "https://hooks.slack.com/services/T000/B000/XXXX",
      "form",
    ],
    [
      "https://hooks.slack.com/services/T1/B2/c3",
      "https://hooks.slack.com/services/T1/B2/c3",
      "json",
    ],
  ];
  for (const [addr, url, format] of cases) {
    const r = loadConfigText(`slack_addr = "${addr}"\n${VALID}`);
    assert(r.ok, JSON.stringify(!r.ok && r.errors));
    assertEquals(
      [
        r.value.config.notify.slackWebhookUrl,
        r.value.config.notify.slackFormat,
      ],
      [url, format],
    );
  }
});

Deno.test("loadConfigText() prefers [notify] slack_webhook_url over slack_addr, with a warning", () => {
  const r = loadConfigText(
    `slack_addr = "T000/B000/XXXX"\n${VALID}[notify]\nslack_webhook_url = "https://example.com/s"\n`,
  );
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  assertEquals(r.value.config.notify.slackWebhookUrl, "https://example.com/s");
  assertEquals(r.value.config.notify.slackFormat, "json");
  assert(r.value.warnings.some((w) => w.includes('"slack_addr" is ignored')));
});

Deno.test("loadConfigText() makes a majority agree in a cluster when min_peers_agree is unset", () => {
  const base = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
[members]
local_addr = "192.0.2.11:7947"
crypto_key = "load-test-key-0123456789abcdef"
`;
  const table: [string[], number][] = [
    [["192.0.2.12"], 1],
    [["192.0.2.12", "192.0.2.13"], 1],
    [["192.0.2.12", "192.0.2.13", "192.0.2.14"], 2],
    [["192.0.2.12", "192.0.2.13", "192.0.2.14", "192.0.2.15"], 2],
  ];
  for (const [peers, want] of table) {
    const r = loadConfigText(`${base}peers = ${JSON.stringify(peers)}\n`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    assertEquals(r.value.config.members.minPeersAgree, want, peers.join());
  }
});
