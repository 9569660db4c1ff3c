/**
 * The write decision over pools (lib/write/pools.ts): a pool's names hold
 * exactly its IPs, each pool has its own guards and defaults, verdicts are
 * keyed by (pool, IP), and settings without pools decide as before.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decideWrites } from "../../lib/write/decide.ts";
import { poolsOf, type WritePool } from "../../lib/write/pools.ts";
import type { WriteInput } from "../../lib/write/types.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import type { PeerView } from "../../lib/cluster/types.ts";
import { clusterInput, IPS, NAME, seeing, vote, X, Y } from "./fixtures.ts";

const WWW = "www.example.com";
const APP = "app.example.com";
const W = "203.0.113.11";
const W2 = "203.0.113.12";

function rec(name: string, ip: string): DnsRecord {
  return {
    id: `id-${name}-${ip}`,
    type: ip.includes(":") ? "AAAA" : "A",
    name,
    content: ip,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
  };
}

function pool(
  name: string,
  names: string[],
  ips: string[],
  over: Partial<WritePool> = {},
): WritePool {
  return {
    name,
    names,
    ips,
    guards: { minRecords: 1, maxRemovalsFraction: 1 },
    defaults: { ttl: 1, proxied: false },
    ...over,
  };
}

/** A single node deciding over `pools` with its own view. */
function single(pools: WritePool[], view: PeerView): WriteInput {
  const base = clusterInput();
  return {
    ...base,
    cluster: null,
    settings: {
      ...base.settings,
      names: pools.flatMap((p) => p.names),
      ips: [...new Set(pools.flatMap((p) => p.ips))],
      pools,
    },
    self: { ...base.self, view },
  };
}

const up = (...keys: string[]): PeerView =>
  Object.fromEntries(
    keys.map((k) => [k, { verdict: "up", since: 0, consecutive: 10 }]),
  );
const down = (...keys: string[]): PeerView =>
  Object.fromEntries(
    keys.map((k) => [k, { verdict: "down", since: 0, consecutive: 10 }]),
  );

function run(
  input: WriteInput,
  listed: [string, string[]][],
) {
  const listing = new Map(
    listed.map(([name, ips]) => [name, ips.map((ip) => rec(name, ip))]),
  );
  const d = decideWrites(input, listing, new Map());
  return {
    changes: d.plan.changes.map((c) =>
      `${c.kind} ${c.record.name} ${c.record.content}`
    ),
    holds: Object.fromEntries(d.plan.holds),
  };
}

const DEFAULT = pool("default", [WWW], [X, Y]);
const WEB = pool("web", [APP], [W, W2]);

/** [case, pools, view, listing, changes expected] */
const CASES: [string, WritePool[], PeerView, [string, string[]][], string[]][] =
  [
    [
      "each name gets only its own pool's missing IPs",
      [DEFAULT, WEB],
      up(X, Y, `web/${W}`, `web/${W2}`),
      [[WWW, [X]], [APP, []]],
      [`create ${WWW} ${Y}`, `create ${APP} ${W}`, `create ${APP} ${W2}`],
    ],
    [
      "another pool's IP on a name is not managed there: never deleted",
      [DEFAULT, WEB],
      { ...up(X, Y, `web/${W2}`), ...down(`web/${W}`) },
      [[WWW, [X, Y, W]], [APP, [W, W2]]],
      [`delete ${APP} ${W}`],
    ],
    [
      "one IP in two pools: each pool's verdict decides its own names",
      [DEFAULT, pool("web", [APP], [X, W])],
      { ...up(X, Y, `web/${W}`), ...down(`web/${X}`) },
      [[WWW, [X, Y]], [APP, [X, W]]],
      [`delete ${APP} ${X}`],
    ],
    [
      "one IP in two pools: down in the first only",
      [DEFAULT, pool("web", [APP], [X, W])],
      { ...down(X), ...up(Y, `web/${X}`, `web/${W}`) },
      [[WWW, [X, Y]], [APP, [X, W]]],
      [`delete ${WWW} ${X}`],
    ],
    [
      "a pool's own min_records holds its last records",
      [DEFAULT, { ...WEB, guards: { minRecords: 2, maxRemovalsFraction: 1 } }],
      { ...up(X, Y, `web/${W2}`), ...down(`web/${W}`, X) },
      [[WWW, [X, Y]], [APP, [W, W2]]],
      [`delete ${WWW} ${X}`],
    ],
    [
      "a pool's own blast radius",
      [
        DEFAULT,
        pool("web", [APP], [W, W2, "203.0.113.13"], {
          guards: { minRecords: 1, maxRemovalsFraction: 0.34 },
        }),
      ],
      { ...up(X, Y, "web/203.0.113.13"), ...down(`web/${W}`, `web/${W2}`) },
      [[WWW, [X, Y]], [APP, [W, W2, "203.0.113.13"]]],
      [`delete ${APP} ${W}`],
    ],
    [
      "a pool's target without a verdict is held, not created",
      [DEFAULT, WEB],
      up(X, Y, `web/${W}`),
      [[WWW, [X, Y]], [APP, [W]]],
      [],
    ],
  ];

for (const [name, pools, view, listed, changes] of CASES) {
  Deno.test(`decideWrites() over pools: ${name}`, () => {
    assertEquals(run(single(pools, view), listed).changes, changes);
  });
}

