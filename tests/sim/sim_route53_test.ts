/**
 * The simulator's Route 53, driven through the real provider and SDK: the
 * API's view and the edge apart, atomic changes reaching the edge whole and
 * in order, overlapping listings, each fault; and the record-set
 * invariants of tests/sim/invariants_sets.ts.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import type { Route53Config } from "../../lib/config/types.ts";
import type {
  Change,
  ChangeOutcome,
  DnsProvider,
  DnsRecord,
} from "../../lib/dns/provider.ts";
import type { FakeRecordSet } from "../support/fake_route53_state.ts";
import { Truth } from "./invariants.ts";
import { checkSetEdge, setRecords } from "./invariants_sets.ts";
import { Prng } from "./prng.ts";
import { NO_FAULTS } from "./sim_cloudflare.ts";
import { type SetEdge, SIM_ZONE_ID, SimRoute53 } from "./sim_route53.ts";

const WWW = "www.example.com";
const API = "api.example.com";
const X = "198.51.100.1";
const Y = "198.51.100.2";

function sets(): FakeRecordSet[] {
  return [
    { Name: WWW, Type: "A", TTL: 300, ResourceRecords: [X, Y] },
    { Name: API, Type: "A", TTL: 60, ResourceRecords: [X] },
    { Name: "other.example.com", Type: "A", TTL: 60, ResourceRecords: [X] },
  ];
}

const config: Route53Config = {
  awsDomain: "example.com",
  zoneId: SIM_ZONE_ID,
  region: "us-east-1",
  hostnames: ["www", "api"],
  ipAddresses: [X, Y],
  ttl: 120,
  reconcileInterval: 60,
};

interface Lab {
  zone: SimRoute53;
  edges: SetEdge[];
  world: { now: number };
  agent(by: string): Promise<DnsProvider>;
}

function lab(start = sets(), seed = 1): Lab {
  const world = { now: 0 };
  const edges: SetEdge[] = [];
  const zone = new SimRoute53(
    new Prng(seed),
    start,
    (e) => edges.push(e),
    () => world.now,
  );
  zone.beginStep();
  return {
    zone,
    edges,
    world,
    agent: (by) => zone.providerFor(config, by, { authRejected: false }),
  };
}

async function record(p: DnsProvider, name: string, ip: string) {
  const r = (await p.list([name])).get(name)?.find((x) => x.content === ip);
  assert(r, `${name} lists ${ip}`);
  return r;
}

function del(record: DnsRecord): Change {
  return { kind: "delete", record };
}

function values(s: readonly FakeRecordSet[], name: string): string[] {
  return s.find((x) => x.Name === `${name}.` && x.Type === "A")
    ?.ResourceRecords ?? [];
}

function failed(o: ChangeOutcome | undefined): string {
  return o?.result === "failed" ? o.error.kind : `not failed: ${o?.result}`;
}

/** Lets the zone commit and propagate everything due within `ms`. */
function wait(l: Lab, ms: number): void {
  l.world.now += ms;
  l.zone.commitDue();
  l.zone.beginStep();
}

Deno.test("SimRoute53 a change is listed at once and reaches the edge whole when INSYNC", async () => {
  const l = lab();
  const p = await l.agent("a0");
  const r = await p.apply([del(await record(p, WWW, X))]);
  assertEquals(r.outcomes[0]?.result, "done");
  assertEquals(values(l.zone.edgeSets(), WWW), [X, Y], "PENDING: old edge");
  assert(!l.zone.idle());
  l.zone.beginStep();
  assertEquals(
    (await p.list([WWW])).get(WWW)?.map((x) => x.content),
    [Y],
    "the API lists the change at once",
  );
  wait(l, 5000);
  assert(l.zone.idle());
  assertEquals(l.edges.length, 1);
  assertEquals(values(l.edges[0]!.before, WWW), [X, Y]);
  assertEquals(values(l.edges[0]!.after, WWW), [Y]);
  assertEquals(l.edges[0]!.by, "a0");
  assertEquals(values(l.zone.edgeSets(), WWW), [Y]);
  assertEquals(values(l.zone.edgeSets(), API), [X], "other sets as they were");
});

