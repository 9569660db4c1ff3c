/**
 * ZoneRouter over fake providers: names go to the longest zone they are
 * in, a listing fails whole, changes are applied zone by zone in the order
 * of their first change with one outcome per change in input order,
 * `mayContinue` stops the zones not yet sent, and request/rate-limit
 * callbacks reach every zone's provider.
 * @module
 */
import assert from "node:assert/strict";
import {
  type ApplyResult,
  type Change,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import { ZoneRouter } from "../../lib/dns/zone_router.ts";

function rec(name: string, content: string): DnsRecord {
  return {
    id: `id-${name}-${content}`,
    type: "A",
    name,
    content,
    ttl: 1,
    proxied: false,
    comment: null,
    tags: [],
  };
}

class Fake implements DnsProvider {
  onRequest?: DnsProvider["onRequest"];
  onRateLimit?: DnsProvider["onRateLimit"];
  lists: string[][] = [];
  applied: Change[][] = [];
  failList = false;
  failApply: DnsProviderError | null = null;
  constructor(readonly records: DnsRecord[] = []) {}
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    this.lists.push([...names]);
    if (this.failList) {
      return Promise.reject(new DnsProviderError("config", "zone pending"));
    }
    return Promise.resolve(
      new Map(names.map((n) => [n, this.records.filter((r) => r.name === n)])),
    );
  }
  apply(changes: readonly Change[]): Promise<ApplyResult> {
    this.applied.push([...changes]);
    const error = this.failApply;
    return Promise.resolve({
      outcomes: changes.map((change) =>
        error
          ? { change, result: "failed" as const, error }
          : { change, result: "done" as const }
      ),
      requests: 1,
    });
  }
}

const create = (name: string, ip: string): Change => ({
  kind: "create",
  record: rec(name, ip),
  fromSnapshot: false,
});
const del = (name: string, ip: string): Change => ({
  kind: "delete",
  record: rec(name, ip),
});

function router() {
  const com = new Fake([rec("www.example.com", "192.0.2.1")]);
  const eu = new Fake([rec("a.eu.example.com", "192.0.2.2")]);
  const org = new Fake([rec("example.org", "192.0.2.3")]);
  const r = new ZoneRouter([
    { zone: "example.com", provider: com },
    { zone: "EU.example.com.", provider: eu },
    { zone: "example.org", provider: org, label: 'pool[1] "shop"' },
  ]);
  return { r, com, eu, org };
}

Deno.test("ZoneRouter lists each name in the longest zone it is in, every name a key", async () => {
  const { r, com, eu, org } = router();
  const out = await r.list([
    "www.example.com",
    "a.eu.example.com",
    "example.org",
    "b.eu.example.com",
  ]);
  assert.deepEqual(com.lists, [["www.example.com"]]);
  assert.deepEqual(eu.lists, [["a.eu.example.com", "b.eu.example.com"]]);
  assert.deepEqual(org.lists, [["example.org"]]);
  assert.deepEqual([...out.keys()], [
    "www.example.com",
    "a.eu.example.com",
    "example.org",
    "b.eu.example.com",
  ]);
  assert.deepEqual(out.get("a.eu.example.com")?.map((x) => x.content), [
    "192.0.2.2",
  ]);
  assert.deepEqual(out.get("b.eu.example.com"), []);
});

Deno.test("ZoneRouter fails the whole listing when one zone fails", async () => {
  const { r, org } = router();
  org.failList = true;
  await assert.rejects(
    r.list(["www.example.com", "example.org"]),
    (e) =>
      e instanceof DnsProviderError && e.kind === "config" &&
      e.message === 'zone "example.org" of pool[1] "shop": zone pending',
  );
});

Deno.test("ZoneRouter refuses a name in none of its zones, before any call", async () => {
  const { r, com } = router();
  await assert.rejects(
    r.list(["www.example.com", "www.example.net"]),
    (e) =>
      e instanceof DnsProviderError && e.kind === "config" &&
      e.message.includes("www.example.net"),
  );
  assert.deepEqual(com.lists, []);
  const res = await r.apply([
    create("x.example.net", "192.0.2.9"),
    create("www.example.com", "192.0.2.5"),
  ]);
  assert.deepEqual(res.outcomes.map((o) => o.result), ["failed", "done"]);
  const failed = res.outcomes[0]!;
  assert.ok(failed.result === "failed" && failed.error.kind === "config");
});

Deno.test("ZoneRouter applies zone by zone in first-change order, outcomes in input order", async () => {
  const { r, com, org } = router();
  const changes = [
    create("example.org", "192.0.2.4"),
    create("www.example.com", "192.0.2.5"),
    del("example.org", "192.0.2.3"),
    del("www.example.com", "192.0.2.1"),
  ];
  const res = await r.apply(changes);
  assert.deepEqual(org.applied, [[changes[0], changes[2]]]);
  assert.deepEqual(com.applied, [[changes[1], changes[3]]]);
  assert.deepEqual(res.outcomes.map((o) => o.change), changes);
  assert.equal(res.requests, 2);
});

Deno.test("ZoneRouter leaves the zones not yet sent when mayContinue says no", async () => {
  const { r, com, org } = router();
  const changes = [
    create("example.org", "192.0.2.4"),
    create("www.example.com", "192.0.2.5"),
  ];
  const res = await r.apply(changes, { mayContinue: () => false });
  assert.equal(org.applied.length, 1);
  assert.equal(com.applied.length, 0);
  assert.deepEqual(res.outcomes.map((o) => o.result), ["done", "failed"]);
  assert.equal(res.outcomes[1]!.change, changes[1]);
});

Deno.test("ZoneRouter hands its request and rate-limit callbacks to every zone", () => {
  const { r, com, eu, org } = router();
  const seen: string[] = [];
  r.onRequest = (k) => seen.push(k);
  r.onRateLimit = () => seen.push("limit");
  for (const p of [com, eu, org]) {
    p.onRequest?.("read");
    p.onRateLimit?.({
      remaining: 1,
      resetMs: 1000,
      quota: 2,
      windowSeconds: 300,
    });
  }
  assert.equal(seen.filter((s) => s === "read").length, 3);
  assert.equal(seen.filter((s) => s === "limit").length, 3);
  assert.equal(typeof r.onRequest, "function");
  r.onRequest = undefined;
  assert.equal(com.onRequest, undefined);
});

Deno.test("ZoneRouter sends nothing to later zones after a 429 or a refused token", async () => {
  for (const kind of ["rate_limited", "auth"] as const) {
    const { r, com, org } = router();
    org.failApply = new DnsProviderError(kind, "no");
    const res = await r.apply([
      del("example.org", "192.0.2.3"),
      del("www.example.com", "192.0.2.1"),
    ]);
    assert.equal(com.applied.length, 0, kind);
    assert.deepEqual(res.outcomes.map((o) => o.result), ["failed", "failed"]);
    const second = res.outcomes[1]!;
    assert.ok(second.result === "failed" && second.error.kind === kind);
  }
});
