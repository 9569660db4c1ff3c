import assert from "node:assert/strict";
import {
  canonicalIp,
  describeChange,
  DnsProviderError,
  fqdn,
  recordKey,
  recordTypeOf,
} from "../../lib/dns/provider.ts";
import {
  parseRetryAfter,
  toDnsRecord,
  toProviderError,
} from "../../lib/dns/cloudflare_map.ts";

Deno.test("fqdn() handles the apex, relative names and names already in the zone", () => {
  assert.equal(fqdn("@", "example.com"), "example.com");
  assert.equal(fqdn("www", "example.com"), "www.example.com");
  assert.equal(fqdn("WWW.Example.com.", "example.com"), "www.example.com");
  assert.equal(fqdn("a.b", "Example.COM."), "a.b.example.com");
  assert.equal(fqdn("example.com", "example.com"), "example.com");
});

Deno.test("canonicalIp() compresses and lower-cases IPv6 and leaves IPv4 alone", () => {
  assert.equal(
    canonicalIp("2001:0DB8:0000:0000:0000:0000:0000:0001"),
    "2001:db8::1",
  );
  assert.equal(canonicalIp(" 192.0.2.1 "), "192.0.2.1");
  assert.equal(recordTypeOf("2001:db8::1"), "AAAA");
  assert.equal(
    recordKey({ name: "a.example.com", type: "AAAA", content: "2001:DB8::1" }),
    "a.example.com|AAAA|2001:db8::1",
  );
});

Deno.test("describeChange() names the action, type, name and content", () => {
  const record = {
    type: "A" as const,
    name: "www.example.com",
    content: "192.0.2.1",
    ttl: 1,
    proxied: false,
    comment: null,
    tags: [],
  };
  assert.equal(
    describeChange({ kind: "delete", record }),
    "remove A www.example.com 192.0.2.1",
  );
  assert.equal(
    describeChange({ kind: "create", record, fromSnapshot: true }),
    "restore A www.example.com 192.0.2.1",
  );
});

Deno.test("parseRetryAfter() reads seconds, HTTP dates and retry-after-ms", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  assert.equal(parseRetryAfter(h({ "retry-after": "5" })), 5000);
  assert.equal(parseRetryAfter(h({ "retry-after": "0.25" })), 250);
  assert.equal(parseRetryAfter(h({ "retry-after-ms": "42" })), 42);
  assert.equal(
    parseRetryAfter(
      h({ "retry-after": new Date(61_000).toUTCString() }),
      1_000,
    ),
    60_000,
  );
  assert.equal(parseRetryAfter(h({ "retry-after": "soon" })), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

Deno.test("toProviderError() classifies by status and keeps Cloudflare codes", () => {
  const e = (status: number | undefined, name = "APIError") => {
    const x = Object.assign(new Error("raw body with secrets"), {
      status,
      errors: [{ code: 81044, message: "Record does not exist." }],
      headers: new Headers(),
    });
    x.name = name;
    return toProviderError(x, "delete");
  };
  assert.equal(e(429).kind, "rate_limited");
  assert.equal(
    e(429).retryAfterMs,
    undefined,
    "no retry-after: left to the reconciler",
  );
  assert.equal(e(401).kind, "auth");
  assert.equal(e(403).kind, "auth");
  assert.equal(e(409).kind, "conflict");
  assert.equal(e(404).kind, "bad_request");
  assert.equal(e(502).kind, "server");
  assert.equal(e(undefined).kind, "server");
  assert.deepEqual(e(404).codes, [81044]);
  assert.equal(
    e(404).message,
    "Cloudflare delete failed: HTTP 404 (81044 Record does not exist.)",
  );
  assert.ok(!e(500).message.includes("secrets"));
  const dnsErr = new DnsProviderError("auth", "x");
  assert.equal(toProviderError(dnsErr, "y"), dnsErr);
  assert.equal(dnsErr.name, "DnsProviderError");
});

Deno.test("toDnsRecord() parses A/AAAA records and rejects the rest", () => {
  assert.deepEqual(
    toDnsRecord({
      id: "1",
      type: "AAAA",
      name: "WWW.example.com",
      content: "2001:DB8::1",
      ttl: 60,
      proxied: true,
      comment: "",
      tags: ["a:b", 3],
    }),
    {
      id: "1",
      type: "AAAA",
      name: "www.example.com",
      content: "2001:db8::1",
      ttl: 60,
      proxied: true,
      comment: null,
      tags: ["a:b"],
    },
  );
  assert.equal(toDnsRecord({ type: "CNAME", name: "x", content: "y" }), null);
  assert.equal(toDnsRecord(null), null);
});