Deno.test("SimRoute53 changes reach the edge in the order they were accepted", async () => {
  const l = lab();
  const p = await l.agent("a0");
  await p.apply([del(await record(p, WWW, X))]);
  l.world.now += 500;
  l.zone.beginStep();
  await p.apply([{
    kind: "create",
    record: await record(p, WWW, Y).then((r) => ({ ...r, content: X })),
    fromSnapshot: true,
  }]);
  wait(l, 10_000);
  assertEquals(l.edges.map((e) => values(e.after, WWW)), [[Y], [Y, X]]);
  assertEquals(l.edges[1]!.before, l.edges[0]!.after);
});

Deno.test("SimRoute53 listings show the zone as the step began: a second writer's batch from that listing is refused, re-read, and puts nothing back", async () => {
  const l = lab();
  const a = await l.agent("a0");
  const b = await l.agent("a1");
  const x = await record(a, WWW, X);
  const y = await record(b, WWW, Y);
  assertEquals((await a.apply([del(x)])).outcomes[0]?.result, "done");
  // b plans from the same (step-start) listing: DELETE {X, Y}, CREATE {X}.
  // Refused (the set is {Y} now); b re-reads the zone as it is: X, which
  // b's guards counted, is gone, so b removes nothing until its next pass
  // counts again (and would have to empty the set, which it never does).
  const r = await b.apply([del(y)]);
  assertEquals(failed(r.outcomes[0]), "conflict");
  assertEquals(l.zone.stats.refused, 1);
  assertEquals(l.zone.stats.changes, 1);
  wait(l, 10_000);
  assertEquals(l.edges.map((e) => values(e.after, WWW)), [[Y]]);
});

Deno.test("SimRoute53 a CREATE of a set another agent created this step is refused; the re-read adds the value to that set", async () => {
  const l = lab(sets().filter((s) => s.Name !== API));
  const a = await l.agent("a0");
  const b = await l.agent("a1");
  const create = (ip: string): Change => ({
    kind: "create",
    record: {
      type: "A",
      name: API,
      content: ip,
      ttl: 60,
      proxied: false,
      comment: null,
      tags: [],
    },
    fromSnapshot: true,
  });
  assertEquals((await a.apply([create(X)])).outcomes[0]?.result, "done");
  const r = await b.apply([create(Y)]);
  assertEquals(r.outcomes[0]?.result, "done");
  assertEquals(r.requests, 2, "the refused batch and the re-planned one");
  assertEquals(l.zone.stats.refused, 1);
  wait(l, 10_000);
  assertEquals(l.edges.map((e) => values(e.after, API)), [[X], [X, Y]]);
});

Deno.test("SimRoute53 a lost reply: the change is applied, the caller sees a server error", async () => {
  const l = lab();
  const access = { authRejected: false };
  const inner = l.zone.handlerFor("a0", access);
  // Only the change's reply is lost, not the apply's own listing.
  const p = await l.zone.providerFor(config, "a0", access, {
    ...inner,
    handle: (req) => {
      l.zone.faults = req.method === "POST"
        ? { ...NO_FAULTS, lostReply: 1 }
        : NO_FAULTS;
      return inner.handle(req);
    },
  });
  const r = await p.apply([del(await record(p, WWW, X))]);
  assertEquals(failed(r.outcomes[0]), "server");
  assertEquals(l.zone.stats.lost, 1);
  assertEquals(l.zone.stats.changes, 1, "applied all the same");
  wait(l, 5000);
  assertEquals(values(l.zone.edgeSets(), WWW), [Y]);
});

Deno.test("SimRoute53 a late commit: the caller times out, the change lands later, a change meanwhile is PriorRequestNotComplete", async () => {
  const l = lab();
  const p = await l.agent("a0");
  const x = await record(p, WWW, X);
  l.zone.faults = { ...NO_FAULTS, late: 1 };
  const r = await p.apply([del(x)]);
  assertEquals(failed(r.outcomes[0]), "server");
  assertEquals(l.zone.stats.changes, 0);
  l.zone.faults = NO_FAULTS;
  const y = await record(p, API, X);
  const q = await p.apply([{
    kind: "create",
    record: { ...y, content: Y },
    fromSnapshot: true,
  }]);
  assertEquals(failed(q.outcomes[0]), "rate_limited");
  assertEquals(l.zone.stats.prior, 1);
  wait(l, 4500);
  assertEquals(l.zone.stats.changes, 1, "committed within 4.5 s");
  wait(l, 5000);
  assertEquals(values(l.zone.edgeSets(), WWW), [Y]);
  assertEquals(l.edges[0]!.sentAt, 0, "judged when it was sent");
});

