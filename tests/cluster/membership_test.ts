import assert from "node:assert/strict";
import {
  deriveKey,
  deriveKeyring,
  openHeartbeat,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import { ManualClock, systemClock } from "../../lib/observe/clock.ts";
import {
  A,
  A_IP,
  B,
  C,
  C_IP,
  captureLogger,
  FakeTransport,
  heartbeat,
  KEY_NEW,
  KEY_OLD,
  receiverB,
  ring,
  sendsDone,
  until,
  viewOf,
} from "./fixtures.ts";

/** Delivers a heartbeat from A to `m`, sealed with KEY_NEW. */
async function fromA(m: Membership, clock: ManualClock, seq: number) {
  const frame = await sealHeartbeat(
    heartbeat(clock, { seq, view: viewOf(4, 2) }),
    await ring(KEY_NEW),
  );
  return m.receive(frame, A, A_IP);
}

Deno.test("Membership.start() sends the full view to every peer each interval", async () => {
  const { m, clock, transport } = await receiverB();
  try {
    m.start();
    await until(() => sendsDone(m) === 1, "first round");
    assert.deepEqual(transport.sent.map((s) => s.peer).sort(), [A, C]);
    clock.advance(1000);
    await until(() => sendsDone(m) === 2, "second round");
    assert.equal(transport.sent.length, 4);
    const r = await ring(KEY_NEW, KEY_OLD);
    const seqs = [];
    for (const s of transport.sent) {
      assert.equal(s.from, B);
      const hb = await openHeartbeat(s.frame, B, r);
      assert.ok(hb.ok);
      assert.deepEqual(Object.keys(hb.value.view).length, 2);
      seqs.push(hb.value.seq);
    }
    assert.deepEqual(seqs, [1, 1, 2, 2]);
  } finally {
    await m.stop();
  }
});

Deno.test("Membership sends a hung peer's heartbeat without delaying others", async () => {
  const clock = new ManualClock();
  const transport = new FakeTransport(clock);
  transport.hang.add(C);
  const m = new Membership({
    nodeId: B,
    peers: [A, C],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring: await ring(KEY_NEW),
    localState: () => ({ view: {}, isolated: false, writable: true }),
    transport,
    clock,
    sendTimeoutMs: 2500,
  });
  try {
    m.start();
    const okA = () => m.peerStatus().find((p) => p.id === A)?.sendOk ?? 0;
    await until(() => okA() === 1, "first round to A");
    for (let i = 1; i <= 3; i++) {
      clock.advance(1000);
      await until(() => okA() === i + 1, `round ${i + 1} to A`);
    }
    const byPeer = Object.fromEntries(m.peerStatus().map((p) => [p.id, p]));
    assert.equal(byPeer[A]?.sendOk, 4);
    assert.equal(byPeer[C]?.sendFailed, 1, "timed out after 2.5 s");
    assert.ok((byPeer[C]?.sendSkipped ?? 0) >= 1, "one send in flight at most");
    assert.equal(byPeer[C]?.lastSendError, "timeout");
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.stop() aborts hung sends and leaves no timers", async () => {
  const transport = new FakeTransport(new ManualClock());
  transport.hang.add(A);
  const m = new Membership({
    nodeId: B,
    peers: [A, C],
    membersPort: 7947,
    heartbeatInterval: 0.01,
    peerTimeout: 0.03,
  }, {
    keyring: await ring(KEY_NEW),
    localState: () => ({ view: viewOf(10), isolated: false, writable: true }),
    transport,
    clock: systemClock,
    sendTimeoutMs: 60_000,
  });
  m.start();
  await until(() => transport.sent.length >= 4, "a few real-clock rounds");
  await m.stop();
  const count = transport.sent.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(transport.sent.length, count, "no sends after stop");
  assert.equal(transport.closed, 0, "a caller's transport is not closed");
});

Deno.test("Membership.liveViews() counts a peer only within peer_timeout", async () => {
  const { m, clock } = await receiverB();
  assert.ok((await fromA(m, clock, 1)).ok);
  assert.deepEqual(m.liveIds(), [A]);
  assert.equal(m.liveViews()[0]?.view["203.0.113.0"]?.verdict, "down");
  clock.advance(3000);
  assert.deepEqual(m.liveIds(), [A], "still live at exactly peer_timeout");
  clock.advance(1);
  assert.deepEqual(m.liveViews(), [], "a stale view stops counting");
  const st = m.peerStatus().find((p) => p.id === A);
  assert.equal(st?.live, false);
  assert.equal(st?.viewDown, 2);
  assert.ok((await fromA(m, clock, 2)).ok);
  assert.deepEqual(m.liveIds(), [A], "live again on the next heartbeat");
});

Deno.test("Membership relays the writable peers it hears in its heartbeats", async () => {
  const { m, clock, transport } = await receiverB();
  try {
    const fromPeer = async (from: string, ip: string, writable: boolean) => {
      const hb = heartbeat(clock, { from, writable, hears: [B] });
      const frame = await sealHeartbeat(hb, await ring(KEY_NEW));
      return m.receive(frame, from, ip);
    };
    assert.ok((await fromPeer(A, A_IP, true)).ok);
    assert.ok((await fromPeer(C, C_IP, false)).ok);
    const votes = m.liveViews();
    assert.deepEqual(votes.map((v) => [v.nodeId, v.writable, v.hears]), [
      [A, true, [B]],
      [C, false, [B]],
    ]);
    assert.deepEqual(m.hearsWritable(), [A], "C is live but not writable");
    m.start();
    await until(() => sendsDone(m) === 1, "first round");
    const sent = await openHeartbeat(
      transport.sent[0]!.frame,
      B,
      await ring(KEY_NEW),
    );
    assert.ok(sent.ok);
    assert.deepEqual(sent.value.hears, [A]);
    assert.equal(sent.value.writable, true, "from localState()");
    clock.advance(3001);
    assert.deepEqual(m.hearsWritable(), [], "a lost peer is not relayed");
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.lostAllPeers() reports losing every peer", async () => {
  const { m, clock } = await receiverB();
  try {
    assert.equal(m.lostAllPeers(), false, "not running");
    m.start();
    assert.equal(m.lostAllPeers(), false, "grace after start");
    clock.advance(3000);
    assert.equal(m.lostAllPeers(), true, "no peer within peer_timeout");
    assert.ok((await fromA(m, clock, 1)).ok);
    assert.equal(m.lostAllPeers(), false);
    clock.advance(3001);
    assert.equal(m.lostAllPeers(), true, "had a peer, lost it");
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.setPeers() keeps kept peers and drops removed ones", async () => {
  const { m, clock, transport } = await receiverB();
  assert.ok((await fromA(m, clock, 1)).ok);
  m.setPeers([A, "10.0.0.4", B]);
  assert.deepEqual(
    m.peerIds,
    [A, "10.0.0.4:7947"],
    "self skipped, port filled",
  );
  assert.deepEqual(m.liveIds(), [A], "A kept its state");
  assert.equal((await fromA(m, clock, 1)).ok, false, "replay window kept");
  await m.heartbeatNow();
  assert.deepEqual(transport.sent.map((s) => s.peer).sort(), [
    A,
    "10.0.0.4:7947",
  ]);
  m.setPeers([C]);
  assert.deepEqual(m.liveIds(), []);
  assert.equal((await fromA(m, clock, 2)).ok, false, "A is unknown now");
  assert.equal(m.rejections.get("unknown_sender"), 1);
  assert.throws(() => m.setPeers(["not a valid address!"]), RangeError);
});

Deno.test("Membership.setKeyring() seals the next heartbeat with the new first key", async () => {
  const { m, transport } = await receiverB({ keys: [KEY_OLD] });
  await m.heartbeatNow();
  assert.equal(transport.sent[0]?.frame[1], (await deriveKey(KEY_OLD)).id);
  m.setKeyring(await deriveKeyring([KEY_NEW, KEY_OLD], false));
  await m.heartbeatNow();
  assert.equal(transport.sent[2]?.frame[1], (await deriveKey(KEY_NEW)).id);
});

Deno.test("Membership warns every minute while heartbeats are plaintext", async () => {
  const { logger, lines } = captureLogger();
  const { m, clock, transport } = await receiverB({
    keys: [],
    insecure: true,
    logger,
  });
  const warnings = () =>
    lines.filter((l) => l.includes("NOT encrypted")).length;
  try {
    m.start();
    await until(() => sendsDone(m) === 1, "first round");
    assert.equal(warnings(), 1);
    for (let i = 1; i < 60; i++) {
      clock.advance(1000);
      await until(() => sendsDone(m) === i + 1, `round ${i}`);
    }
    assert.equal(transport.sent.length, 120);
    assert.equal(warnings(), 1, "one warning in the first 59 s");
    clock.advance(1000);
    await until(() => warnings() === 2, "second warning at 60 s");
  } finally {
    await m.stop();
  }
});

Deno.test("Membership.receive() checks a named peer against its resolved IPs", async () => {
  const clock = new ManualClock();
  const named = "peer-a.example:7947";
  const m = new Membership({
    nodeId: B,
    peers: [named],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring: await ring(KEY_NEW),
    localState: () => ({ view: {}, isolated: false, writable: true }),
    transport: new FakeTransport(clock),
    clock,
    resolver: (host) =>
      Promise.resolve(host === "peer-a.example" ? ["2001:db8::a"] : []),
  });
  const frame = await sealHeartbeat(
    heartbeat(clock, { from: named }),
    await ring(KEY_NEW),
  );
  assert.equal((await m.receive(frame, named, "2001:db8::a")).ok, false);
  await m.heartbeatNow(); // starts the name lookups
  await new Promise((r) => setTimeout(r, 0));
  const ok = await m.receive(frame, named, "2001:DB8:0::A");
  assert.ok(ok.ok, "IPv6 compared in canonical form");
  await m.stop();
});

Deno.test("Membership logs each peer going live and being lost", async () => {
  const { logger, lines } = captureLogger();
  const { m, clock } = await receiverB({ logger });
  assert.ok((await fromA(m, clock, 1)).ok);
  await m.heartbeatNow();
  assert.equal(lines.filter((l) => l.includes('msg="peer live"')).length, 1);
  clock.advance(3001);
  await m.heartbeatNow();
  await m.heartbeatNow();
  const lost = lines.filter((l) => l.includes('msg="peer lost"'));
  assert.equal(lost.length, 1);
  assert.match(lost[0] ?? "", /peer=10\.0\.0\.1:7947/);
});

Deno.test("Membership refuses plaintext next to a key, even with insecure_plaintext", async () => {
  const { m } = await receiverB({ keys: [KEY_NEW], insecure: true });
  const plain = new Uint8Array([
    0,
    ...new TextEncoder().encode(JSON.stringify(heartbeat(new ManualClock()))),
  ]);
  const r = await m.receive(plain, A, A_IP);
  assert.deepEqual(r, { ok: false, error: "plaintext_refused" });
  assert.equal(m.rejections.get("plaintext_refused"), 1);
});

Deno.test("Membership warns, once a minute, when a peer cannot open its key", async () => {
  const { logger, lines } = captureLogger();
  const { m, clock, transport } = await receiverB({ logger });
  transport.refuse.set(A, 401);
  const warned = () =>
    lines.filter((l) => l.includes("does not have the key")).length;
  await m.heartbeatNow();
  await m.heartbeatNow();
  assert.equal(warned(), 1);
  assert.match(
    lines.find((l) => l.includes("does not have the key"))!,
    /10\.0\.0\.1/,
  );
  clock.advance(60_001);
  await m.heartbeatNow();
  assert.equal(warned(), 2);
  transport.refuse.clear();
  assert.deepEqual((await m.heartbeatNow()).sort(), [A, C], "delivered ids");
});
