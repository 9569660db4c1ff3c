import assert from "node:assert/strict";
import { formatIssues, loadConfigText } from "../../lib/config/load.ts";
import { runCheckConfig } from "../../lib/cli/check_config.ts";
import { nonPublicKind } from "../../lib/net/ip_scope.ts";

const cf = (extra: string, ips = `["192.0.2.1", "192.0.2.2"]`) =>
  `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ${ips}
${extra}
`;

function errorsOf(text: string): string {
  const r = loadConfigText(text);
  assert.ok(!r.ok, "expected errors");
  return formatIssues(r.errors);
}

function warningsOf(text: string): string[] {
  const r = loadConfigText(text);
  assert.ok(r.ok, r.ok ? "" : formatIssues(r.errors));
  return r.value.warnings;
}

for (const bad of [0, 2, 10, 29, 86401, 300.5, '"300"']) {
  Deno.test(`loadConfigText() refuses cloudflare.ttl = ${bad}, naming the key and the value`, () => {
    const text = errorsOf(cf(`ttl = ${bad}`));
    assert.match(text, /"cloudflare\.ttl"/);
    assert.ok(text.includes(String(bad)), text);
    assert.match(text, /1 \(automatic\) or an integer from 60 to 86400/);
  });
}

Deno.test("loadConfigText() takes cloudflare.ttl 1, 60 and 86400 without a warning", () => {
  for (const ttl of [1, 60, 3600, 86400]) {
    assert.deepEqual(warningsOf(cf(`ttl = ${ttl}`)), []);
  }
});

Deno.test("loadConfigText() takes cloudflare.ttl 30 with a warning that it is Enterprise-only", () => {
  const [w, ...rest] = warningsOf(cf("ttl = 30"));
  assert.deepEqual(rest, []);
  assert.match(w!, /"cloudflare\.ttl" is 30/);
  assert.match(w!, /Enterprise zones only/);
});

Deno.test("loadConfigText() warns that a ttl does not apply to proxied records", () => {
  const [w] = warningsOf(cf("dns_proxied = true\nttl = 300"));
  assert.match(
    w!,
    /"cloudflare\.ttl" is 300 but "cloudflare\.dns_proxied" is true/,
  );
});

Deno.test("loadConfigText() warns, IP by IP, that Cloudflare refuses to proxy non-public addresses (9003)", () => {
  const ips =
    `["10.1.2.3", "127.0.0.1", "169.254.1.1", "100.64.0.9", "172.20.0.1", "192.168.1.1", "fd00::1", "fe80::1", "::1", "8.8.8.8", "2606:4700::1111"]`;
  const warnings = warningsOf(cf("dns_proxied = true", ips));
  const named = warnings.map((w) => w.match(/lists (\S+),/)?.[1]);
  assert.deepEqual(named, [
    "10.1.2.3",
    "127.0.0.1",
    "169.254.1.1",
    "100.64.0.9",
    "172.20.0.1",
    "192.168.1.1",
    "fd00::1",
    "fe80::1",
    "::1",
  ]);
  for (const w of warnings) {
    assert.match(w, /refuses to proxy it \(9003/);
    assert.match(w, /"cloudflare\.ip_addresses"/);
  }
  assert.deepEqual(warningsOf(cf("dns_proxied = false", ips)), []);
});

Deno.test("nonPublicKind() names the range, and leaves public and documentation addresses alone", () => {
  assert.equal(nonPublicKind("10.0.0.1"), "a private address (RFC 1918)");
  assert.equal(
    nonPublicKind("100.127.255.255"),
    "a CGNAT address (100.64.0.0/10, RFC 6598)",
  );
  assert.equal(nonPublicKind("100.128.0.0"), null);
  assert.equal(nonPublicKind("172.32.0.1"), null);
  assert.equal(nonPublicKind("fc00::1"), "a unique local address (fc00::/7)");
  assert.equal(nonPublicKind("fdff::1"), "a unique local address (fc00::/7)");
  assert.equal(nonPublicKind("fe00::1"), null);
  assert.equal(nonPublicKind("::ffff:10.0.0.1"), "an IPv4-mapped address");
  // Cloudflare proxies these (the usual placeholders in front of Workers).
  for (
    const ip of [
      "192.0.2.1",
      "198.51.100.7",
      "203.0.113.5",
      "2001:db8::1",
      "100::",
    ]
  ) {
    assert.equal(nonPublicKind(ip), null, ip);
  }
});

Deno.test("runCheckConfig() prints the proxy and ttl warnings and still exits 0", async () => {
  const file = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(
      file,
      cf("dns_proxied = true\nttl = 45", `["10.0.0.5", "192.0.2.1"]`),
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCheckConfig({
      configFile: file,
      overrides: {},
      write: (l) => out.push(l),
      writeErr: (l) => err.push(l),
    });
    assert.equal(code, 0, err.join("\n"));
    assert.ok(
      err.some((l) => /^warning: .*10\.0\.0\.5.*9003/.test(l)),
      err.join("\n"),
    );
    assert.ok(err.some((l) => /^warning: .*cloudflare\.ttl" is 45/.test(l)));
    // A documentation address is not refused (no 9003), but said to be one.
    const doc = err.filter((l) => l.includes("192.0.2.1"));
    assert.equal(doc.length, 1, err.join("\n"));
    assert.match(doc[0]!, /documentation address .*placeholder origin/);
    assert.doesNotMatch(doc[0]!, /9003/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runCheckConfig() accepts the bundled goavail.toml (loopback targets, dry-run) without errors", async () => {
  const err: string[] = [];
  const code = await runCheckConfig({
    configFile: new URL("../../goavail.toml", import.meta.url).pathname,
    overrides: {},
    write: () => {},
    writeErr: (l) => err.push(l),
  });
  assert.equal(code, 0, err.join("\n"));
  assert.ok(!err.some((l) => l.startsWith("error")), err.join("\n"));
});
