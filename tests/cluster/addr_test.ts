import assert from "node:assert/strict";
import {
  canonicalIp,
  canonicalNodeId,
  parsePeerAddr,
} from "../../lib/cluster/addr.ts";
import {
  parseHeartbeat,
  REJECT_REASONS,
  RejectionCounters,
} from "../../lib/cluster/types.ts";

Deno.test("canonicalIp() normalizes IP literals and refuses names", () => {
  const table: [string, string | null][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0::1", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::ffff:c000:0207", "192.0.2.7"],
    ["::1", "::1"],
    ["256.0.0.1", null],
    ["fe80::1%eth0", null],
    ["example.com", null],
    ["", null],
  ];
  for (const [input, want] of table) {
    assert.equal(canonicalIp(input), want, input);
  }
});

Deno.test("parsePeerAddr() parses host:port forms into canonical ids", () => {
  const table: [string, string | null][] = [
    ["10.0.0.1:7947", "10.0.0.1:7947"],
    ["10.0.0.1", "10.0.0.1:7000"],
    ["[2001:DB8::1]:8000", "[2001:db8::1]:8000"],
    ["2001:db8::1", "[2001:db8::1]:7000"],
    ["Node-A.Example.:9000", "node-a.example:9000"],
    ["10.0.0.1:0", null],
    ["10.0.0.1:70000", null],
    ["10.0.0.1:x", null],
    ["bad host!:1", null],
  ];
  for (const [input, want] of table) {
    assert.equal(parsePeerAddr(input, 7000)?.id ?? null, want, input);
  }
  assert.equal(parsePeerAddr("node-a:1", 7000)?.ip, null);
  assert.equal(canonicalNodeId("local", 7000), "local:7000");
});

Deno.test("parseHeartbeat() validates every field", () => {
  const good = {
    from: "a:1",
    boot: 1,
    seq: 1,
    sentAt: 2,
    view: { "192.0.2.1": { verdict: "down", since: 1, consecutive: 3 } },
  };
  const r = parseHeartbeat(good);
  assert.ok(r.ok);
  assert.equal(r.value.isolated, false);
  assert.equal(r.value.writable, false, "an older agent is not writable");
  assert.deepEqual(r.value.hears, []);
  const relayed = parseHeartbeat({
    ...good,
    writable: true,
    hears: ["b:1", "c:1", "b:1"],
  });
  assert.ok(relayed.ok);
  assert.equal(relayed.value.writable, true);
  assert.deepEqual(relayed.value.hears, ["b:1", "c:1"]);
  const bad: unknown[] = [
    { ...good, writable: 1 },
    { ...good, hears: "b:1" },
    { ...good, hears: [""] },
    { ...good, hears: [7] },
    { ...good, hears: Array.from({ length: 65 }, (_, i) => `h${i}:1`) },
    null,
    [],
    { ...good, extra: 1 },
    { ...good, from: "" },
    { ...good, seq: 0 },
    { ...good, boot: -1 },
    { ...good, sentAt: 1.5 },
    { ...good, isolated: "no" },
    { ...good, view: [] },
    { ...good, view: { x: { verdict: "up", since: 1 } } },
    { ...good, view: { x: { verdict: "gone", since: 1, consecutive: 1 } } },
  ];
  for (const b of bad) {
    assert.equal(parseHeartbeat(b).ok, false, JSON.stringify(b));
  }
});

Deno.test("RejectionCounters.snapshot() lists every reason", () => {
  const c = new RejectionCounters();
  c.inc("replay");
  c.inc("replay");
  c.inc("bad_tag");
  const snap = c.snapshot();
  assert.equal(Object.keys(snap).length, REJECT_REASONS.length);
  assert.equal(snap.replay, 2);
  assert.equal(c.total(), 3);
});