Deno.test("SimRoute53 throttles past the account's bucket and rejects refused credentials", async () => {
  const l = lab();
  const p = await l.agent("a0");
  const kinds: string[] = [];
  for (let i = 0; i < 30; i++) {
    try {
      await p.list([WWW, API]);
      kinds.push("ok");
    } catch (e) {
      kinds.push((e as { kind: string }).kind);
    }
  }
  assert(kinds.includes("rate_limited"), kinds.join(","));
  assertEquals(kinds.slice(0, 24), Array(24).fill("ok"));
  l.world.now += 10_000;
  const q = await l.zone.providerFor(config, "a1", { authRejected: true });
  const e = await q.list([WWW]).catch((e) => e);
  assertEquals(e.kind, "auth");
});

function truth(start: FakeRecordSet[]): Truth {
  const t = new Truth({
    names: [WWW, API],
    ips: [X, Y],
    agents: 1,
    minPeersAgree: 0,
    minRecords: 1,
    voteMs: 5000,
    known: () => true,
  });
  t.start(setRecords(start));
  return t;
}

Deno.test("checkSetEdge() finds a deleted set (I1), changed attributes (I4), another set touched (I6)", () => {
  const cases: [string, (s: FakeRecordSet[]) => FakeRecordSet[], string][] = [
    ["set deleted", (s) => s.filter((x) => x.Name !== API), "I1"],
    [
      "TTL changed",
      (s) => s.map((x) => x.Name === WWW ? { ...x, TTL: 1 } : x),
      "I4",
    ],
    [
      "other name",
      (s) =>
        s.map((x) =>
          x.Name === "other.example.com" ? { ...x, ResourceRecords: [Y] } : x
        ),
      "I6",
    ],
    [
      "an unmanaged value dropped",
      (s) =>
        s.map((x) => x.Name === WWW ? { ...x, ResourceRecords: [X, Y] } : x),
      "I6",
    ],
  ];
  for (const [what, change, invariant] of cases) {
    const start = sets().map((s) =>
      s.Name === WWW ? { ...s, ResourceRecords: [X, Y, "203.0.113.9"] } : s
    );
    const t = truth(start);
    checkSetEdge(
      t,
      {
        before: start,
        after: change(structuredClone(start)),
        by: "a0",
        sentAt: 0,
      },
      0,
      [WWW, API],
      () => {},
    );
    assertEquals(t.violations.map((v) => v.invariant), [invariant], what);
  }
});

Deno.test("checkSetEdge() passes a value's withdrawal backed by the agent and its restore with the set's TTL", () => {
  const t = truth(sets());
  t.observe(0, 0, new Map([[X, "down"], [Y, "up"]]));
  const before = sets();
  const after = sets().map((s) =>
    s.Name === WWW ? { ...s, ResourceRecords: [Y] } : s
  );
  const seen: string[] = [];
  checkSetEdge(
    t,
    { before, after, by: "a0", sentAt: 0 },
    0,
    [WWW, API],
    (k, r) => seen.push(`${k} ${r.name} ${r.content} ttl=${r.ttl}`),
  );
  t.observe(0, 10_000, new Map([[X, "up"], [Y, "up"]]));
  checkSetEdge(
    t,
    { before: after, after: before, by: "a0", sentAt: 10_000 },
    10_000,
    [WWW, API],
    (k, r) => seen.push(`${k} ${r.name} ${r.content} ttl=${r.ttl}`),
  );
  assertEquals(t.violations, []);
  assertEquals(seen, [
    `delete ${WWW} ${X} ttl=300`,
    `create ${WWW} ${X} ttl=300`,
  ]);
});
