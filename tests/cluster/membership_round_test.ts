/**
 * Membership's heartbeat rounds and self-isolation input: what a round sends
 * when the local state leaves fields out, what it does when it cannot seal or
 * its state source throws, one loop per start, and when `lostAllPeers()`
 * holds (grace after start and after peers are first configured).
 */
import assert from "node:assert/strict";
import { openHeartbeat, sealHeartbeat } from "../../lib/cluster/crypto.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import type { LocalState } from "../../lib/cluster/membership.ts";
import type { Logger } from "../../lib/observe/log.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import {
  A,
  A_IP,
  B,
  C,
  captureLogger,
  FakeTransport,
  heartbeat,
  KEY_NEW,
  ring,
  sendsDone,
  until,
} from "./fixtures.ts";

/** Agent B with `peers`, a chosen keyring and local state source. */
async function agentB(options: {
  peers?: string[];
  keys?: string[];
  localState?: () => LocalState;
  logger?: Logger;
} = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport(clock);
  const m = new Membership({
    nodeId: B,
    peers: options.peers ?? [A, C],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring: await ring(...(options.keys ?? [KEY_NEW])),
    localState: options.localState ??
      (() => ({ view: {}, isolated: false, writable: true })),
    transport,
    clock,
    logger: options.logger,
    resolver: () => Promise.resolve([]),
  });
  return { m, clock, transport };
}

async function hearA(m: Membership, clock: ManualClock, seq = 1) {
  const frame = await sealHeartbeat(
    heartbeat(clock, { seq, view: {} }),
    await ring(KEY_NEW),
  );
  assert.ok((await m.receive(frame, A, A_IP)).ok);
}

Deno.test("Membership sends acked false and no snapshots when the local state leaves them out", async () => {
  const { m, transport } = await agentB();
  assert.deepEqual((await m.heartbeatNow()).sort(), [A, C]);
  const sent = await openHeartbeat(
    transport.sent[0]!.frame,
    B,
    await ring(KEY_NEW),
  );
  assert.ok(sent.ok);
  assert.equal(sent.value.acked, false);
  assert.deepEqual(sent.value.snapshots, []);
});

Deno.test("Membership sends the snapshot book the local state gives", async () => {
  const entry = {
    key: "www.example.com|A|192.0.2.1",
    v: 3,
    by: B,
    record: {
      id: "r1",
      type: "A" as const,
      name: "www.example.com",
      content: "192.0.2.1",
      ttl: 300,
      proxied: true,
      comment: "edge",
      tags: ["team:edge"],
    },
  };
  const { m, transport } = await agentB({
    localState: () => ({
      view: {},
      isolated: false,
      writable: true,
      snapshots: [entry],
    }),
  });
  await m.heartbeatNow();
  const sent = await openHeartbeat(
    transport.sent[0]!.frame,
    B,
    await ring(KEY_NEW),
  );
  assert.ok(sent.ok);
  // Record ids stay home: another agent's listing has its own.
  const { id: _id, ...record } = entry.record;
  assert.deepEqual(sent.value.snapshots, [{ ...entry, record }]);
});

Deno.test("Membership without a key or insecure_plaintext sends nothing and logs why once a minute", async () => {
  const { logger, lines } = captureLogger();
  const { m, clock, transport } = await agentB({ keys: [], logger });
  const logged = () =>
    lines.filter((l) =>
      l.includes("cannot seal heartbeat") && l.includes("crypto_key")
    ).length;
  assert.deepEqual(await m.heartbeatNow(), []);
  assert.deepEqual(await m.heartbeatNow(), []);
  assert.equal(transport.sent.length, 0);
  assert.equal(logged(), 1, lines.join("\n"));
  clock.advance(60_000);
  assert.deepEqual(await m.heartbeatNow(), []);
  assert.equal(logged(), 2);
});

Deno.test("Membership logs a round whose local state throws and keeps its loop", async () => {
  const { logger, lines } = captureLogger();
  let calls = 0;
  const { m, clock } = await agentB({
    logger,
    localState: () => {
      if (++calls === 1) throw new Error("state source broke");
      return { view: {}, isolated: false, writable: true };
    },
  });
  try {
    m.start();
    await until(
      () => lines.some((l) => l.includes("heartbeat round failed")),
      "the failed round's log line",
    );
    const line = lines.find((l) => l.includes("heartbeat round failed"))!;
    assert.match(line, /state source broke/);
    clock.advance(1000);
    await until(() => sendsDone(m) === 1, "the next round");
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.start() twice runs one heartbeat loop", async () => {
  const { m, transport } = await agentB();
  const r = await ring(KEY_NEW);
  try {
    m.start();
    m.start();
    await until(() => sendsDone(m) >= 1, "first round");
    await m.heartbeatNow();
    const seqs: number[] = [];
    for (const s of transport.sent.filter((s) => s.peer === A)) {
      const hb = await openHeartbeat(s.frame, B, r);
      assert.ok(hb.ok);
      seqs.push(hb.value.seq);
    }
    assert.deepEqual(seqs, [1, 2]);
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.replicateNow() returns the peers that took the round", async () => {
  const { m, transport } = await agentB();
  transport.refuse.set(C, 503);
  assert.deepEqual(await m.replicateNow(), [A]);
});

Deno.test("Membership.lostAllPeers() table: peers, grace and earlier contact", async () => {
  const cases: {
    name: string;
    run: (m: Membership, clock: ManualClock) => Promise<void>;
    lost: boolean;
  }[] = [
    {
      name: "no peers configured, long after start",
      run: (m, clock) => {
        m.setPeers([]);
        m.start();
        clock.advance(10_000);
        return Promise.resolve();
      },
      lost: false,
    },
    {
      name: "a peer heard before start, lost inside the start grace",
      run: async (m, clock) => {
        await hearA(m, clock);
        clock.advance(2000);
        m.start();
        clock.advance(1001);
      },
      lost: true,
    },
    {
      name: "peers first configured after start: grace restarts",
      run: (m, clock) => {
        m.setPeers([]);
        m.start();
        clock.advance(10_000);
        m.setPeers([A]);
        clock.advance(2999);
        return Promise.resolve();
      },
      lost: false,
    },
    {
      name: "peers first configured after start, grace over",
      run: (m, clock) => {
        m.setPeers([]);
        m.start();
        clock.advance(10_000);
        m.setPeers([A]);
        clock.advance(3000);
        return Promise.resolve();
      },
      lost: true,
    },
    {
      name: "peers changed while some were configured: grace kept",
      run: (m, clock) => {
        m.start();
        clock.advance(2000);
        m.setPeers([A]);
        clock.advance(1000);
        return Promise.resolve();
      },
      lost: true,
    },
  ];
  for (const c of cases) {
    const { m, clock } = await agentB();
    try {
      await c.run(m, clock);
      assert.equal(m.lostAllPeers(), c.lost, c.name);
    } finally {
      await m.stop();
    }
  }
});
