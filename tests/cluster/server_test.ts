import assert from "node:assert/strict";
import {
  deriveKeyring,
  seal,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import type { HeartbeatReceiver } from "../../lib/cluster/membership.ts";
import { createPeerApp } from "../../lib/cluster/server.ts";
import {
  RejectionCounters,
  type RejectReason,
} from "../../lib/cluster/types.ts";
import type { ManualClock } from "../../lib/observe/clock.ts";
import {
  A,
  A_IP,
  C,
  captureLogger,
  heartbeat,
  KEY_NEW,
  KEY_OLD,
  KEY_OTHER,
  receiverB,
  ring,
} from "./fixtures.ts";
import type { Heartbeat } from "../../lib/cluster/types.ts";
import type { Membership } from "../../lib/cluster/membership.ts";

const enc = new TextEncoder();

function post(
  app: ReturnType<typeof createPeerApp>,
  body: BodyInit | null,
  options: { from?: string | null; remote?: string; headers?: HeadersInit } =
    {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.from !== null) headers.set("x-goavail-from", options.from ?? A);
  return Promise.resolve(app.request("/v1/heartbeat", {
    method: "POST",
    body,
    headers,
  }, { remoteAddr: options.remote ?? A_IP }));
}

async function setup() {
  const { logger, lines } = captureLogger();
  const { m, clock } = await receiverB({ logger });
  const app = createPeerApp(m, { logger });
  const keyNew = await ring(KEY_NEW);
  const sealA = (over: Partial<Heartbeat> = {}) =>
    sealHeartbeat(heartbeat(clock, over), keyNew);
  return { m, clock, app, lines, sealA, keyNew };
}

/** Asserts one refusal: status, counter, debug line, no state change. */
async function refused(
  s: { m: Membership; app: ReturnType<typeof createPeerApp>; lines: string[] },
  res: Response,
  status: number,
  reason: RejectReason,
): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, `${reason}: ${text}`);
  assert.ok(!/Error|at |\.ts/.test(text), "no internals in the body");
  assert.equal(s.m.rejections.get(reason), 1, reason);
  assert.ok(
    s.lines.some((l) =>
      l.includes("heartbeat rejected") && l.includes(`reason=${reason}`)
    ),
    `debug line for ${reason}`,
  );
}

function accepted(m: Membership): number {
  return m.peerStatus().reduce((n, p) => n + p.accepted, 0);
}

Deno.test("createPeerApp() accepts a valid heartbeat and records the view", async () => {
  const s = await setup();
  const res = await post(s.app, await s.sealA({ isolated: true }));
  assert.equal(res.status, 204);
  const views = s.m.liveViews();
  assert.equal(views.length, 1);
  assert.equal(views[0]?.nodeId, A);
  assert.equal(views[0]?.isolated, true);
  assert.equal(Object.keys(views[0]?.view ?? {}).length, 3);
  assert.equal(s.m.rejections.total(), 0);
});

Deno.test("createPeerApp() refuses each rejection class without changing state", async (t) => {
  const cases: {
    name: string;
    reason: RejectReason;
    status: number;
    send: (s: Awaited<ReturnType<typeof setup>>) => Promise<Response>;
  }[] = [
    {
      name: "missing sender header",
      reason: "missing_sender",
      status: 400,
      send: async (s) => post(s.app, await s.sealA(), { from: null }),
    },
    {
      name: "unknown sender",
      reason: "unknown_sender",
      status: 403,
      send: async (s) =>
        post(s.app, await s.sealA({ from: "10.0.0.9:7947" }), {
          from: "10.0.0.9:7947",
        }),
    },
    {
      name: "wrong source address",
      reason: "wrong_source",
      status: 403,
      send: async (s) => post(s.app, await s.sealA(), { remote: "10.0.0.3" }),
    },
    {
      name: "sentAt too old",
      reason: "stale_time",
      status: 400,
      send: async (s) =>
        post(s.app, await s.sealA({ sentAt: s.clock.now() - 30_001 })),
    },
    {
      name: "sentAt in the future",
      reason: "stale_time",
      status: 400,
      send: async (s) =>
        post(s.app, await s.sealA({ sentAt: s.clock.now() + 30_001 })),
    },
    {
      name: "tampered tag",
      reason: "bad_tag",
      status: 401,
      send: async (s) => {
        const f = await s.sealA();
        f[f.length - 1]! ^= 0x80;
        return post(s.app, f);
      },
    },
    {
      name: "truncated frame",
      reason: "truncated",
      status: 400,
      send: async (s) => post(s.app, (await s.sealA()).slice(0, 20)),
    },
    {
      name: "wrong version",
      reason: "bad_version",
      status: 400,
      send: async (s) => {
        const f = await s.sealA();
        f[0] = 7;
        return post(s.app, f);
      },
    },
    {
      name: "wrong key",
      reason: "unknown_key",
      status: 401,
      send: async (s) =>
        post(
          s.app,
          await sealHeartbeat(heartbeat(s.clock), await ring(KEY_OTHER)),
        ),
    },
    {
      name: "oversize body",
      reason: "oversize",
      status: 413,
      send: (s) => post(s.app, new Uint8Array(64 * 1024 + 1)),
    },
    {
      name: "oversize streamed body",
      reason: "oversize",
      status: 413,
      send: (s) => post(s.app, new Blob([new Uint8Array(70_000)]).stream()),
    },
    {
      name: "non-JSON plaintext",
      reason: "bad_json",
      status: 400,
      send: async (s) =>
        post(s.app, await seal(enc.encode("hello"), A, s.keyNew)),
    },
    {
      name: "sender mismatch",
      reason: "sender_mismatch",
      status: 403,
      send: async (s) =>
        post(
          s.app,
          await seal(
            enc.encode(JSON.stringify(heartbeat(s.clock, { from: C }))),
            A,
            s.keyNew,
          ),
        ),
    },
    {
      name: "header swapped to another peer",
      reason: "bad_tag",
      status: 401,
      send: async (s) =>
        post(s.app, await s.sealA(), { from: C, remote: "10.0.0.3" }),
    },
    {
      name: "plaintext frame",
      reason: "plaintext_refused",
      status: 400,
      send: (s) =>
        post(
          s.app,
          new Uint8Array([
            0,
            ...enc.encode(JSON.stringify(heartbeat(s.clock))),
          ]),
        ),
    },
    {
      name: "garbage",
      reason: "bad_version",
      status: 400,
      send: (s) => post(s.app, enc.encode("GET / HTTP/1.1\r\n\r\n")),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const s = await setup();
      const res = await c.send(s);
      await refused(s, res, c.status, c.reason);
      assert.equal(s.m.liveViews().length, 0, "no peer became live");
      assert.equal(accepted(s.m), 0);
    });
  }
});

