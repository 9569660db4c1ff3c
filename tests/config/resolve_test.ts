/**
 * lib/config/resolve.ts: every key reaches the resolved config (a file that
 * sets all of them, each to a value other than its default), every default
 * fills in, and each cross-key warning and error says exactly what it says.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import { secretsOf } from "../../lib/config/resolve.ts";

const CF = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
`;

const FULL = `interval = 5
failure_threshold = 4
recovery_threshold = 2
retry_interval = 0.5
recovery_retry = true
probe_type = "tcp"
port = 8443
probe_timeout = 2
state_dir = "/tmp/s"
min_records = 2
max_removals_fraction = 0.75
dry_run = false
log_level = "debug"
log_format = "json"
summary_interval = 300
slack_addr = "T000/B000/XXXX"
[members]
peers = ["198.51.100.2", "198.51.100.3:7000"]
local_addr = "198.51.100.1"
members_port = 7950
min_peers_agree = 2
crypto_keys = ["0123456789abcdef0123", "abcdefabcdefabcdef"]
heartbeat_interval = 2
peer_timeout = 9
[cloudflare]
dns_domain = "example.com"
zone_id = "0123456789abcdef0123456789abcdef"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
dns_proxied = true
api_url = "http://127.0.0.1:9999/client/v4"
api_token_file = "/tmp/token"
reconcile_interval = 30
api_budget_share = 0.5
[status]
listen = "127.0.0.1:9100"
[notify]
webhook_url = "https://example.com/hook"
`;

function load(text: string) {
  const r = loadConfigText(text);
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

function errors(text: string) {
  const r = loadConfigText(text);
  assert(!r.ok, "expected errors");
  return r.errors;
}

Deno.test("resolve() carries every key written in the file into the config", () => {
  const { config, warnings } = load(FULL);
  assertEquals(config, {
    "interval": 5,
    "failureThreshold": 4,
    "recoveryThreshold": 2,
    "probeType": "tcp",
    "port": 8443,
    "probeTimeout": 2,
    "probeTimeoutAdaptive": false,
    "retryInterval": 0.5,
    "recoveryRetry": true,
    "stateDir": "/tmp/s",
    "minRecords": 2,
    "maxRemovalsFraction": 0.75,
    "dryRun": false,
    "logLevel": "debug",
    "logFormat": "json",
    "summaryInterval": 300,
    "dnsProvider": "cloudflare",
    "members": {
      "peers": [
        "198.51.100.2:7950",
        "198.51.100.3:7000",
      ],
      "localAddr": "198.51.100.1:7950",
      "membersPort": 7950,
      "minPeersAgree": 2,
      "cryptoKeys": [
        "0123456789abcdef0123",
        "abcdefabcdefabcdef",
      ],
      "insecurePlaintext": false,
      "heartbeatInterval": 2,
      "peerTimeout": 9,
      "nodeId": "198.51.100.1:7950",
    },
    "cloudflare": {
      "dnsDomain": "example.com",
      "zoneId": "0123456789abcdef0123456789abcdef",
      "hostnames": [
        "www",
      ],
      "ipAddresses": [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
      ],
      "proxied": true,
      "ttl": 1,
      "apiBudgetShare": 0.5,
      "apiUrl": "http://127.0.0.1:9999/client/v4",
      "apiTokenFile": "/tmp/token",
      "reconcileInterval": 30,
    },
    "sections": {
      "cloudflare": {
        "dnsDomain": "example.com",
        "zoneId": "0123456789abcdef0123456789abcdef",
        "hostnames": [
          "www",
        ],
        "ipAddresses": [
          "192.0.2.1",
          "192.0.2.2",
          "192.0.2.3",
        ],
        "proxied": true,
        "ttl": 1,
        "apiBudgetShare": 0.5,
        "apiUrl": "http://127.0.0.1:9999/client/v4",
        "apiTokenFile": "/tmp/token",
        "reconcileInterval": 30,
      },
      "route53": null,
    },
    "pools": [{
      "name": "default",
      "path": "cloudflare",
      "dnsDomain": "example.com",
      "zoneId": "0123456789abcdef0123456789abcdef",
      "hostnames": ["www"],
      "ipAddresses": ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
      "backupIps": [],
      "minRecords": 2,
      "maxRemovalsFraction": 0.75,
      "failureThreshold": 4,
      "recoveryThreshold": 2,
      "interval": 5,
      "retryInterval": 0.5,
      "ttl": 1,
      "proxied": true,
      "check": {
        "type": "tcp",
        "port": 8443,
        "path": "/",
        "expectStatus": null,
        "expectBody": null,
        "host": "www.example.com",
        "timeout": 2,
        "timeoutAdaptive": false,
        "tlsVerify": true,
      },
    }],
    "status": {
      "listen": "127.0.0.1:9100",
    },
    "notify": {
      "webhookUrl": "https://example.com/hook",
      "slackWebhookUrl": "https://hooks.slack.com/services/T000/B000/XXXX",
      "slackFormat": "form",
    },
    "secretFiles": [],
  });
  assertEquals(warnings.length, 3, "one proxied documentation IP warning each");
  assertEquals(secretsOf(config), [
    "0123456789abcdef0123",
    "abcdefabcdefabcdef",
    "https://example.com/hook",
    "https://hooks.slack.com/services/T000/B000/XXXX",
  ]);
});

Deno.test("resolve() fills every default of a file with only [cloudflare]", () => {
  const { config, warnings } = load(CF);
  assertEquals(config, {
    "interval": 1,
    "failureThreshold": 3,
    "recoveryThreshold": 3,
    "probeType": "icmp",
    "port": 80,
    "probeTimeout": 1,
    "probeTimeoutAdaptive": true,
    "retryInterval": null,
    "recoveryRetry": false,
    "stateDir": "/var/lib/goavail",
    "minRecords": 1,
    "maxRemovalsFraction": 0.5,
    "dryRun": true,
    "logLevel": "info",
    "logFormat": "text",
    "summaryInterval": 60,
    "dnsProvider": "cloudflare",
    "members": {
      "peers": [],
      "localAddr": null,
      "membersPort": 7947,
      "minPeersAgree": 0,
      "cryptoKeys": [],
      "insecurePlaintext": false,
      "heartbeatInterval": 1,
      "peerTimeout": 3,
      "nodeId": "local",
    },
    "cloudflare": {
      "dnsDomain": "example.com",
      "zoneId": null,
      "hostnames": [
        "www",
      ],
      "ipAddresses": [
        "192.0.2.1",
      ],
      "proxied": false,
      "ttl": 1,
      "apiBudgetShare": 0.25,
      "apiUrl": null,
      "apiTokenFile": null,
      "reconcileInterval": 60,
    },
    "sections": {
      "cloudflare": {
        "dnsDomain": "example.com",
        "zoneId": null,
        "hostnames": [
          "www",
        ],
        "ipAddresses": [
          "192.0.2.1",
        ],
        "proxied": false,
        "ttl": 1,
        "apiBudgetShare": 0.25,
        "apiUrl": null,
        "apiTokenFile": null,
        "reconcileInterval": 60,
      },
      "route53": null,
    },
    "pools": [{
      "name": "default",
      "path": "cloudflare",
      "dnsDomain": "example.com",
      "zoneId": null,
      "hostnames": ["www"],
      "ipAddresses": ["192.0.2.1"],
      "backupIps": [],
      "minRecords": 1,
      "maxRemovalsFraction": 0.5,
      "failureThreshold": 3,
      "recoveryThreshold": 3,
      "interval": 1,
      "retryInterval": null,
      "ttl": 1,
      "proxied": false,
      "check": {
        "type": "icmp",
        "port": null,
        "path": "/",
        "expectStatus": null,
        "expectBody": null,
        "host": "www.example.com",
        "timeout": 1,
        "timeoutAdaptive": true,
        "tlsVerify": true,
      },
    }],
    "status": {
      "listen": "127.0.0.1:8000",
    },
    "notify": {
      "webhookUrl": null,
      "slackWebhookUrl": null,
      "slackFormat": "json",
    },
    "secretFiles": [],
  });
  assertEquals(warnings, []);
  assertEquals(secretsOf(config), []);
});

Deno.test("resolve() derives defaults from other keys: port from ports, probe_timeout from interval, recovery from failure", () => {
  const c =
    load(`interval = 0.5\nfailure_threshold = 7\nports = [8080]\n${CF}`).config;
  assertEquals([c.port, c.probeTimeout, c.recoveryThreshold], [8080, 0.5, 7]);
  const d = load(`interval = 30\n${CF}`).config;
  assertEquals([d.port, d.probeTimeout], [80, 1]);
  const e = load(`[members]\nheartbeat_interval = 2\n${CF}`).config;
  assertEquals(e.members.peerTimeout, 6);
  const f =
    load(`[notify]\nslack_webhook_url = "https://example.com/s"\n${CF}`).config;
  assertEquals([f.notify.slackWebhookUrl, f.notify.slackFormat], [
    "https://example.com/s",
    "json",
  ]);
  assertEquals(secretsOf(f), ["https://example.com/s"]);
});

Deno.test("resolve() warns about keys that do nothing or block removals, exactly", () => {
  const rows: [string, string[]][] = [
    [`ports = [81, 82]\n${CF}`, [
      '"ports" lists 2 ports; only the first (81) is probed',
    ]],
    [`ports = [81]\n${CF}`, []],
    [`ports = [81, 82]\nport = 83\n${CF}`, []],
    [`recovery_retry = true\n${CF}`, [
      '"recovery_retry" has no effect without "retry_interval"',
    ]],
    [`recovery_retry = false\n${CF}`, []],
    [`min_records = 1\n${CF}`, [
      '"min_records" is 1 with 1 IPs: no record can ever be removed',
    ]],
    [
      `min_records = 1\n${
        CF.replace('"192.0.2.1"', '"192.0.2.1", "192.0.2.2"')
      }`,
      [],
    ],
    [
      `[members]\npeers = ["198.51.100.2"]\nlocal_addr = "198.51.100.1"\nmin_peers_agree = 0\ncrypto_key = "0123456789abcdef"\n${CF}`,
      ['"members.min_peers_agree" is 0: every agent acts on its own verdict alone'],
    ],
    [
      `[members]\ninsecure_plaintext = true\ncrypto_key = "0123456789abcdef"\n${CF}`,
      ['"members.insecure_plaintext" is ignored: a crypto key is set, so only heartbeats sealed with one of the keys are accepted'],
    ],
    [`[members]\ninsecure_plaintext = true\n${CF}`, []],
  ];
  for (const [text, want] of rows) {
    assertEquals(load(text).warnings, want, text);
  }
});

Deno.test("resolve() refuses cross-key mistakes, naming the key", () => {
  const rows: [string, { path: string; message: string }[]][] = [
    [`interval = 2\nretry_interval = 2\n${CF}`, [{
      path: "retry_interval",
      message: 'must be shorter than "interval" (2 s), got 2',
    }]],
    [`[members]\nheartbeat_interval = 2\npeer_timeout = 2\n${CF}`, [{
      path: "members.peer_timeout",
      message: 'must be longer than "heartbeat_interval" (2 s), got 2',
    }]],
    [`[members]\nlocal_addr = "198.51.100.1"\npeers = []\n${CF}`, [{
      path: "members.peers",
      message: 'must list at least one peer when "local_addr" is set',
    }]],
    [
      `[members]\npeers = ["198.51.100.2"]\nlocal_addr = "198.51.100.1"\nmin_peers_agree = 2\ncrypto_key = "0123456789abcdef"\n${CF}`,
      [{
        path: "members.min_peers_agree",
        message: "must be from 0 to the number of peers (1), got 2",
      }],
    ],
    [
      `[members]\ncrypto_key = "0123456789abcdef"\ncrypto_keys = ["0123456789abcdef"]\n${CF}`,
      [{
        path: "members.crypto_keys",
        message: 'cannot be set together with "crypto_key"; keep one',
      }],
    ],
    [
      `[members]\npeers = ["198.51.100.2"]\nlocal_addr = "198.51.100.1"\n${CF}`,
      [{
        path: "members.crypto_key",
        message:
          'is required in cluster mode (make one with "goavail keygen"), or set "insecure_plaintext = true" for a lab',
      }],
    ],
    [
      `[members]\npeers = ["198.51.100.1:7947"]\nlocal_addr = "198.51.100.1"\ninsecure_plaintext = true\n${CF}`,
      [{
        path: "members.peers",
        message:
          'must not include this agent\'s own "local_addr" (198.51.100.1:7947)',
      }],
    ],
  ];
  for (const [text, want] of rows) assertEquals(errors(text), want, text);
  assertEquals(
    load(`[members]\nlocal_addr = "198.51.100.1"\n${CF}`).config.members.nodeId,
    "198.51.100.1:7947",
  );
});
