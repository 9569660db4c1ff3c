/**
 * The agent in cluster mode, in process: the harness (fake prober, manual
 * clock, fake Cloudflare on loopback) plus two peers that exist only as
 * sealed heartbeats POSTed to the agent's peer server on loopback. Nothing listens on
 * the peers' ports (except where a test captures what the agent sends); the
 * agent's own heartbeats to them fail on loopback.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  deriveKeyring,
  openHeartbeat,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import type { Heartbeat, PeerView } from "../../lib/cluster/types.ts";
import {
  BASE_TOML,
  type Harness,
  published,
  quiet,
  settle,
  startHarness,
  until,
} from "./harness.ts";
import { freePort } from "../support/free_port.ts";

const KEY = "agent-cluster-test-key-0123456789";
// The agent under test has the lowest node id, so it is the writer.
const [SELF, ...PEERS] = [freePort(), freePort(), freePort()]
  .map((p) => `127.0.0.1:${p}`).sort() as [string, string, string];
const PEER_PORT = Number(PEERS[0]!.split(":")[1]);
const TOML = `${BASE_TOML}
[members]
peers = ["${PEERS[0]}", "${PEERS[1]}"]
local_addr = "${SELF}"
min_peers_agree = 1
crypto_key = "${KEY}"
heartbeat_interval = 1
`;
const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;

function view(h: Harness, down: string[]): PeerView {
  const out: PeerView = {};
  for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
    out[ip] = {
      verdict: down.includes(ip) ? "down" : "up",
      since: h.clock.now() - 60_000,
      consecutive: 60,
    };
  }
  return out;
}

/** `from` POSTs one heartbeat with `v` to the agent's peer server. */
async function beat(h: Harness, from: string, seq: number, v: PeerView) {
  const ring = await deriveKeyring([KEY], false);
  const frame = await sealHeartbeat({
    from,
    boot: 1,
    seq,
    sentAt: h.clock.now(),
    view: v,
    isolated: false,
    writable: true,
    hears: [h.agent.membership!.nodeId],
    acked: true,
    backs: [],
    snapshots: [],
  }, ring);
  const res = await fetch(`http://${SELF}/v1/heartbeat`, {
    method: "POST",
    body: frame,
    headers: { "x-goavail-from": from },
  });
  await res.body?.cancel();
  if (res.status !== 204) throw new Error(`heartbeat refused: ${res.status}`);
}

function dropRecord(h: Harness, ip: string): void {
  for (const zone of h.cf.state.zones.values()) {
    for (const [id, r] of zone.records) {
      if (r.content === ip) zone.records.delete(id);
    }
  }
}

Deno.test("Agent waits for every peer again after a partition heals before it restores", async () => {
  const h = await startHarness(TOML);
  try {
    // The cluster removed 192.0.2.3: both peers see it down, this agent
    // sees it up; two votes of three say down, so it holds.
    dropRecord(h, "192.0.2.3");
    let seq = 0;
    const downView = view(h, ["192.0.2.3"]);
    await beat(h, PEERS[0]!, ++seq, downView);
    await beat(h, PEERS[1]!, ++seq, downView);
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await until(
      () => (h.agent.decided?.ips.get("192.0.2.3")?.downVotes ?? 0) >= 2,
      "quorum down",
    );
    await quiet(h);
    // Partition: no heartbeat for longer than peer_timeout (3 s).
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      h.prober().emit(UP);
      await settle(20);
    }
    await until(() => h.agent.isolation.isolated, "isolated");
    // The partition heals; one peer is heard before the other.
    await beat(h, PEERS[0]!, ++seq, view(h, ["192.0.2.3"]));
    h.prober().emit(UP);
    await until(() => !h.agent.isolation.isolated, "isolation cleared");
    await quiet(h);
    assertEquals(
      h.cf.writes().length,
      0,
      "restored on half the cluster's votes",
    );
    await beat(h, PEERS[1]!, ++seq, view(h, ["192.0.2.3"]));
    h.prober().emit(UP);
    await quiet(h);
    assertEquals(h.cf.writes().length, 0);
    assertEquals(published(h.cf).has("192.0.2.3"), false);
  } finally {
    await h.close();
  }
});