Deno.test("createPeerApp() refuses replays and accepts newer (boot, seq)", async () => {
  const s = await setup();
  const first = await s.sealA({ seq: 5 });
  assert.equal((await post(s.app, first)).status, 204);
  await refused(s, await post(s.app, first), 409, "replay");
  assert.equal((await post(s.app, await s.sealA({ seq: 4 }))).status, 409);
  assert.equal((await post(s.app, await s.sealA({ seq: 6 }))).status, 204);
  assert.equal(
    (await post(s.app, await s.sealA({ boot: 999, seq: 99 }))).status,
    409,
  );
  assert.equal(
    (await post(s.app, await s.sealA({ boot: 1001, seq: 1 }))).status,
    204,
  );
  assert.equal(accepted(s.m), 3);
});

Deno.test("createPeerApp() forgets the replay window after 90 s of silence", async () => {
  const s = await setup();
  assert.equal((await post(s.app, await s.sealA({ boot: 5000 }))).status, 204);
  s.clock.advance(91_000);
  // The peer restarted with a clock that stepped back: lower boot.
  assert.equal((await post(s.app, await s.sealA({ boot: 10 }))).status, 204);
});

Deno.test("createPeerApp() accepts frames sealed with the old key (rotation)", async () => {
  const s = await setup();
  const old = await ring(KEY_OLD);
  const res = await post(s.app, await sealHeartbeat(heartbeat(s.clock), old));
  assert.equal(res.status, 204);
});

Deno.test("createPeerApp() accepts plaintext only with insecure_plaintext", async () => {
  const { m, clock } = await receiverB({ keys: [], insecure: true });
  const app = createPeerApp(m);
  const lab = await deriveKeyring([], true);
  const res = await post(app, await sealHeartbeat(heartbeat(clock), lab));
  assert.equal(res.status, 204);
});

Deno.test("createPeerApp() hides internal errors behind a 500", async () => {
  const { logger, lines } = captureLogger();
  const broken: HeartbeatReceiver = {
    rejections: new RejectionCounters(),
    receive: () => Promise.reject(new Error("secret internals at /x.ts")),
  };
  const app = createPeerApp(broken, { logger });
  const res = await post(app, new Uint8Array([1, 2, 3]));
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "Internal Server Error");
  assert.ok(lines.some((l) => l.includes("level=error")));
});

Deno.test("createPeerApp() answers other routes with 404", async () => {
  const s = await setup();
  const res = await s.app.request("/v1/heartbeat", {}, { remoteAddr: A_IP });
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

export type { ManualClock };

Deno.test("createPeerApp() refuses a body its sender abandoned without an error log", async () => {
  // A peer that was frozen (SIGSTOP) finds its backlog full of requests
  // whose senders timed out and closed: reading such a body fails. That is
  // the sender's fault, not a server error.
  const s = await setup();
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new Error("connection reset"));
    },
  });
  // Real peers send a content-length, so the body is read by the handler.
  const res = await post(s.app, body, { headers: { "content-length": "60" } });
  await refused(s, res, 400, "truncated");
  assert.ok(!s.lines.some((l) => l.includes("level=error")), "no error line");
  assert.equal(accepted(s.m), 0);
});

Deno.test("createPeerApp() hands the view-formats header to the receiver with the frame", async () => {
  const { m, app, sealA } = await setup();
  const res = await post(app, await sealA() as BodyInit, {
    headers: { "x-goavail-view-formats": "cols1" },
  });
  assert.equal(res.status, 204);
  const a = () => m.peerStatus().find((p) => p.id === A)!;
  assert.equal(a().readsCompact, true);
  const again = await post(app, await sealA({ seq: 2 }) as BodyInit);
  assert.equal(again.status, 204);
  assert.equal(a().readsCompact, false, "a heartbeat without the header");
});
