/**
 * A three-agent cluster's write decision (`decideWrites()`, the one unit
 * every DNS write goes through) carried out on Route 53: the reconciler,
 * the real provider and SDK, the fake Route 53 API, snapshots in a store
 * and replicated to a peer's book.
 */
import assert from "node:assert/strict";
import { ClusterSnapshots } from "../../lib/agent/cluster_snapshots.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { parseStateFile } from "../../lib/agent/state_file.ts";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { recordKey } from "../../lib/dns/provider.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";
import { decideWrites } from "../../lib/write/decide.ts";
import type { Intent } from "../../lib/write/plan.ts";
import {
  A,
  B,
  C,
  clusterInput,
  NAME,
  seeing,
  V6,
  vote,
  X,
  Y,
} from "../write/fixtures.ts";
import {
  assertNoCanary,
  CANARY_SECRET,
  CANARY_TOKEN,
  ZONE_ID,
} from "./route53_fixtures.ts";
import { createRoute53Provider } from "../../lib/dns/route53.ts";
import { startFakeRoute53 } from "../support/fake_route53.ts";

const TTL = 42;

Deno.test("decideWrites() on Route 53: a cluster withdraws a dead IP by quorum, never empties the set, restores it with the TTL unchanged", async () => {
  const fake = startFakeRoute53({
    zones: [{
      id: ZONE_ID,
      name: "example.com",
      sets: [
        { Name: NAME, Type: "A", TTL, ResourceRecords: [X, Y, "198.51.100.7"] },
        { Name: NAME, Type: "AAAA", TTL, ResourceRecords: [V6] },
        { Name: "other.example.com", Type: "A", TTL: 5, ResourceRecords: [X] },
      ],
    }],
  });
  const lines: string[] = [];
  try {
    const { logger, settings } = createLogger({
      level: "debug",
      sink: (l) => lines.push(l),
    });
    const provider = await createRoute53Provider({
      awsDomain: "example.com",
      zoneId: ZONE_ID,
      region: null,
      hostnames: ["www"],
      ipAddresses: [X, Y, V6],
      ttl: 300,
      reconcileInterval: 60,
    }, {
      logger,
      secrets: settings.secrets,
      client: {
        endpoint: fake.url,
        credentials: {
          accessKeyId: "AKIDFAKE",
          secretAccessKey: CANARY_SECRET,
          sessionToken: CANARY_TOKEN,
        },
      },
    });
    const clock = new ManualClock(1_800_000_000_000);
    const store = new MemoryStateStore();
    const rec = new DnsReconciler(provider, store, {
      zone: "example.com",
      hostnames: ["www"],
      ips: [X, Y, V6],
      minRecords: 1,
      maxRemovalsFraction: 0.5,
      ttl: 300,
      proxied: false,
    }, { logger, clock, backoffMs: 10 });
    const pass = (down: string[], votes: string[][]) => {
      const input = clusterInput({
        self: A,
        view: seeing(down),
        live: [
          vote(B, seeing(votes[0]), { hears: [A, C] }),
          vote(C, seeing(votes[1]), { hears: [A, B] }),
        ],
      });
      const intents = new Map<string, Intent>();
      return rec.reconcile(intents, new Set(down), {
        planner: (listing, snapshots, inDoubt) =>
          decideWrites(input, listing, snapshots, inDoubt).plan,
      });
    };
    const a = () => fake.state.values(ZONE_ID, NAME, "A");
    const ttl = () =>
      fake.state.zones.get(ZONE_ID)!.sets.find((s) =>
        s.Name === `${NAME}.` && s.Type === "A"
      )?.TTL;

    // Only this agent sees X down: no quorum, nothing written.
    assert.equal((await pass([X], [[], []])).status, "ok");
    assert.equal(fake.writes().length, 0);

    // B agrees: X leaves the set in one DELETE + CREATE; the snapshot is the set.
    assert.equal((await pass([X], [[X], []])).status, "ok");
    assert.deepEqual(a(), [Y, "198.51.100.7"]);
    assert.equal(ttl(), TTL);
    assert.equal(fake.writes().length, 1);
    const snap = store.snapshots().get(
      recordKey({ name: NAME, type: "A", content: X }),
    );
    assert.equal(snap?.ttl, TTL);
    assert.deepEqual(snap?.recordSet, {
      zoneId: ZONE_ID,
      values: [X, Y, "198.51.100.7"],
    });

    // The snapshot survives a state file round trip and replicates to a peer.
    const file = parseStateFile(
      JSON.stringify({
        version: 1,
        snapshots: Object.fromEntries(store.snapshots()),
      }),
    );
    assert.ok(file.ok);
    assert.deepEqual(
      Object.values(file.value.snapshots)[0]?.recordSet,
      snap?.recordSet,
    );
    const writer = new ClusterSnapshots({
      store,
      clock,
      nodeId: () => A,
      replication: () => null,
    });
    const peer = new ClusterSnapshots({
      store: new MemoryStateStore(),
      clock,
      nodeId: () => B,
      replication: () => null,
    });
    await peer.merge(writer.entries());
    assert.deepEqual(
      peer.snapshots().get(recordKey(snap!))?.recordSet,
      snap?.recordSet,
    );

    // Y dies too: every IPv4 IP is down for the cluster, so none stays out
    // (never empty): X comes back from its snapshot, TTL unchanged, and Y
    // is not removed.
    clock.advance(60_000);
    assert.equal((await pass([X, Y], [[X, Y], [X, Y]])).status, "ok");
    assert.deepEqual(a(), [Y, "198.51.100.7", X]);
    assert.equal(ttl(), TTL);
    assert.equal(
      store.snapshots().size,
      0,
      "the snapshot is dropped once restored",
    );

    // A pass with nothing to change sends nothing.
    const before = fake.writes().length;
    clock.advance(60_000);
    await pass([], [[], []]);
    assert.equal(fake.writes().length, before);
    assert.deepEqual(fake.state.values(ZONE_ID, "other.example.com", "A"), [X]);
    assert.deepEqual(fake.state.values(ZONE_ID, NAME, "AAAA"), [V6]);
    fake.assertNeverEmpty();
    assertNoCanary(lines);
  } finally {
    await fake.close();
  }
});
