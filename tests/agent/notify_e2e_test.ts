/**
 * Notifications end to end: the in-process agent (fake prober, fake
 * Cloudflare API) sends its webhook messages with the real `fetch` to a
 * receiver on 127.0.0.1, or to a closed port: one per DNS change, one per
 * guard (self-isolation, blast radius) starting or ending to hold.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { freePort } from "../support/free_port.ts";
import type { WebhookBody } from "../../lib/observe/notify.ts";
import { parseProm, sampleValue } from "../support/prom_parse.ts";
import {
  BASE_TOML,
  type Harness,
  published,
  settle,
  startHarness,
  until,
} from "./harness.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;
const ALL_DOWN = {
  "192.0.2.1": false,
  "192.0.2.2": false,
  "192.0.2.3": false,
} as const;
/** The secret part of the webhook URL; must never reach a log line. */
const HOOK_PATH = "/hooks/T000SECRET/B000SECRET/xoxSecretToken123";

/** A webhook receiver on 127.0.0.1 that records every JSON body. */
interface Receiver {
  url: string;
  bodies: WebhookBody[];
  close(): Promise<void>;
}

function startReceiver(): Receiver {
  const bodies: WebhookBody[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      bodies.push(await req.json());
      return new Response("ok");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}${HOOK_PATH}`,
    bodies,
    close: () => server.shutdown(),
  };
}

/** @returns a URL on a 127.0.0.1 port nothing listens on. */
function deadUrl(): string {
  return `http://127.0.0.1:${freePort()}${HOOK_PATH}`;
}

async function harnessFor(
  url: string,
  top = "",
  sections = "",
  notifyKeys = "",
): Promise<Harness> {
  const h = await startHarness(
    `${top}${BASE_TOML}${sections}[notify]\nwebhook_url = "${url}"\n${notifyKeys}`,
    { realFetch: true },
  );
  // Capture every line, debug included, so a leak anywhere would show.
  h.agent.deps.logSettings!.level = "debug";
  return h;
}

function events(r: Receiver): string[] {
  return r.bodies.map((b) => `${b.event} ${b.ip ?? "-"}`);
}

function assertNoSecret(h: Harness, url: string): void {
  for (const line of h.logs) {
    assert(!line.includes(url), `webhook URL logged: ${line}`);
    assert(!line.includes("SecretToken"), `webhook secret logged: ${line}`);
  }
}

function notificationCount(h: Harness, result: "ok" | "error"): number {
  return sampleValue(
    parseProm(h.agent.metrics.registry.render()),
    "goavail_notifications_total",
    { channel: "webhook", result },
  ) ?? 0;
}

/** Takes 192.0.2.2 down (3 misses), then back up (3 replies). */
async function removeAndRestore(h: Harness): Promise<void> {
  await until(() => h.agent.lastReport !== null, "first pass");
  for (let i = 0; i < 3; i++) h.prober().emit({ ...UP, "192.0.2.2": false });
  await until(() => !published(h.cf).has("192.0.2.2"), "removal");
  for (let i = 0; i < 3; i++) h.prober().emit(UP);
  await until(() => published(h.cf).has("192.0.2.2"), "restore");
}

Deno.test("Notifier sends one webhook and one Slack message per DNS change, with the record and node", async () => {
  const r = startReceiver();
  const slack = startReceiver();
  const h = await harnessFor(
    r.url,
    "",
    "",
    `slack_webhook_url = "${slack.url}"\n`,
  );
  try {
    await removeAndRestore(h);
    await until(
      () => r.bodies.length >= 2 && slack.bodies.length >= 2,
      "two messages per channel",
    );
    await settle(200);
    assertEquals(events(r), [
      "record_removed 192.0.2.2",
      "record_restored 192.0.2.2",
    ]);
    assertEquals(h.cf.writes().length, 2, "one write per change");
    for (const b of r.bodies) {
      assertEquals(b.hostname, "www.example.com");
      assertEquals(b.node, "local");
      assert(b.detail.includes("192.0.2.2"), b.detail);
      assert(!Number.isNaN(Date.parse(b.at)), b.at);
    }
    const texts = slack.bodies.map((b) =>
      (b as unknown as { text: string }).text
    );
    assertEquals(texts.length, 2);
    assert(
      texts[0]!.startsWith(
        "[goavail local] record_removed www.example.com 192.0.2.2",
      ),
      texts[0],
    );
    assert(
      texts[1]!.startsWith(
        "[goavail local] record_restored www.example.com 192.0.2.2",
      ),
      texts[1],
    );
    assertEquals(notificationCount(h, "ok"), 2);
    assertNoSecret(h, r.url);
    assertNoSecret(h, slack.url);
  } finally {
    await h.close();
    await r.close();
    await slack.close();
  }
});

Deno.test("Notifier sends one message per self-isolation trigger and one when it clears", async () => {
  const r = startReceiver();
  const h = await harnessFor(r.url);
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 6; i++) h.prober().emit(ALL_DOWN);
    await until(() => h.agent.isolation.isolated, "isolation");
    await until(() => r.bodies.length >= 1, "guard message");
    // More failing rounds while isolated must not repeat the message.
    for (let i = 0; i < 3; i++) {
      h.prober().emit(ALL_DOWN);
      h.agent.driver.kick();
      await settle(20);
    }
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await until(() => !h.agent.isolation.isolated, "isolation cleared");
    await until(() => r.bodies.length >= 2, "cleared message");
    await settle(200);
    assertEquals(events(r), ["guard_triggered -", "guard_cleared -"]);
    assert(r.bodies[0]!.detail.includes("Self-isolation"), r.bodies[0]!.detail);
    assertEquals(h.cf.writes().length, 0, "wrote DNS while isolated");
    assertNoSecret(h, r.url);
  } finally {
    await h.close();
    await r.close();
  }
});

