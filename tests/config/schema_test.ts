/**
 * Every key's rule in lib/config/schema.ts, and its neighbours'
 * (cloudflare_checks.ts, route53_rules.ts): the message for a wrong value
 * states the range the key takes, so a changed bound or unit shows here.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { closest, SECTIONS } from "../../lib/config/schema.ts";

/** [section, key, a wrong value, the error it must give] */
const WRONG: [string, string, unknown, string][] = [
  [
    "",
    "failure_threshold",
    1001,
    "must be an integer from 1 to 1000, got 1001",
  ],
  ["", "recovery_threshold", 0, "must be an integer from 1 to 1000, got 0"],
  ["", "interval", 0.05, "must be a number from 0.1 to 3600 seconds, got 0.05"],
  ["", "probe_timeout", 61, "must be a number from 0.01 to 60 seconds, got 61"],
  [
    "",
    "retry_interval",
    0,
    "must be a number from 0.01 to 3600 seconds, got 0",
  ],
  ["", "recovery_retry", "yes", 'must be true or false, got "yes"'],
  ["", "probe_type", "udp", 'must be one of "icmp", "tcp", got "udp"'],
  ["", "port", 65536, "must be an integer from 1 to 65535, got 65536"],
  ["", "ports", [], "must list at least one entry"],
  ["", "ports", [0], "[0] must be an integer from 1 to 65535, got 0"],
  ["", "state_dir", "", 'must be a non-empty string, got ""'],
  ["", "min_records", 0, "must be an integer from 1 to 1000, got 0"],
  [
    "",
    "max_removals_fraction",
    0,
    "must be a number greater than 0 and at most 1, got 0",
  ],
  ["", "dry_run", 1, "must be true or false, got 1"],
  [
    "",
    "log_level",
    "trace",
    'must be one of "debug", "info", "warn", "error", got "trace"',
  ],
  ["", "log_format", "xml", 'must be one of "text", "json", got "xml"'],
  [
    "members",
    "peers",
    ["198.51.100.2", "198.51.100.2"],
    '[1] repeats "198.51.100.2"',
  ],
  ["members", "members_port", 0, "must be an integer from 1 to 65535, got 0"],
  [
    "members",
    "min_peers_agree",
    101,
    "must be an integer from 0 to 100, got 101",
  ],
  [
    "members",
    "crypto_key",
    "x".repeat(15),
    'must be at least 16 characters long, got 15 (value hidden); make one with "goavail keygen"',
  ],
  ["members", "crypto_keys", [], "must list at least one entry"],
  ["members", "crypto_key_file", "", 'must be a non-empty string, got ""'],
  ["members", "crypto_keys_file", "", 'must be a non-empty string, got ""'],
  ["members", "insecure_plaintext", "no", 'must be true or false, got "no"'],
  [
    "members",
    "heartbeat_interval",
    61,
    "must be a number from 0.1 to 60 seconds, got 61",
  ],
  [
    "members",
    "peer_timeout",
    0.1,
    "must be a number from 0.2 to 600 seconds, got 0.1",
  ],
  ["cloudflare", "hostnames", [], "must list at least one entry"],
  ["cloudflare", "hostnames", ["www", "WWW"], '[1] repeats "www"'],
  ["cloudflare", "ip_addresses", [], "must list at least one entry"],
  [
    "cloudflare",
    "ip_addresses",
    ["192.0.2.1", "192.0.2.1"],
    '[1] repeats "192.0.2.1"',
  ],
  ["cloudflare", "dns_proxied", "true", 'must be true or false, got "true"'],
  [
    "cloudflare",
    "ttl",
    29,
    "must be 1 (automatic) or an integer from 60 to 86400 (from 30 on Enterprise zones), got 29",
  ],
  [
    "cloudflare",
    "ttl",
    86401,
    "must be 1 (automatic) or an integer from 60 to 86400 (from 30 on Enterprise zones), got 86401",
  ],
  [
    "cloudflare",
    "ttl",
    60.5,
    "must be 1 (automatic) or an integer from 60 to 86400 (from 30 on Enterprise zones), got 60.5",
  ],
  [
    "cloudflare",
    "ttl",
    "60",
    'must be 1 (automatic) or an integer from 60 to 86400 (from 30 on Enterprise zones), got "60"',
  ],
  ["cloudflare", "api_token_file", "", 'must be a non-empty string, got ""'],
  [
    "cloudflare",
    "reconcile_interval",
    4,
    "must be a number from 5 to 3600 seconds, got 4",
  ],
  [
    "route53",
    "aws_zoneid",
    "z123",
    'must be a hosted zone id such as "Z0123456789ABCDEFGHIJ", got "z123"',
  ],
  [
    "route53",
    "aws_zoneid",
    "Z".repeat(33),
    `must be a hosted zone id such as "Z0123456789ABCDEFGHIJ", got "${
      "Z".repeat(33)
    }"`,
  ],
  [
    "route53",
    "aws_zoneid",
    "x/hostedzone/Z1",
    'must be a hosted zone id such as "Z0123456789ABCDEFGHIJ", got "x/hostedzone/Z1"',
  ],
  [
    "route53",
    "aws_zoneid",
    5,
    'must be a hosted zone id such as "Z0123456789ABCDEFGHIJ", got 5',
  ],
  [
    "route53",
    "aws_region",
    "us-east",
    'must be an AWS region such as "us-east-1", got "us-east"',
  ],
  [
    "route53",
    "aws_region",
    "xus-east-1",
    'must be an AWS region such as "us-east-1", got "xus-east-1"',
  ],
  [
    "route53",
    "aws_region",
    "us-east-1x",
    'must be an AWS region such as "us-east-1x", got "us-east-1x"'.replace(
      '"us-east-1x", got',
      '"us-east-1", got',
    ),
  ],
  [
    "route53",
    "aws_region",
    1,
    'must be an AWS region such as "us-east-1", got 1',
  ],
  ["route53", "hostnames", [], "must list at least one entry"],
  ["route53", "hostnames", ["a", "A"], '[1] repeats "a"'],
  ["route53", "ip_addresses", [], "must list at least one entry"],
  ["route53", "ip_addresses", ["::1", "0::1"], '[1] repeats "::1"'],
  ["route53", "ttl", -1, "must be an integer from 0 to 2147483647, got -1"],
  [
    "route53",
    "provider",
    "cloudflare",
    'must be one of "route53", got "cloudflare"',
  ],
  [
    "route53",
    "reconcile_interval",
    3601,
    "must be a number from 5 to 3600 seconds, got 3601",
  ],
  [
    "status",
    "listen",
    "127.0.0.1",
    'must be "host:port" (IPv6 as "[addr]:port"), got "127.0.0.1"',
  ],
  ["notify", "webhook_url_file", "", 'must be a non-empty string, got ""'],
  [
    "notify",
    "slack_webhook_url_file",
    "",
    'must be a non-empty string, got ""',
  ],
  [
    "notify",
    "slack_webhook_url",
    "ftp://x",
    "must be an http:// or https:// URL, got an invalid one",
  ],
];

