/**
 * `members_port` is the port of `local_addr`/`peers` entries written without
 * one (README, "members_port"), including bare IPv6 addresses.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";

const CF = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
`;

function members(lines: string) {
  return loadConfigText(
    `[members]\n${lines}\ncrypto_key = "0123456789abcdef0123"\n${CF}`,
  );
}

Deno.test("loadConfigText() gives peers and local_addr without a port the members_port", () => {
  const r = members(`members_port = 7950
peers = ["198.51.100.2", "2001:db8::3", "[2001:db8::4]", "198.51.100.5:7000", "agent-6.example.com"]
local_addr = "198.51.100.1"`);
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  assertEquals(r.value.config.members.peers, [
    "198.51.100.2:7950",
    "[2001:db8::3]:7950",
    "[2001:db8::4]:7950",
    "198.51.100.5:7000",
    "agent-6.example.com:7950",
  ]);
  assertEquals(r.value.config.members.localAddr, "198.51.100.1:7950");
  assertEquals(r.value.config.members.nodeId, "198.51.100.1:7950");
});

Deno.test("loadConfigText() gives bare peers 7947 without members_port", () => {
  const r = members(`peers = ["198.51.100.2", "2001:db8::3"]
local_addr = "[2001:db8::1]"`);
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  assertEquals(r.value.config.members.peers, [
    "198.51.100.2:7947",
    "[2001:db8::3]:7947",
  ]);
  assertEquals(r.value.config.members.localAddr, "[2001:db8::1]:7947");
});

Deno.test("loadConfigText() refuses a peer listed twice once the port is filled in", () => {
  const r = members(`members_port = 7950
peers = ["198.51.100.2", "198.51.100.2:7950", "198.51.100.2:7947"]
local_addr = "198.51.100.1"`);
  assertEquals(!r.ok && r.errors, [{
    path: "members.peers",
    message: '[1] repeats "198.51.100.2:7950"',
  }]);
});

Deno.test("loadConfigText() still refuses a bad peer address", () => {
  for (
    const peer of [
      "198.51.100.2:99999",
      "198.51.100.2:",
      "bad host",
      "2001:db8:::1",
    ]
  ) {
    const r = members(`peers = ["${peer}"]\nlocal_addr = "198.51.100.1"`);
    assertEquals(!r.ok && r.errors, [{
      path: "members.peers",
      message: `[0] must be "host:port" (IPv6 as "[addr]:port"), got "${peer}"`,
    }], peer);
  }
});
