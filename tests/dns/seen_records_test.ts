import assert from "node:assert/strict";
import { SeenRecords } from "../../lib/dns/seen_records.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";

const rec = (
  name: string,
  content: string,
  extra: Partial<DnsRecord> = {},
): DnsRecord => ({
  id: `id-${content}`,
  type: content.includes(":") ? "AAAA" : "A",
  name,
  content,
  ttl: 300,
  proxied: true,
  comment: "c",
  tags: ["a:b"],
  ...extra,
});

Deno.test("SeenRecords.update() remembers managed records without ids and keeps them after they vanish", () => {
  const seen = new SeenRecords();
  const names = ["www.example.com"];
  const ips = ["192.0.2.1", "2001:DB8::1"];
  const first = seen.update(
    names,
    ips,
    new Map([["www.example.com", [
      rec("www.example.com", "192.0.2.1"),
      rec("www.example.com", "2001:db8::1"),
      rec("www.example.com", "198.51.100.1"),
    ]]]),
  );
  assert.equal(first.size, 2);
  assert.deepEqual(first.get("www.example.com|A|192.0.2.1"), {
    type: "A",
    name: "www.example.com",
    content: "192.0.2.1",
    ttl: 300,
    proxied: true,
    comment: "c",
    tags: ["a:b"],
  });
  const second = seen.update(
    names,
    ips,
    new Map([["www.example.com", [
      rec("www.example.com", "192.0.2.1", { ttl: 60 }),
    ]]]),
  );
  assert.equal(second.get("www.example.com|A|192.0.2.1")?.ttl, 60);
  assert.ok(second.has("www.example.com|AAAA|2001:db8::1"));
});

Deno.test("SeenRecords.update() forgets records no longer managed and keeps the first of duplicates", () => {
  const seen = new SeenRecords();
  seen.update(
    ["www.example.com"],
    ["192.0.2.1", "192.0.2.2"],
    new Map([["www.example.com", [
      rec("www.example.com", "192.0.2.1", { comment: "first" }),
      rec("www.example.com", "192.0.2.1", { comment: "second" }),
      rec("www.example.com", "192.0.2.2"),
    ]]]),
  );
  const after = seen.update(["www.example.com"], ["192.0.2.1"], new Map());
  assert.deepEqual([...after.keys()], ["www.example.com|A|192.0.2.1"]);
  assert.equal(after.get("www.example.com|A|192.0.2.1")?.comment, "first");
  assert.equal(seen.size, 1);
});
