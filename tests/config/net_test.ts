/** Address syntax of config values (lib/config/net.ts), as tables. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  isHostname,
  isIPv4,
  isIPv6,
  parseHostPort,
} from "../../lib/config/net.ts";

Deno.test("isIPv4() and isIPv6() tell the families apart and refuse the rest", () => {
  const rows: [string, boolean, boolean][] = [
    ["192.0.2.1", true, false],
    ["2001:db8::1", false, true],
    ["::ffff:192.0.2.1", false, true],
    ["192.0.2.01", false, false],
    ["example.com", false, false],
    ["", false, false],
  ];
  for (const [s, v4, v6] of rows) {
    assertEquals([isIPv4(s), isIPv6(s)], [v4, v6], s);
  }
});

Deno.test("parseHostPort() splits host:port, [v6]:port and (with a default) bare hosts", () => {
  const rows: [string, number | undefined, ReturnType<typeof parseHostPort>][] =
    [
      ["192.0.2.1:80", undefined, { host: "192.0.2.1", port: 80 }],
      ["192.0.2.1:1", undefined, { host: "192.0.2.1", port: 1 }],
      ["192.0.2.1:65535", undefined, { host: "192.0.2.1", port: 65535 }],
      ["192.0.2.1:0", undefined, null],
      ["192.0.2.1:65536", undefined, null],
      ["192.0.2.1:8x", undefined, null],
      ["192.0.2.1:", undefined, null],
      ["192.0.2.1", undefined, null],
      ["192.0.2.1", 7947, { host: "192.0.2.1", port: 7947 }],
      [":80", undefined, null],
      ["-bad:80", undefined, null],
      ["a.example.com:443", undefined, { host: "a.example.com", port: 443 }],
      ["[2001:db8::1]:7947", undefined, { host: "2001:db8::1", port: 7947 }],
      ["[2001:db8::1]", 9, { host: "2001:db8::1", port: 9 }],
      ["[2001:db8::1]", undefined, null],
      ["[example.com]:80", undefined, null],
      ["x[2001:db8::1]:80", undefined, null],
      ["[2001:db8::1]:80x", undefined, null],
      ["2001:db8::1", 7947, { host: "2001:db8::1", port: 7947 }],
      ["2001:db8::1", undefined, null],
      ["2001:db8::zz", 7947, null],
      ["a:b:c", 7947, null],
    ];
  for (const [s, port, want] of rows) {
    assertEquals(parseHostPort(s, port), want, `${s} (${port})`);
  }
});

Deno.test("isHostname() takes labels of letters, digits, '-' and '_' up to 63 and names up to 253", () => {
  const label63 = "a".repeat(63);
  const name253 = [label63, label63, label63, "a".repeat(61)].join(".");
  const rows: [string, boolean][] = [
    ["www", true],
    ["www.example.com.", true],
    ["_acme-challenge.example.com", true],
    ["*.example.com", true],
    ["a.*.example.com", false],
    ["**.example.com", false],
    [label63, true],
    ["a".repeat(64), false],
    [name253, true],
    [name253 + "a", false],
    ["", false],
    ["-www", false],
    ["www-", false],
    ["w-w", true],
    ["a..b", false],
    ["exa mple", false],
  ];
  assertEquals(name253.length, 253);
  for (const [s, want] of rows) assertEquals(isHostname(s), want, s);
});
