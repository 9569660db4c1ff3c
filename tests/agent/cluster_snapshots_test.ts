import assert from "node:assert/strict";
import {
  ClusterSnapshots,
  ReplicationError,
} from "../../lib/agent/cluster_snapshots.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";
import { ManualClock } from "../../lib/observe/clock.ts";

const X: DnsRecord = {
  type: "A",
  name: "www.example.com",
  content: "192.0.2.1",
  ttl: 1,
  proxied: true,
  comment: "behind the WAF",
  tags: ["team:edge"],
};

/** An agent's snapshots that replicate nowhere (the tests merge by hand). */
function node(id: string, clock: ManualClock, store = new MemoryStateStore()) {
  return new ClusterSnapshots({
    store,
    clock,
    nodeId: () => id,
    replication: () => null,
  });
}

function make(needed: number, answers: string[][]) {
  const store = new MemoryStateStore();
  const rounds: number[] = [];
  const snapshots = new ClusterSnapshots({
    store,
    clock: new ManualClock(),
    nodeId: () => "a:7947",
    replication: () =>
      needed < 0 ? null : {
        needed,
        send: () => {
          rounds.push(rounds.length);
          return Promise.resolve(answers[rounds.length - 1] ?? []);
        },
      },
  });
  return { store, snapshots, rounds };
}

Deno.test("ClusterSnapshots saves, then sends a new snapshot before its delete may go", async () => {
  const { store, snapshots, rounds } = make(1, [["b:7947"]]);
  await snapshots.putSnapshots([X]);
  assert.equal(rounds.length, 1);
  assert.deepEqual(store.snapshots().get(recordKey(X)), X);
  assert.deepEqual(snapshots.entries().map((e) => e.record), [X]);
});

Deno.test("ClusterSnapshots refuses (so the delete is not sent) when too few peers took it", async () => {
  const { snapshots, rounds } = make(2, [["b:7947"], [], ["b:7947"]]);
  await assert.rejects(
    () => snapshots.putSnapshots([X]),
    (e) => e instanceof ReplicationError && /1 of the 2 peers/.test(e.message),
  );
  assert.equal(rounds.length, 3, "tries a bounded number of rounds");
});

Deno.test("ClusterSnapshots on a single node or with min_peers_agree 0 sends nothing", async () => {
  for (const needed of [-1, 0]) {
    const { snapshots, rounds } = make(needed, []);
    await snapshots.putSnapshots([X]);
    assert.equal(rounds.length, 0);
  }
});

Deno.test("ClusterSnapshots saves what a peer sends, and drops it on the peer's tombstone", async () => {
  const writer = make(0, []);
  const survivor = make(0, []);
  await writer.snapshots.putSnapshots([X]);
  await survivor.snapshots.merge(writer.snapshots.entries());
  assert.deepEqual(survivor.store.snapshots().get(recordKey(X)), X, "on disk");
  assert.deepEqual(survivor.snapshots.snapshots().get(recordKey(X)), X);
  await writer.snapshots.dropSnapshots([recordKey(X)]);
  await survivor.snapshots.merge(writer.snapshots.entries());
  assert.equal(survivor.store.snapshots().size, 0);
  assert.equal(survivor.snapshots.snapshots().size, 0);
});

Deno.test("ClusterSnapshots seeded from the state file offers its snapshots to peers", async () => {
  const store = new MemoryStateStore();
  await store.putSnapshots([X]);
  const snapshots = new ClusterSnapshots({
    store,
    clock: new ManualClock(),
    nodeId: () => "b:7947",
    replication: () => null,
  });
  assert.deepEqual(snapshots.entries().map((e) => [e.v, e.record]), [[0, X]]);
});

Deno.test("ClusterSnapshots keeps the newest snapshot over a restart, against an older tombstone", async () => {
  const clock = new ManualClock(1_800_000_000_000);
  const peer = node("e:7947", clock, new MemoryStateStore());
  await peer.putSnapshots([X]);
  clock.advance(600_000);
  await peer.dropSnapshots([recordKey(X)]);
  clock.advance(600_000);
  // The writer removes X again; only b takes the new snapshot.
  const newer = { ...X, comment: "newer" };
  const store = new MemoryStateStore({ clock });
  const before = node("b:7947", clock, store);
  const writer = node("a:7947", clock, new MemoryStateStore());
  await writer.putSnapshots([newer]);
  await before.merge(writer.entries());
  // b restarts from its state file, then hears the peer's old tombstone.
  clock.advance(60_000);
  const after = node("b:7947", clock, store);
  await after.merge(peer.entries());
  assert.equal(after.snapshots().get(recordKey(X))?.comment, "newer");
  assert.equal(store.snapshots().get(recordKey(X))?.comment, "newer");
});
