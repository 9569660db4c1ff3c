/**
 * The peer lists Membership hands the write decision (`liveIds()`,
 * `hearsWritable()`, `backsAcked()`): sorted, and filtered on exactly the
 * flags each names; and the rejection log line's fields.
 */
import assert from "node:assert/strict";
import { sealHeartbeat } from "../../lib/cluster/crypto.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
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
  ring,
} from "./fixtures.ts";

/** Agent B with its peers configured out of order (C before A). */
async function agentB(logger = captureLogger().logger) {
  const clock = new ManualClock();
  const m = new Membership({
    nodeId: B,
    peers: [C, A],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring: await ring(KEY_NEW),
    localState: () => ({ view: {}, isolated: false, writable: true }),
    transport: new FakeTransport(clock),
    clock,
    logger,
    resolver: () => Promise.resolve([]),
  });
  return { m, clock };
}

async function hear(
  m: Membership,
  clock: ManualClock,
  from: string,
  ip: string,
  flags: { seq: number; writable: boolean; acked: boolean },
) {
  const frame = await sealHeartbeat(
    heartbeat(clock, { from, view: {}, ...flags }),
    await ring(KEY_NEW),
  );
  const r = await m.receive(frame, from, ip);
  assert.ok(r.ok, JSON.stringify(r));
}

Deno.test("Membership lists live, writable and acknowledged peers sorted, each on its own flags", async () => {
  const { m, clock } = await agentB();
  assert.deepEqual([m.liveIds(), m.hearsWritable(), m.backsAcked()], [
    [],
    [],
    [],
  ]);
  await hear(m, clock, C, C_IP, { seq: 1, writable: true, acked: true });
  await hear(m, clock, A, A_IP, { seq: 1, writable: false, acked: true });
  assert.deepEqual(m.liveIds(), [A, C]);
  assert.deepEqual(m.hearsWritable(), [C]);
  assert.deepEqual(m.backsAcked(), [C], "acked without writable does not back");
  await hear(m, clock, A, A_IP, { seq: 2, writable: true, acked: false });
  assert.deepEqual(m.hearsWritable(), [A, C]);
  assert.deepEqual(m.backsAcked(), [C], "writable without acked does not back");
  await hear(m, clock, A, A_IP, { seq: 3, writable: true, acked: true });
  assert.deepEqual(m.backsAcked(), [A, C]);
});

Deno.test('Membership logs a refused heartbeat at debug under "cluster", its sender cut to 100 characters', async () => {
  const { logger, lines } = captureLogger();
  const { m } = await agentB(logger);
  const from = "x".repeat(150);
  const r = await m.receive(new Uint8Array([1, 2, 3]), from, A_IP);
  assert.deepEqual(r, { ok: false, error: "unknown_sender" });
  assert.equal(m.rejections.snapshot().unknown_sender, 1);
  assert.equal(lines.length, 1, lines.join("\n"));
  const line = lines[0]!;
  assert.match(line, /level=debug/);
  assert.match(line, /component=cluster/);
  assert.match(line, /heartbeat rejected/);
  assert.match(line, /reason=unknown_sender/);
  assert.ok(line.includes(`from=${"x".repeat(100)} `), line);
  assert.ok(!line.includes("x".repeat(101)), line);
});

Deno.test("Membership.receive() takes a sentAt exactly 30 s off our clock, either way", async () => {
  const { m, clock } = await agentB();
  let seq = 0;
  for (const offset of [-30_000, 30_000]) {
    const frame = await sealHeartbeat(
      heartbeat(clock, { from: A, seq: ++seq, sentAt: clock.now() + offset }),
      await ring(KEY_NEW),
    );
    assert.equal((await m.receive(frame, A, A_IP)).ok, true, String(offset));
  }
});

Deno.test("Membership.receive() refuses a heartbeat whose sender was removed while it was opened", async () => {
  const { m, clock } = await agentB();
  const frame = await sealHeartbeat(
    heartbeat(clock, { from: A, view: {} }),
    await ring(KEY_NEW),
  );
  const pending = m.receive(frame, A, A_IP);
  m.setPeers([C]);
  assert.deepEqual(await pending, { ok: false, error: "unknown_sender" });
  assert.deepEqual(m.liveIds(), []);
  m.setPeers([C, A]);
  assert.deepEqual(m.liveIds(), [], "the refused heartbeat left no state");
});
