import { ok as assert } from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";

const CF = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;
const CLUSTER = `[members]
peers = ["198.51.100.2:7947", "198.51.100.3:7947"]
local_addr = "198.51.100.1:7947"
crypto_key = "0123456789abcdef0123"
`;

/** [name, toml, key path the error must name, words the message must contain] */
const CASES: [string, string, string, string][] = [
  [
    "threshold zero",
    `failure_threshold = 0\n${CF}`,
    "failure_threshold",
    "integer from 1 to 1000",
  ],
  [
    "threshold word",
    `failure_threshold = "three"\n${CF}`,
    "failure_threshold",
    '"three"',
  ],
  [
    "threshold float",
    `failure_threshold = 2.5\n${CF}`,
    "failure_threshold",
    "2.5",
  ],
  [
    "recovery negative",
    `recovery_threshold = -1\n${CF}`,
    "recovery_threshold",
    "-1",
  ],
  ["interval too small", `interval = 0.05\n${CF}`, "interval", "0.05"],
  ["interval string", `interval = "2s"\n${CF}`, "interval", '"2s"'],
  ["probe type", `probe_type = "udp"\n${CF}`, "probe_type", '"udp"'],
  ["port range", `port = 70000\n${CF}`, "port", "70000"],
  [
    "fraction zero",
    `max_removals_fraction = 0\n${CF}`,
    "max_removals_fraction",
    "0",
  ],
  [
    "fraction > 1",
    `max_removals_fraction = 1.5\n${CF}`,
    "max_removals_fraction",
    "1.5",
  ],
  [
    "summary_interval below 1 s",
    `summary_interval = 0.5\n${CF}`,
    "summary_interval",
    "must be 0 (off) or a number from 1 to 86400 seconds, got 0.5",
  ],
  [
    "summary_interval word",
    `summary_interval = "1m"\n${CF}`,
    "summary_interval",
    '"1m"',
  ],
  ["min_records zero", `min_records = 0\n${CF}`, "min_records", "0"],
  ["dry_run string", `dry_run = "no"\n${CF}`, "dry_run", '"no"'],
  ["log level", `log_level = "verbose"\n${CF}`, "log_level", '"verbose"'],
  ["slack_addr not url", `slack_addr = "hooks"\n${CF}`, "slack_addr", "URL"],
  [
    "slack_addr bad path",
    `slack_addr = "T000/B 000/secret"\n${CF}`,
    "slack_addr",
    "value hidden",
  ],
  [
    "unknown top key",
    `failure_treshold = 3\n${CF}`,
    "failure_treshold",
    'did you mean "failure_threshold"',
  ],
  [
    "unknown section",
    `[Cloudflair]\ndns_domain = "example.com"\n`,
    "Cloudflair",
    'did you mean "cloudflare"',
  ],
  [
    "unknown member key",
    `${CF}[Members]\npeer = ["198.51.100.2:1"]\n`,
    "Members.peer",
    'did you mean "peers"',
  ],
  [
    "bad IPv4",
    CF.replace('"192.0.2.2"', '"192.0.2.256"'),
    "cloudflare.ip_addresses",
    "[1] must be an IPv4 or IPv6",
  ],
  [
    "bad IPv6",
    CF.replace('"192.0.2.2"', '"2001:db8:::1"'),
    "cloudflare.ip_addresses",
    "2001:db8:::1",
  ],
  [
    "duplicate IP",
    CF.replace('"192.0.2.2"', '"192.0.2.1"'),
    "cloudflare.ip_addresses",
    "repeats",
  ],
  [
    "duplicate IPv6 spelled twice",
    CF.replace('"192.0.2.1", "192.0.2.2"', '"2001:db8::1", "2001:DB8:0::1"'),
    "cloudflare.ip_addresses",
    "repeats",
  ],
  [
    "empty IP list",
    CF.replace('"192.0.2.1", "192.0.2.2"', ""),
    "cloudflare.ip_addresses",
    "at least one",
  ],
  [
    "bad hostname",
    CF.replace('"www"', '"-www"'),
    "cloudflare.hostnames",
    '"-www"',
  ],
  [
    "hostname with space",
    CF.replace('"www"', '"my host"'),
    "cloudflare.hostnames",
    "DNS name",
  ],
  [
    "bad domain",
    CF.replace('"example.com"', '"localhost"'),
    "cloudflare.dns_domain",
    "domain name",
  ],
  [
    "missing domain",
    CF.replace('dns_domain = "example.com"\n', ""),
    "cloudflare.dns_domain",
    "required",
  ],
  [
    "missing ips",
    CF.replace(/ip_addresses.*\n/, ""),
    "cloudflare.ip_addresses",
    "required",
  ],
  ["ttl range", `${CF}ttl = 5\n`, "cloudflare.ttl", "60 to 86400"],
  ["zone id", `${CF}zone_id = "xyz"\n`, "cloudflare.zone_id", "hex id"],
  ["api_url", `${CF}api_url = "ftp://x"\n`, "cloudflare.api_url", "URL"],
  [
    "local_addr no port form",
    `${CF}${CLUSTER.replace('"198.51.100.1:7947"', '"198.51.100.1:port"')}`,
    "members.local_addr",
    "host:port",
  ],
  [
    "peer bad",
    `${CF}${CLUSTER.replace('"198.51.100.3:7947"', '"198.51.100.3:0"')}`,
    "members.peers",
    "[1]",
  ],
  [
    "peers without local_addr",
    `${CF}[members]\npeers = ["198.51.100.2:7947"]\ncrypto_key = "0123456789abcdef"\n`,
    "members.local_addr",
    "required",
  ],
  [
    "min_peers_agree too big",
    `${CF}${CLUSTER}min_peers_agree = 3\n`,
    "members.min_peers_agree",
    "number of peers (2)",
  ],
  [
    "min_peers_agree negative",
    `${CF}${CLUSTER}min_peers_agree = -1\n`,
    "members.min_peers_agree",
    "-1",
  ],
  [
    "short crypto key",
    `${CF}${CLUSTER.replace("0123456789abcdef0123", "short")}`,
    "members.crypto_key",
    "at least 16",
  ],
  [
    "cluster without key",
    `${CF}${CLUSTER.replace(/crypto_key.*\n/, "")}`,
    "members.crypto_key",
    "keygen",
  ],
  [
    "both key forms",
    `${CF}${CLUSTER}crypto_keys = ["0123456789abcdef0123"]\n`,
    "members.crypto_keys",
    "crypto_key",
  ],
  [
    "self in peers",
    `${CF}${CLUSTER.replace('"198.51.100.3:7947"', '"198.51.100.1:7947"')}`,
    "members.peers",
    "own",
  ],
  [
    "peer_timeout too short",
    `${CF}${CLUSTER}heartbeat_interval = 2\npeer_timeout = 1\n`,
    "members.peer_timeout",
    "longer",
  ],
  [
    "status listen",
    `${CF}[status]\nlisten = "nowhere"\n`,
    "status.listen",
    "host:port",
  ],
  [
    "webhook url",
    `${CF}[notify]\nwebhook_url = "not a url"\n`,
    "notify.webhook_url",
    "URL",
  ],
  [
    "section as value",
    `members = 3\n${CF}`,
    "members",
    '"members" is a section, written "[members]"',
  ],
  [
    "section key at the top level",
    `heartbeat_interval = 1\n${CF}`,
    "heartbeat_interval",
    'is not a top-level key; did you mean "members.heartbeat_interval"?',
  ],
  [
    "top-level key below a section",
    `${CF}interval = 2\n`,
    "cloudflare.interval",
    'is not a known key of [cloudflare]; "interval" is a top-level key: move it above the first [section]',
  ],
  [
    "key of another section",
    `${CF}peers = ["198.51.100.2"]\n`,
    "cloudflare.peers",
    'did you mean "members.peers"?',
  ],
  [
    "section written inside another",
    `${CF}[cloudflare.members]\npeers = []\n`,
    "cloudflare.members",
    '"members" is a section',
  ],
  [
    "misspelled key of another section",
    `heartbeat_intervall = 1\n${CF}`,
    "heartbeat_intervall",
    'did you mean "members.heartbeat_interval"?',
  ],
];

for (const [name, toml, path, words] of CASES) {
  Deno.test(`loadConfigText() rejects ${name} naming "${path}"`, () => {
    const r = loadConfigText(toml);
    assert(!r.ok, "was accepted");
    const hit = r.errors.find((e) =>
      e.path.toLowerCase() === path.toLowerCase()
    );
    assert(hit, `no error for ${path}; got ${JSON.stringify(r.errors)}`);
    assert(hit.message.includes(words), `"${hit.message}" lacks ${words}`);
  });
}

Deno.test("loadConfigText() never shows a crypto key in an error", () => {
  const r = loadConfigText(
    `${CF}${CLUSTER.replace("0123456789abcdef0123", "sekrit-but-short")}`
      .replace(
        "sekrit-but-short",
        "sekritX",
      ),
  );
  assert(!r.ok);
  assert(!JSON.stringify(r.errors).includes("sekritX"));
});
