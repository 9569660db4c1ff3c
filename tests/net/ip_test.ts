import assert from "node:assert/strict";
import { canonicalIp, formatIp, parseIp } from "../../lib/net/ip.ts";

Deno.test("canonicalIp() normalises IPv4 and IPv6 text (RFC 5952)", () => {
  const table: [string, string | null][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["::1", "::1"],
    ["::", "::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0db8::0001", "2001:db8::1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["fe80::1:2", "fe80::1:2"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
  ];
  for (const [input, want] of table) {
    assert.equal(canonicalIp(input), want, input);
  }
});

Deno.test("parseIp() rejects malformed addresses", () => {
  const bad = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.-4",
    "a.b.c.d",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8::",
    "12345::",
    "fe80::1%eth0",
    "::1.2.3",
    "example.com",
  ];
  for (const s of bad) assert.equal(parseIp(s), null, s);
});

Deno.test("formatIp() prints the bytes parseIp() read", () => {
  const v6 = parseIp("2001:db8::a:b");
  assert.ok(v6);
  assert.equal(v6.family, 6);
  assert.equal(formatIp(v6.bytes), "2001:db8::a:b");
  assert.equal(formatIp(new Uint8Array([203, 0, 113, 9])), "203.0.113.9");
});