Deno.test("Agent does not stand as writer while it warms up after a partition heals", async () => {
  const h = await startHarness(TOML);
  try {
    dropRecord(h, "192.0.2.3");
    let seq = 0;
    const beatBoth = async (down: string[]) => {
      await beat(h, PEERS[0]!, ++seq, view(h, down));
      await beat(h, PEERS[1]!, ++seq, view(h, down));
    };
    await beatBoth(["192.0.2.3"]);
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await until(() => h.agent.decided?.acked === true, "acknowledged");
    // Partition: no heartbeat for longer than peer_timeout (3 s).
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      h.prober().emit(UP);
      await settle(20);
    }
    await until(() => h.agent.isolation.isolated, "isolated");
    // The first peer back sees 192.0.2.3 up again: with this agent that is
    // an up quorum, but the other peer has not been heard yet.
    await beat(h, PEERS[0]!, ++seq, view(h, []));
    h.prober().emit(UP);
    await until(() => !h.agent.isolation.isolated, "isolation cleared");
    const warming = h.agent.decided!;
    assertEquals(warming.ips.get("192.0.2.3")?.intent, "present");
    assertEquals(warming.ips.get("192.0.2.3")?.hold, "warming_up");
    assertEquals(warming.acked, false, "stood as writer while warming up");
    // Every peer heard: warm-up ends, the handover wait starts.
    await beat(h, PEERS[1]!, ++seq, view(h, []));
    h.prober().emit(UP);
    await until(() => h.agent.decided?.acked === true, "acknowledged again");
    assertEquals(h.cf.writes().length, 0);
    // Peers stay live past the handover; then the writer restores.
    for (let i = 0; i < 12 && !published(h.cf).has("192.0.2.3"); i++) {
      h.clock.advance(1000);
      await beatBoth([]);
      h.prober().emit(UP);
      await settle(50);
    }
    assertEquals(published(h.cf).has("192.0.2.3"), true);
  } finally {
    await h.close();
  }
});

Deno.test("Agent whose credentials are refused stays out of the writer role until a read works again", async () => {
  const h = await startHarness(TOML, { token: "not a well-formed token" });
  try {
    let seq = 0;
    let standing = 0;
    // 70 s with both peers live: past the 60 s after which a single node
    // would try again. A cluster agent must not take the role back to fail.
    for (let s = 0; s < 70; s++) {
      await beat(h, PEERS[0]!, ++seq, view(h, []));
      await beat(h, PEERS[1]!, ++seq, view(h, []));
      h.prober().emit(UP);
      h.clock.advance(1000);
      await settle(2);
      if (h.agent.decided?.acked) standing++;
    }
    await quiet(h);
    assertEquals(standing, 0, "stood as writer with refused credentials");
    assertEquals(h.agent.decided?.ips.get("192.0.2.1")?.hold, "dns_blocked");
    assertEquals(h.cf.writes().length, 0);
    const reads = h.cf.audit.length;
    assert(reads >= 2 && reads <= 4, `${reads} API calls in 70 s`);
  } finally {
    await h.close();
  }
});

/** Listens as the first peer and opens every heartbeat the agent sends. */
function capturePeer(): { got: Heartbeat[]; close: () => Promise<void> } {
  const got: Heartbeat[] = [];
  const ring = deriveKeyring([KEY], false);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: PEER_PORT,
    onListen: () => {},
  }, async (req) => {
    const frame = new Uint8Array(await req.arrayBuffer());
    const hb = await openHeartbeat(frame, SELF, await ring);
    if (hb.ok) got.push(hb.value);
    return new Response(null, { status: 204 });
  });
  return { got, close: () => server.shutdown() };
}

Deno.test("Agent leaves verdicts no fresh probe backs yet out of its heartbeats", async () => {
  const peer = capturePeer();
  const h = await startHarness(TOML);
  try {
    // Nothing probed yet: the default (or stored) verdicts are not votes.
    await until(() => peer.got.length > 0, "the first heartbeat");
    assertEquals(Object.keys(peer.got[0]!.view), []);
    for (let i = 0; i < 3; i++) {
      h.prober().emit({ ...UP, "192.0.2.3": false });
    }
    // A heartbeat nudged by an earlier probe may still be on its way (and
    // this one skipped while it is): wait for one that carries the down.
    await h.agent.membership!.heartbeatNow();
    const carrying = () =>
      peer.got.find((hb) => hb.view["192.0.2.3"]?.verdict === "down");
    await until(() => carrying() !== undefined, "a heartbeat with the down");
    const view = carrying()?.view ?? {};
    assertEquals(Object.keys(view).sort(), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
    ]);
    assertEquals(view["192.0.2.3"]?.verdict, "down");
  } finally {
    await h.close();
    await peer.close();
  }
});

Deno.test("Agent sends its new vote at once when a verdict changes", async () => {
  const peer = capturePeer();
  const h = await startHarness(TOML);
  try {
    await until(() => peer.got.length > 0, "the first heartbeat");
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await h.agent.membership!.heartbeatNow();
    const before = peer.got.length;
    // The manual clock does not move: only the verdict change can send.
    for (let i = 0; i < 3; i++) h.prober().emit({ ...UP, "192.0.2.2": false });
    await until(
      () =>
        peer.got.slice(before).some((hb) =>
          hb.view["192.0.2.2"]?.verdict === "down"
        ),
      "a heartbeat carrying the down vote",
    );
  } finally {
    await h.close();
    await peer.close();
  }
});