Deno.test("decideWrites() over pools creates with the pool's own defaults", () => {
  const web = { ...WEB, defaults: { ttl: 120, proxied: true } };
  const input = single([DEFAULT, web], up(X, Y, `web/${W}`, `web/${W2}`));
  const listing = new Map([[WWW, [rec(WWW, X), rec(WWW, Y)]], [APP, [
    rec(APP, W),
  ]]]);
  const d = decideWrites(input, listing, new Map());
  assertEquals(
    d.plan.changes.map((c) => [c.record.name, c.record.ttl, c.record.proxied]),
    [[APP, 120, true]],
  );
});

Deno.test("decideWrites() over pools keys holds and decisions by (pool, IP)", () => {
  const out = run(
    single(
      [
        DEFAULT,
        pool("web", [APP], [X, W], {
          guards: { minRecords: 2, maxRemovalsFraction: 1 },
        }),
      ],
      { ...up(X, Y, `web/${W}`), ...down(`web/${X}`) },
    ),
    [[WWW, [X, Y]], [APP, [X, W]]],
  );
  assertEquals(out, {
    changes: [],
    holds: {
      [X]: "in_sync",
      [Y]: "in_sync",
      [`web/${X}`]: "min_records",
      [`web/${W}`]: "in_sync",
    },
  });
});

Deno.test("decideWrites() over pools counts a peer's votes per (pool, IP)", () => {
  const base = clusterInput({
    view: { ...seeing(), ...up(`web/${W}`), ...down(`web/${X}`) },
    live: [
      // B sees X down over ICMP (pool default) but up over web's check.
      vote("198.51.100.2:7947", {
        ...seeing([X]),
        ...up(`web/${X}`, `web/${W}`),
      }, {
        hears: ["198.51.100.1:7947", "198.51.100.3:7947"],
      }),
      vote("198.51.100.3:7947", {
        ...seeing(),
        ...down(`web/${X}`),
        ...up(`web/${W}`),
      }, {
        hears: ["198.51.100.1:7947", "198.51.100.2:7947"],
      }),
    ],
  });
  const pools = [pool("default", [NAME], IPS), pool("web", [APP], [X, W])];
  const input: WriteInput = {
    ...base,
    settings: { ...base.settings, pools },
  };
  const d = decideWrites(
    input,
    new Map([[NAME, IPS.map((ip) => rec(NAME, ip))], [APP, [
      rec(APP, X),
      rec(APP, W),
    ]]]),
    new Map(),
  );
  assertEquals(
    [d.ips.get(X)?.downVotes, d.ips.get(`web/${X}`)?.downVotes],
    [1, 2],
  );
  assertEquals(d.plan.changes.map((c) => `${c.kind} ${c.record.name}`), [
    `delete ${APP}`,
  ]);
});

Deno.test("decideWrites() decides the same with or without the one pool spelled out", () => {
  const views: PeerView[] = [
    seeing(),
    seeing([X]),
    seeing([X, Y]),
    seeing(IPS),
  ];
  const listings: string[][] = [IPS, [X], [], [Y, "2001:db8::1"]];
  for (const view of views) {
    for (const ips of listings) {
      const legacy = clusterInput({ view, minPeersAgree: 0 });
      const pooled: WriteInput = {
        ...legacy,
        settings: { ...legacy.settings, pools: poolsOf(legacy.settings) },
      };
      const listing = new Map([[NAME, ips.map((ip) => rec(NAME, ip))]]);
      assertEquals(
        decideWrites(pooled, listing, new Map()),
        decideWrites(legacy, listing, new Map()),
      );
    }
  }
});

const BACKUP = "198.51.100.7";
const WITH_BACKUP = pool("web", [APP], [W, W2], { backups: [BACKUP] });

Deno.test("pools: a backup is a target of its pool, on standby while a primary is up", () => {
  const r = run(
    single([DEFAULT, WITH_BACKUP], {
      ...up(X, Y, `web/${W}`, `web/${BACKUP}`),
      ...down(`web/${W2}`),
    }),
    [[WWW, [X, Y]], [APP, [W, W2]]],
  );
  assertEquals(r.changes, [`delete ${APP} ${W2}`]);
  assertEquals(r.holds[`web/${BACKUP}`], "standby");
});

Deno.test("pools: every primary of a pool down publishes its backup before the dead go", () => {
  const r = run(
    single([DEFAULT, WITH_BACKUP], {
      ...up(X, Y, `web/${BACKUP}`),
      ...down(`web/${W}`, `web/${W2}`),
    }),
    [[WWW, [X, Y]], [APP, [W, W2]]],
  );
  assertEquals(r.changes, [
    `create ${APP} ${BACKUP}`,
    `delete ${APP} ${W}`,
    `delete ${APP} ${W2}`,
  ]);
});

Deno.test("pools: a recovered primary is restored before the backup is withdrawn", () => {
  const view = {
    ...up(X, Y, `web/${W}`, `web/${BACKUP}`),
    ...down(`web/${W2}`),
  };
  const first = run(single([DEFAULT, WITH_BACKUP], view), [
    [WWW, [X, Y]],
    [APP, [BACKUP]],
  ]);
  assertEquals(first.changes, [`create ${APP} ${W}`]);
  assertEquals(first.holds[`web/${BACKUP}`], "primary_pending");
  const second = run(single([DEFAULT, WITH_BACKUP], view), [
    [WWW, [X, Y]],
    [APP, [W, BACKUP]],
  ]);
  assertEquals(second.changes, [`delete ${APP} ${BACKUP}`]);
});
