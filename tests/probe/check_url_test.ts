import assert from "node:assert/strict";
import { parseCheckUrl } from "../../lib/probe/check_url.ts";

Deno.test("parseCheckUrl() resolves scheme, host, port and path", () => {
  const table: [string, object][] = [
    ["http://203.0.113.11/", {
      scheme: "http",
      host: "203.0.113.11",
      hostIsIp: true,
      port: 80,
      path: "/",
    }],
    ["https://WWW.Example.com/healthz?deep=1", {
      scheme: "https",
      host: "www.example.com",
      hostIsIp: false,
      port: 443,
      path: "/healthz?deep=1",
    }],
    ["http://www.example.com:8080", {
      scheme: "http",
      host: "www.example.com",
      hostIsIp: false,
      port: 8080,
      path: "/",
    }],
    ["https://[2001:db8::11]:8443/x", {
      scheme: "https",
      host: "2001:db8::11",
      hostIsIp: true,
      port: 8443,
      path: "/x",
    }],
  ];
  for (const [text, want] of table) {
    assert.deepEqual(parseCheckUrl(text), { ok: true, value: want }, text);
  }
});

Deno.test("parseCheckUrl() names the bad value and the fix", () => {
  const table: [string, string][] = [
    [
      "www.example.com/healthz",
      '--check "www.example.com/healthz": not a URL; use http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH',
    ],
    [
      "ftp://www.example.com/",
      '--check "ftp://www.example.com/": the scheme must be "http" or "https", got "ftp"',
    ],
    [
      "http://user:secret@www.example.com/",
      '--check "http://user:secret@www.example.com/": credentials in the URL are not supported',
    ],
    [
      "http://www.example.com/#top",
      '--check "http://www.example.com/#top": a #fragment is never sent to the server; remove it',
    ],
    [
      "http://www.example.com:0/",
      '--check "http://www.example.com:0/": the port must be 1-65535, got 0',
    ],
    [
      "http://www.example.com:65536/",
      '--check "http://www.example.com:65536/": not a URL; use http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH',
    ],
  ];
  for (const [text, error] of table) {
    assert.deepEqual(parseCheckUrl(text), { ok: false, error }, text);
  }
});