/** [section, key, a right value, what it becomes] */
const RIGHT: [string, string, unknown, unknown][] = [
  ["", "probe_type", "ip", "icmp"],
  ["members", "peers", [], []],
  // Bare hosts stay bare: resolve.ts adds members_port.
  ["members", "peers", ["198.51.100.2", "2001:db8::2"], [
    "198.51.100.2",
    "[2001:db8::2]",
  ]],
  ["members", "local_addr", "[2001:db8::1]", "[2001:db8::1]"],
  ["members", "local_addr", "198.51.100.1:7000", "198.51.100.1:7000"],
  ["members", "crypto_key", "x".repeat(16), "x".repeat(16)],
  ["members", "min_peers_agree", 0, 0],
  ["cloudflare", "ttl", 1, 1],
  ["cloudflare", "ttl", 30, 30],
  ["cloudflare", "ttl", 86400, 86400],
  [
    "route53",
    "aws_zoneid",
    "/hostedzone/Z0123456789ABCDEFGHIJ",
    "Z0123456789ABCDEFGHIJ",
  ],
  ["route53", "aws_zoneid", "Z".repeat(32), "Z".repeat(32)],
  ["route53", "aws_region", "us-gov-west-1", "us-gov-west-1"],
  ["route53", "aws_region", "eu-central-12", "eu-central-12"],
  ["route53", "ttl", 0, 0],
  ["route53", "ttl", 2147483647, 2147483647],
  ["route53", "provider", "route53", "route53"],
  ["status", "listen", "", ""],
  ["status", "listen", "127.0.0.1:9090", "127.0.0.1:9090"],
];

function rule(section: string, key: string) {
  const r = SECTIONS[section]?.[key];
  if (r === undefined) throw new Error(`no rule for "${section}.${key}"`);
  return r;
}

Deno.test("SECTIONS rules refuse a wrong value of every key with the range it takes", () => {
  for (const [section, key, raw, error] of WRONG) {
    assertEquals(
      rule(section, key)(raw),
      { ok: false, error },
      `${section}.${key}`,
    );
  }
});

Deno.test("SECTIONS rules take right values at the edges and normalise them", () => {
  for (const [section, key, raw, value] of RIGHT) {
    assertEquals(
      rule(section, key)(raw),
      { ok: true, value },
      `${section}.${key}`,
    );
  }
});

Deno.test('SECTIONS names the six sections, the top level as ""', () => {
  assertEquals(Object.keys(SECTIONS), [
    "",
    "members",
    "cloudflare",
    "route53",
    "status",
    "notify",
  ]);
});

Deno.test("closest() offers the candidate within edit distance 2, else one sharing a 4-letter prefix", () => {
  const keys = ["interval", "probe_timeout", "retry_interval", "port", "ports"];
  const rows: [string, string | undefined][] = [
    ["intervl", "interval"],
    ["INTERVAL", "interval"],
    ["iNterval", "interval"],
    ["pots", "ports"],
    ["portz", "port"],
    ["probe_timeout_seconds", "probe_timeout"],
    ["retry", "retry_interval"],
    ["prob", "probe_timeout"],
    ["probXXXXXXXX", "probe_timeout"],
    ["xyz", undefined],
    ["ret", undefined],
    ["por", "port"],
    ["", undefined],
  ];
  for (const [word, want] of rows) {
    assertEquals(closest(word, keys), want, word);
  }
  assertEquals(closest("abc", ["abd", "abc"]), "abc");
  assertEquals(closest("abcd", ["xbcd", "abcx"]), "xbcd");
  assertEquals(closest("abcd", ["abcxyz", "abcdxyz"]), "abcdxyz");
  assertEquals(closest("kitten", ["sitting"]), undefined);
  assertEquals(closest("kitten", ["sittn"]), "sittn");
  assertEquals(closest("kitten", ["sitten"]), "sitten");
});