Deno.test("Notifier sends one message when the blast-radius guard holds a record back and one when it lets go", async () => {
  const r = startReceiver();
  const h = await harnessFor(r.url, "max_removals_fraction = 0.34\n");
  const TWO_DOWN = { ...UP, "192.0.2.2": false, "192.0.2.3": false };
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) h.prober().emit(TWO_DOWN);
    await until(() => r.bodies.length >= 2, "removal and guard messages");
    // Passes while the guard keeps holding must not repeat the message.
    for (let i = 0; i < 3; i++) {
      h.prober().emit(TWO_DOWN);
      h.clock.advance(61_000);
      await until(
        () => h.agent.lastReport?.status === "ok",
        "a drift-repair pass",
      );
      await settle(20);
    }
    assertEquals(published(h.cf).size, 2, "blast radius exceeded");
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await until(() => published(h.cf).size === 3, "restore");
    await until(() => r.bodies.length >= 4, "restore and cleared messages");
    await settle(200);
    const removed = r.bodies[0]!.ip;
    assertEquals(events(r), [
      `record_removed ${removed}`,
      `guard_triggered ${removed === "192.0.2.2" ? "192.0.2.3" : "192.0.2.2"}`,
      `record_restored ${removed}`,
      "guard_cleared -",
    ]);
    assert(r.bodies[1]!.detail.includes("blast_radius"), r.bodies[1]!.detail);
    assertNoSecret(h, r.url);
  } finally {
    await h.close();
    await r.close();
  }
});

Deno.test("Notifier sends one message when a cluster peer is lost, none when it first arrives", async () => {
  const r = startReceiver();
  const [pa, pb] = [freePort(), freePort()];
  const members = (self: number, peer: number) =>
    `[members]\nlocal_addr = "127.0.0.1:${self}"\npeers = ["127.0.0.1:${peer}"]\n` +
    `crypto_key = "${"k".repeat(32)}"\n`;
  const a = await harnessFor(r.url, "", members(pa, pb));
  let b: Harness | null = null;
  try {
    b = await startHarness(`${BASE_TOML}${members(pb, pa)}`);
    // Both clocks move together: heartbeats carry their sender's time.
    for (let i = 0; i < 20 && a.agent.membership!.liveIds().length === 0; i++) {
      a.clock.advance(1000);
      b.clock.advance(1000);
      await settle(30);
    }
    assertEquals(a.agent.membership!.liveIds(), [`127.0.0.1:${pb}`]);
    await b.close();
    b = null;
    for (
      let i = 0;
      i < 20 && !r.bodies.some((m) => m.event === "peer_lost");
      i++
    ) {
      a.clock.advance(1000);
      await settle(30);
    }
    await settle(200);
    const peers = r.bodies.filter((m) => m.event.startsWith("peer_"));
    assertEquals(peers.map((m) => m.event), ["peer_lost"]);
    assert(peers[0]!.detail.includes(`127.0.0.1:${pb}`), peers[0]!.detail);
    assertNoSecret(a, r.url);
  } finally {
    await b?.close();
    await a.close();
    await r.close();
  }
});

Deno.test("Notifier with a dead receiver changes nothing else: records still removed and restored", async () => {
  const url = deadUrl();
  const h = await harnessFor(url);
  try {
    const before = published(h.cf).get("192.0.2.2");
    await removeAndRestore(h);
    assertEquals(published(h.cf).get("192.0.2.2")?.comment, before?.comment);
    await until(() => notificationCount(h, "error") >= 2, "failed sends");
    assertEquals(notificationCount(h, "ok"), 0);
    assert(
      h.logs.some((l) =>
        l.includes("Notification failed") && l.includes("connection failed")
      ),
      "the failure is not logged",
    );
    assert(h.agent.running, "agent stopped after failed notifications");
    assertNoSecret(h, url);
  } finally {
    await h.close();
  }
  assertNoSecret(h, url);
});

Deno.test("Notifier sends to the original's short slack_addr the way it did: a payload form to hooks.slack.com", async () => {
  const sent: { url: string; type: string | null; body: string }[] = [];
  const recorder: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      type: new Headers(init?.headers).get("content-type"),
      body: await new Response(init?.body).text(),
    });
    return new Response("ok");
  };
  const h = await startHarness(
    `slack_addr = "T000/B000/XXXXSecretToken"\n${BASE_TOML}`,
    { fetch: recorder },
  );
  h.agent.deps.logSettings!.level = "debug";
  try {
    await removeAndRestore(h);
    await until(() => sent.length >= 2, "two Slack messages");
    assertEquals(
      sent.map((s) => [s.url, s.type]),
      Array(2).fill([
        "https://hooks.slack.com/services/T000/B000/XXXXSecretToken",
        "application/x-www-form-urlencoded",
      ]),
    );
    const payload = JSON.parse(
      new URLSearchParams(sent[0]!.body).get("payload") ?? "null",
    );
    assertEquals(Object.keys(payload), ["text"]);
    assert(payload.text.includes("record_removed"), payload.text);
    assertNoSecret(h, "XXXXSecretToken");
  } finally {
    await h.close();
  }
});
