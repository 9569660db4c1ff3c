/** The `check-config` summary (lib/config/summary.ts), line by line. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import { withDnsProvider } from "../../lib/config/dns_pool.ts";
import { summarize } from "../../lib/config/summary.ts";
import type { Config } from "../../lib/config/types.ts";

function load(text: string): Config {
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.config;
}

const CLOUDFLARE = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www", "@"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;

Deno.test("summarize() describes a live encrypted cluster probing tcp", () => {
  const config = load(`interval = 2
probe_type = "tcp"
port = 443
failure_threshold = 4
recovery_threshold = 2
min_records = 1
max_removals_fraction = 0.25
dry_run = false
state_dir = "/tmp/goavail-state"
[members]
peers = ["198.51.100.2:7947", "198.51.100.3:7947"]
local_addr = "198.51.100.1:7947"
min_peers_agree = 1
crypto_key = "0123456789abcdef0123"
[status]
listen = "127.0.0.1:9100"
${CLOUDFLARE}`);
  assertEquals(summarize(config, "x.toml"), [
    "x.toml: OK",
    "  targets:    2 (192.0.2.1, 192.0.2.2)",
    "  probing:    tcp port 443 every 2 s, timeout 1 s; down after 4 misses, up after 2 replies",
    "  hostnames:  www.example.com, example.com (zone example.com)",
    "  cluster:    3 agents (this one 198.51.100.1:7947); an IP is removed when 2 of them see it down; heartbeats encrypted",
    "  guards:     keep >= 1 record(s), remove <= 25% of a hostname's IPs",
    "  dns:        LIVE: changes Cloudflare DNS",
    "  state:      /tmp/goavail-state",
    "  status:     http://127.0.0.1:9100/",
    "  logs:       info, a summary every 60 s",
  ]);
});

Deno.test("summarize() describes a dry-run single node, an open cluster and Route 53", () => {
  const single = load(`[status]\nlisten = ""\n${CLOUDFLARE}`);
  const lines = summarize(single, "g.toml");
  assertEquals(
    lines[2],
    "  probing:    icmp every 1 s, timeout adaptive (RTO in [0.05, 1] s); down after 3 misses, up after 3 replies",
  );
  assertEquals(lines[4], "  cluster:    single node (no peers)");
  assertEquals(lines[6], "  dns:        dry-run (logs changes, makes none)");
  assertEquals(lines[8], "  status:     disabled");
  const quiet = load(`summary_interval = 0\nlog_level = "warn"\n${CLOUDFLARE}`);
  assertEquals(summarize(quiet, "q.toml")[9], "  logs:       warn, no summary");
  const open = load(`[members]
peers = ["198.51.100.2:7947"]
local_addr = "198.51.100.1:7947"
insecure_plaintext = true
${CLOUDFLARE}`);
  assertEquals(
    summarize(open, "o.toml")[4],
    "  cluster:    2 agents (this one 198.51.100.1:7947); an IP is removed when 2 of them see it down; heartbeats NOT encrypted (insecure_plaintext)",
  );
  const route53 = withDnsProvider({ ...single, dryRun: false }, "route53");
  assertEquals(
    summarize(route53, "r.toml")[6],
    "  dns:        LIVE: changes Route 53 DNS",
  );
});
