/**
 * The compact view: an exact round trip (to the second), refusal of bad
 * columns, the size it buys at 10,000 changing targets, and the per-peer
 * choice: only peers that said they read it get it.
 * @module
 */
import assert from "node:assert/strict";
import {
  compactView,
  expandView,
  readsCompact,
} from "../../lib/cluster/compact_view.ts";
import { openHeartbeat, sealHeartbeat } from "../../lib/cluster/crypto.ts";
import { gunzip } from "../../lib/cluster/gzip.ts";
import { open } from "../../lib/cluster/crypto.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { MAX_BODY_BYTES } from "../../lib/cluster/receive.ts";
import type { PeerView } from "../../lib/cluster/types.ts";
import {
  A,
  A_IP,
  C,
  heartbeat,
  KEY_NEW,
  receiverB,
  ring,
  sendsDone,
  until,
} from "./fixtures.ts";

/** 10,000 targets whose verdicts changed at scattered times (seeded). */
function changingView(n: number, sentAt: number): PeerView {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const view: PeerView = {};
  for (let i = 0; i < n; i++) {
    view[`10.${(i >> 8) & 255}.${i & 255}.1`] = {
      verdict: next() % 10 === 0 ? "down" : "up",
      since: sentAt - (next() % 86_400_000),
      consecutive: next() % 1000,
    };
  }
  return view;
}

Deno.test("compactView() and expandView() round-trip a view: since to 10 s, counts up to 255", () => {
  const sentAt = 1_800_000_000_500;
  const view = changingView(50, sentAt);
  const back = expandView(compactView(view, sentAt), sentAt, 100);
  if (!back.ok) throw new Error(back.error);
  const got: PeerView = back.value;
  assert.deepEqual(Object.keys(got), Object.keys(view));
  for (const [ip, e] of Object.entries(view)) {
    const g = got[ip]!;
    assert.equal(g.verdict, e.verdict);
    assert.equal(g.consecutive, Math.min(e.consecutive, 255));
    assert.ok(g.since >= e.since && g.since - e.since < 10_000, ip);
  }
});

Deno.test("expandView() refuses columns that do not line up or hold bad values", () => {
  const good = { ip: ["192.0.2.1"], v: "u", s: [1], c: [3] };
  assert.ok(expandView(good, 10_000, 10).ok);
  const bad: unknown[] = [
    null,
    [],
    { ...good, v: "uu" },
    { ...good, s: [] },
    { ...good, v: "x" },
    { ...good, s: [-1] },
    { ...good, c: [1.5] },
    { ...good, ip: [""] },
    { ip: ["192.0.2.1", "192.0.2.1"], v: "uu", s: [1, 1], c: [1, 1] },
    { ...good, extra: 1 },
  ];
  for (const b of bad) {
    assert.equal(expandView(b, 10_000, 10).ok, false, JSON.stringify(b));
  }
  assert.equal(expandView(good, 10_000, 0).ok, false, "over the entry limit");
});

Deno.test("a heartbeat carries exactly one of view and cols", async () => {
  const keys = await ring(KEY_NEW);
  const hb = heartbeat(new ManualClock(1_800_000_000_000));
  const compact = await sealHeartbeat(hb, keys, true);
  const opened = await openHeartbeat(compact, A, keys);
  assert.ok(opened.ok);
  assert.deepEqual(
    Object.keys(opened.value.view).sort(),
    Object.keys(hb.view).sort(),
  );
});

Deno.test("the compact view fits 10,000 changing targets in the 64 KiB body limit; the full one does not", async () => {
  const keys = await ring(KEY_NEW);
  const sentAt = 1_800_000_000_000;
  const hb = heartbeat(new ManualClock(sentAt), {
    view: changingView(10_000, sentAt),
  });
  const full = await sealHeartbeat(hb, keys);
  const compact = await sealHeartbeat(hb, keys, true);
  assert.ok(full.length > MAX_BODY_BYTES, `full ${full.length} bytes`);
  assert.ok(
    compact.length <= MAX_BODY_BYTES,
    `compact ${compact.length} bytes`,
  );
});

Deno.test("readsCompact() reads the formats header", () => {
  assert.equal(readsCompact(undefined), false);
  assert.equal(readsCompact(""), false);
  assert.equal(readsCompact("cols1"), true);
  assert.equal(readsCompact("x, cols1"), true);
  assert.equal(readsCompact("cols2"), false);
});

/** @returns the plaintext JSON keys of a frame sealed by B. */
async function plaintextKeys(frame: Uint8Array, from: string) {
  const opened = await open(frame, from, await ring(KEY_NEW));
  assert.ok(opened.ok);
  let bytes: Uint8Array = opened.value;
  if (bytes[0] === 0x1f) bytes = (await gunzip(bytes, 1 << 24))!;
  return Object.keys(JSON.parse(new TextDecoder().decode(bytes)));
}

Deno.test("Membership sends the compact view only to a peer that said it reads it", async () => {
  const { m, clock, transport } = await receiverB();
  try {
    const frame = await sealHeartbeat(heartbeat(clock), await ring(KEY_NEW));
    assert.ok((await m.receive(frame, A, A_IP, "cols1")).ok);
    m.start();
    await until(() => sendsDone(m) === 1, "first round");
    const to = (peer: string) => transport.sent.find((s) => s.peer === peer)!;
    const B = "10.0.0.2:7947";
    assert.ok((await plaintextKeys(to(A).frame, B)).includes("cols"));
    const toC = await plaintextKeys(to(C).frame, B);
    assert.ok(toC.includes("view") && !toC.includes("cols"), "C never said");
    // A heartbeat from A without the header (A downgraded): full again.
    const again = await sealHeartbeat(
      heartbeat(clock, { seq: 2 }),
      await ring(KEY_NEW),
    );
    assert.ok((await m.receive(again, A, A_IP)).ok);
    const before = transport.sent.length;
    await m.heartbeatNow();
    const last = transport.sent.slice(before).find((s) => s.peer === A)!;
    assert.equal((await plaintextKeys(last.frame, B)).includes("cols"), false);
  } finally {
    await m.stop();
  }
});
