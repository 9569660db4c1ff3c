/**
 * `retry_interval` through the agent: a miss of an IP still up asks the
 * prober for a confirming probe until the threshold; recovery retries only
 * with `recovery_retry`; in a cluster a peer's fresh miss makes this agent
 * confirm too.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { deriveKeyring, sealHeartbeat } from "../../lib/cluster/crypto.ts";
import { freePort } from "../support/free_port.ts";
import { BASE_TOML, startHarness, until } from "./harness.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;
const MISS_2 = { ...UP, "192.0.2.2": false } as const;

Deno.test("Agent with retry_interval asks for a confirming probe after each miss until the threshold", async () => {
  const h = await startHarness(`retry_interval = 0.2\n${BASE_TOML}`);
  try {
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    assertEquals(h.prober().retries, []);
    h.prober().emit(MISS_2);
    h.prober().emit(MISS_2);
    assertEquals(h.prober().retries, ["192.0.2.2", "192.0.2.2"]);
    h.prober().emit(MISS_2); // the third miss: down, no more retries
    assertEquals(h.agent.health.verdict("192.0.2.2"), "down");
    assertEquals(h.prober().retries.length, 2);
    // Coming back: no retries unless recovery_retry is set.
    h.prober().emit(UP);
    assertEquals(h.prober().retries.length, 2);
    assertEquals(h.prober().timing?.retryMs, 200);
  } finally {
    await h.close();
  }
});

Deno.test("Agent with recovery_retry asks for confirming probes while a down IP answers again", async () => {
  const h = await startHarness(
    `retry_interval = 0.2\nrecovery_retry = true\n${BASE_TOML}`,
  );
  try {
    for (let i = 0; i < 3; i++) h.prober().emit(MISS_2);
    const before = h.prober().retries.length;
    h.prober().emit(UP);
    h.prober().emit(UP);
    assertEquals(h.prober().retries.slice(before), ["192.0.2.2", "192.0.2.2"]);
  } finally {
    await h.close();
  }
});

Deno.test("Agent without retry_interval never asks for confirming probes", async () => {
  const h = await startHarness();
  try {
    for (let i = 0; i < 3; i++) h.prober().emit(MISS_2);
    assertEquals(h.prober().retries, []);
  } finally {
    await h.close();
  }
});

Deno.test("Agent in a cluster confirms an IP a peer has just started to miss", async () => {
  const key = "retry-test-key-0123456789abcdef";
  const [self, peer, other] = [freePort(), freePort(), freePort()].map((p) =>
    `127.0.0.1:${p}`
  );
  const h = await startHarness(`retry_interval = 0.2
${BASE_TOML}
[members]
peers = ["${peer}", "${other}"]
local_addr = "${self}"
min_peers_agree = 1
crypto_key = "${key}"
`);
  try {
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    const ring = await deriveKeyring([key], false);
    const entry = (consecutive: number) => ({
      verdict: "up" as const,
      since: h.clock.now() - 60_000,
      consecutive,
    });
    let seq = 0;
    const send = async (consecutive: number) => {
      const frame = await sealHeartbeat({
        from: peer!,
        boot: 1,
        seq: ++seq,
        sentAt: h.clock.now(),
        view: {
          "192.0.2.1": entry(10),
          "192.0.2.2": entry(consecutive),
          "192.0.2.3": entry(10),
        },
        isolated: false,
        writable: true,
        hears: [],
        acked: false,
        backs: [],
        snapshots: [],
      }, ring);
      const res = await fetch(`http://${self}/v1/heartbeat`, {
        method: "POST",
        body: frame,
        headers: { "x-goavail-from": peer! },
      });
      await res.body?.cancel();
      assertEquals(res.status, 204);
    };
    await send(10);
    assertEquals(h.prober().retries, []);
    await send(0); // the peer just missed 192.0.2.2
    await until(() => h.prober().retries.length > 0, "a confirming probe");
    assertEquals(h.prober().retries, ["192.0.2.2"]);
  } finally {
    await h.close();
  }
});
