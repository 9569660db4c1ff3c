import assert from "node:assert/strict";
import { sealHeartbeat } from "../../lib/cluster/crypto.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import {
  A,
  A_IP,
  B,
  C,
  FakeTransport,
  heartbeat,
  KEY_NEW,
  ring,
  viewOf,
} from "./fixtures.ts";

Deno.test("Membership reports each peer going live and being lost to onPeerChange", async () => {
  const clock = new ManualClock();
  const changes: string[] = [];
  const m = new Membership({
    nodeId: B,
    peers: [A, C],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring: await ring(KEY_NEW),
    localState: () => ({ view: viewOf(2), isolated: false, writable: true }),
    transport: new FakeTransport(clock),
    clock,
    resolver: () => Promise.resolve([]),
    onPeerChange: (peer, live) => changes.push(`${peer} ${live}`),
  });
  try {
    const frame = await sealHeartbeat(
      heartbeat(clock, { seq: 1, view: viewOf(4, 2) }),
      await ring(KEY_NEW),
    );
    assert.ok((await m.receive(frame, A, A_IP)).ok);
    await m.heartbeatNow();
    assert.deepEqual(changes, [`${A} true`]);
    clock.advance(3001);
    await m.heartbeatNow();
    await m.heartbeatNow();
    assert.deepEqual(changes, [`${A} true`, `${A} false`], "C never was live");
  } finally {
    await m.stop();
  }
});
