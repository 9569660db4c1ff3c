/**
 * Rule D (lib/write/in_doubt.ts, SAFETY.md): while a delete of unknown
 * outcome may still land, no other record of its name and type is deleted.
 * The first row is simulator seed 27883 reduced to one plan.
 */
import assert from "node:assert/strict";
import {
  DNS_CALL_BOUND_MS,
  doubtfulKeys,
  doubtKey,
} from "../../lib/write/in_doubt.ts";
import { type Intent, planChanges } from "../../lib/write/plan.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";

const WWW = "www.example.com";
const API = "api.example.com";
const X = "198.51.100.1";
const Y = "198.51.100.2";
const Z = "198.51.100.3";
const V6 = "2001:db8::1";
const W6 = "2001:db8::2";

function rec(name: string, content: string): DnsRecord {
  return {
    id: `id-${name}-${content}`,
    type: content.includes(":") ? "AAAA" : "A",
    name,
    content,
    ttl: 300,
    proxied: true,
    comment: "c",
    tags: [],
  };
}

function plan(
  intents: Record<string, Intent>,
  down: string[],
  inDoubt: string[],
  listed: Record<string, string[]> = {
    [WWW]: [X, Y, V6, W6],
    [API]: [X, Y, V6, W6],
  },
) {
  return planChanges({
    names: [WWW, API],
    ips: [X, Y, Z, V6, W6],
    intents: new Map(Object.entries(intents)),
    down: new Set(down),
    current: new Map(
      Object.entries(listed).map(([n, ips]) => [n, ips.map((i) => rec(n, i))]),
    ),
    snapshots: new Map(),
    guards: { minRecords: 1, maxRemovalsFraction: 1 },
    defaults: { ttl: 1, proxied: false },
    inDoubt: new Set(inDoubt),
  });
}

const summary = (p: ReturnType<typeof planChanges>) =>
  p.changes.map((c) => `${c.kind} ${c.record.name} ${c.record.content}`);

const A = (name: string, ip: string) => doubtKey(name, "A", ip);

Deno.test("rule D: a delete of unknown outcome keeps the name's other record (seed 27883)", () => {
  // X's delete was sent and got no answer; the listing still shows X.
  const intents = { [X]: "hold", [Y]: "absent" } as const;
  const without = plan(intents, [Y], []);
  assert.deepEqual(summary(without), [
    `delete ${WWW} ${Y}`,
    `delete ${API} ${Y}`,
  ]);
  const p = plan(intents, [Y], [A(WWW, X), A(API, X)]);
  assert.deepEqual(summary(p), []);
  assert.deepEqual(p.inDoubt, [Y, Y]);
});

Deno.test("rule D: only the names with a doubtful delete wait", () => {
  const p = plan({ [X]: "hold", [Y]: "absent" }, [Y], [A(WWW, X)]);
  assert.deepEqual(summary(p), [`delete ${API} ${Y}`]);
  assert.deepEqual(p.inDoubt, [Y]);
});

Deno.test("rule D: the doubtful delete itself may be sent again", () => {
  const p = plan({ [X]: "absent", [Y]: "present" }, [X], [A(WWW, X)]);
  assert.deepEqual(summary(p), [`delete ${WWW} ${X}`, `delete ${API} ${X}`]);
  assert.deepEqual(p.inDoubt, []);
});

Deno.test("rule D: a doubtful delete the listing shows done holds nothing", () => {
  const p = plan(
    { [X]: "hold", [Y]: "absent", [Z]: "present" },
    [Y],
    [A(WWW, X)],
    { [WWW]: [Y, Z, V6, W6], [API]: [Y, Z, V6, W6] },
  );
  assert.deepEqual(summary(p), [`delete ${WWW} ${Y}`, `delete ${API} ${Y}`]);
  assert.deepEqual(p.inDoubt, []);
});

Deno.test("rule D: creates on a waiting name still go out", () => {
  const p = plan(
    { [X]: "hold", [Y]: "absent", [Z]: "present" },
    [Y],
    [A(WWW, X)],
  );
  assert.deepEqual(summary(p), [
    `create ${WWW} ${Z}`,
    `create ${API} ${Z}`,
    `delete ${API} ${Y}`,
  ]);
  assert.deepEqual(p.inDoubt, [Y]);
});

Deno.test("rule D: a doubtful A delete holds no AAAA delete", () => {
  const p = plan({ [X]: "hold", [V6]: "absent" }, [V6], [A(WWW, X)]);
  assert.deepEqual(summary(p), [`delete ${WWW} ${V6}`, `delete ${API} ${V6}`]);
});

Deno.test("rule D: a kept record whose delete is in doubt keeps its snapshot (a restart reads it as the doubt)", () => {
  const snapshots = new Map(
    [WWW, API].map((n) => [recordKey(rec(n, X)), rec(n, X)] as const),
  );
  const run = (inDoubt: string[]) =>
    planChanges({
      names: [WWW, API],
      ips: [X, Y],
      intents: new Map([[X, "present"], [Y, "present"]]),
      down: new Set(),
      current: new Map([WWW, API].map((n) => [n, [rec(n, X), rec(n, Y)]])),
      snapshots,
      guards: { minRecords: 1, maxRemovalsFraction: 1 },
      defaults: { ttl: 1, proxied: false },
      inDoubt: new Set(inDoubt),
    }).staleSnapshots;
  assert.deepEqual(run([]), [...snapshots.keys()]);
  assert.deepEqual(run([A(WWW, X)]), [recordKey(rec(API, X))]);
});

Deno.test("doubtfulKeys() keeps a delete in doubt up to the call bound, inclusive", () => {
  const w = { name: WWW, type: "A" as const, content: X, seenAtMs: 1000 };
  const at = (
    listStart: number,
  ) => [...doubtfulKeys([w], listStart, DNS_CALL_BOUND_MS)];
  assert.deepEqual(at(1000), [A(WWW, X)]);
  assert.deepEqual(at(1000 + DNS_CALL_BOUND_MS), [A(WWW, X)]);
  assert.deepEqual(at(1001 + DNS_CALL_BOUND_MS), []);
  assert.equal(DNS_CALL_BOUND_MS, 5000);
});
