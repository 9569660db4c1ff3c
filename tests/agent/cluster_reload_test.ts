/**
 * Reloading the cluster link: a config that validates but cannot be applied
 * leaves the old link running (the agent never acts alone), and a
 * non-canonical `local_addr` keeps the link (and its peer state).
 * @module
 */
import assert from "node:assert/strict";
import { freePort } from "../support/free_port.ts";
import { BASE_TOML, startHarness } from "./harness.ts";

function toml(localAddr: string, peers: string[]): string {
  return `${BASE_TOML}
[members]
peers = ${JSON.stringify(peers)}
local_addr = "${localAddr}"
min_peers_agree = 1
crypto_key = "cluster-reload-test-key-0123456789"
heartbeat_interval = 1
`;
}

Deno.test("Agent keeps its cluster link when a reload's local_addr cannot be bound", async () => {
  const port = freePort("127.0.0.1");
  const peers = [`127.0.0.1:${freePort("127.0.0.1")}`];
  const h = await startHarness(toml(`127.0.0.1:${port}`, peers));
  try {
    const before = h.agent.membership;
    assert.ok(before);
    // 192.0.2.99 is not an address of this host: binding fails.
    h.setConfigText(toml(`192.0.2.99:${port}`, peers));
    assert.equal(await h.agent.reload(), false);
    assert.equal(h.agent.membership, before, "the old link still runs");
    assert.equal(h.agent.config.members.localAddr, `127.0.0.1:${port}`);
    const res = await fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
      method: "POST",
      body: new Uint8Array(4),
      headers: { "x-goavail-from": peers[0]! },
    });
    await res.body?.cancel();
    assert.notEqual(res.status, 404, "the old peer server still answers");
    assert.ok(
      h.logs.some((l) => l.includes("Reload failed while applying")),
      "the failure is logged",
    );
  } finally {
    await h.close();
  }
});

Deno.test("Agent keeps its cluster link over a reload that spells local_addr differently", async () => {
  const port = freePort("::1");
  const peers = [`[::1]:${freePort("::1")}`];
  const h = await startHarness(toml(`[::1]:${port}`, peers));
  try {
    const before = h.agent.membership;
    assert.ok(before);
    h.setConfigText(toml(`[0:0:0::1]:${port}`, peers));
    assert.equal(await h.agent.reload(), true);
    assert.equal(h.agent.membership, before, "same node: link kept");
  } finally {
    await h.close();
  }
});
