import assert from "node:assert/strict";
import { deriveKeyring } from "../../lib/cluster/crypto.ts";
import { intentOf, tally } from "../../lib/write/quorum.ts";
import { electWriter } from "../../lib/write/writer.ts";
import type { PeerView } from "../../lib/cluster/types.ts";
import {
  type HeartbeatReceiver,
  Membership,
} from "../../lib/cluster/membership.ts";
import {
  createPeerApp,
  type PeerServer,
  servePeerApp,
} from "../../lib/cluster/server.ts";
import { HttpPeerTransport } from "../../lib/cluster/transport.ts";
import { RejectionCounters } from "../../lib/cluster/types.ts";
import { KEY_NEW, until, viewOf } from "./fixtures.ts";

/** A receiver that forwards to a membership created later. */
function forward(get: () => Membership | null): HeartbeatReceiver {
  const rejections = new RejectionCounters();
  return {
    rejections,
    receive: (frame, from, ip, formats) => {
      const m = get();
      if (!m) return Promise.resolve({ ok: false, error: "unknown_sender" });
      return m.receive(frame, from, ip, formats);
    },
  };
}

Deno.test("servePeerApp() exchanges heartbeats between two agents on 127.0.0.1", async () => {
  const members: (Membership | null)[] = [null, null];
  const servers: PeerServer[] = [];
  const agents: Membership[] = [];
  try {
    for (const i of [0, 1]) {
      const app = createPeerApp(forward(() => members[i] ?? null));
      servers.push(servePeerApp(app, { hostname: "127.0.0.1", port: 0 }));
    }
    const ids = servers.map((s) => `127.0.0.1:${s.addr.port}`);
    const keyring = await deriveKeyring([KEY_NEW], false);
    for (const i of [0, 1]) {
      const m = new Membership({
        nodeId: ids[i]!,
        peers: [ids[1 - i]!],
        membersPort: 7947,
        heartbeatInterval: 0.05,
        peerTimeout: 1,
      }, {
        keyring,
        localState: () => ({
          view: viewOf(200 + i),
          isolated: false,
          writable: true,
          acked: true,
        }),
      });
      members[i] = m;
      agents.push(m);
    }
    for (const m of agents) m.start();
    await until(
      () => agents.every((m) => m.liveIds().length === 1),
      "both agents live",
    );
    assert.deepEqual(agents[0]!.liveIds(), [ids[1]]);
    assert.equal(Object.keys(agents[0]!.liveViews()[0]!.view).length, 201);
    assert.equal(Object.keys(agents[1]!.liveViews()[0]!.view).length, 200);
    assert.equal(agents[0]!.rejections.total(), 0);
    // Both said they read the compact view (over real HTTP), so after the
    // first round each sends it, and it still arrives whole.
    assert.deepEqual(agents.map((m) => m.peerStatus()[0]!.readsCompact), [
      true,
      true,
    ]);
    const seen = agents[0]!.peerStatus()[0]!.accepted;
    await until(
      () => agents[0]!.peerStatus()[0]!.accepted > seen + 1,
      "compact heartbeats",
    );
    assert.equal(Object.keys(agents[0]!.liveViews()[0]!.view).length, 201);
    assert.equal(agents[0]!.rejections.total(), 0);
  } finally {
    await Promise.all(agents.map((m) => m.stop()));
    await Promise.all(servers.map((s) => s.close()));
  }
});

Deno.test("HttpPeerTransport.send() reports HTTP refusals and dead peers", async () => {
  const app = createPeerApp(forward(() => null));
  const server = servePeerApp(app, { hostname: "127.0.0.1", port: 0 });
  const t = new HttpPeerTransport({ localAddress: "127.0.0.1" });
  try {
    const ac = new AbortController();
    const peer = {
      id: `127.0.0.1:${server.addr.port}`,
      host: "127.0.0.1",
      port: server.addr.port,
      ip: "127.0.0.1",
    };
    const refused = await t.send(peer, new Uint8Array([1]), "x:1", ac.signal);
    assert.deepEqual(refused, { ok: false, status: 403, error: "HTTP 403" });
    await server.close();
    const dead = await t.send(peer, new Uint8Array([1]), "x:1", ac.signal);
    assert.equal(dead.ok, false);
    assert.equal(dead.status, null);
  } finally {
    t.close();
    await server.close();
  }
});

Deno.test("three agents over HTTP agree on the intents and on one writer", async () => {
  const n = 3;
  const members: (Membership | null)[] = [null, null, null];
  const servers: PeerServer[] = [];
  const agents: Membership[] = [];
  // IP X: down for agents 0 and 1, up for 2. IP Y: down for agent 2 only.
  const views: PeerView[] = [0, 1, 2].map((i) => ({
    "192.0.2.10": { verdict: i < 2 ? "down" : "up", since: 1, consecutive: 3 },
    "192.0.2.20": {
      verdict: i === 2 ? "down" : "up",
      since: 1,
      consecutive: 3,
    },
  }));
  try {
    for (let i = 0; i < n; i++) {
      const app = createPeerApp(forward(() => members[i] ?? null));
      servers.push(servePeerApp(app, { hostname: "127.0.0.1", port: 0 }));
    }
    const ids = servers.map((s) => `127.0.0.1:${s.addr.port}`);
    const keyring = await deriveKeyring([KEY_NEW], false);
    for (let i = 0; i < n; i++) {
      const m = new Membership({
        nodeId: ids[i]!,
        peers: ids.filter((_, j) => j !== i),
        membersPort: 7947,
        heartbeatInterval: 0.05,
        peerTimeout: 1,
      }, {
        keyring,
        localState: () => ({
          view: views[i]!,
          isolated: false,
          writable: true,
          acked: true,
        }),
      });
      members[i] = m;
      agents.push(m);
    }
    for (const m of agents) m.start();
    await until(
      () => agents.every((m) => m.liveIds().length === n - 1),
      "every agent sees the others",
    );
    // Let every agent hear the others say they are writable.
    await until(
      () => agents.every((m) => m.liveViews().every((v) => v.hears.length > 0)),
      "every agent relays what it hears",
    );
    const self = (i: number) => ({
      nodeId: agents[i]!.nodeId,
      isolated: false,
      writable: true,
      hears: [],
      acked: true,
      backs: [],
      view: views[i]!,
    });
    const votes = (i: number) => [self(i), ...agents[i]!.liveViews()];
    const intents = (ip: string) =>
      agents.map((_, i) => intentOf(tally(ip, votes(i)), 2));
    assert.deepEqual(intents("192.0.2.10"), ["absent", "absent", "absent"]);
    assert.deepEqual(intents("192.0.2.20"), ["present", "present", "present"]);
    const elections = agents.map((m, i) =>
      electWriter(self(i), m.liveViews(), m.peerIds)
    );
    const lowest = [...ids].sort()[0];
    assert.deepEqual(elections.map((e) => e.writer), [lowest, lowest, lowest]);
    const writer = ids.indexOf(lowest!);
    assert.equal(elections[writer]!.acks, 3, "the writer is acknowledged");
  } finally {
    await Promise.all(agents.map((m) => m.stop()));
    await Promise.all(servers.map((s) => s.close()));
  }
});
