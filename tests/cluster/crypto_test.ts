import assert from "node:assert/strict";
import {
  deriveKey,
  deriveKeyring,
  generateCryptoKey,
  HEADER_BYTES,
  open,
  openHeartbeat,
  PeerAuthError,
  seal,
  sealHeartbeat,
  TAG_BYTES,
  weakKeyWarning,
} from "../../lib/cluster/crypto.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import {
  A,
  heartbeat,
  KEY_NEW,
  KEY_OLD,
  KEY_OTHER,
  ring,
  viewOf,
} from "./fixtures.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("seal() lays out version, key id, nonce, ciphertext and tag", async () => {
  const r = await ring(KEY_NEW);
  const msg = enc.encode("hello");
  const frame = await seal(msg, A, r);
  assert.equal(frame[0], 1);
  assert.equal(frame[1], r.keys[0]?.id);
  assert.equal(frame.length, HEADER_BYTES + msg.length + TAG_BYTES);
  const again = await seal(msg, A, r);
  assert.notDeepEqual(frame.subarray(2, 14), again.subarray(2, 14), "nonce");
  const opened = await open(frame, A, r);
  assert.ok(opened.ok);
  assert.equal(dec.decode(opened.value), "hello");
});

Deno.test("deriveKey() is deterministic and key-specific", async () => {
  const a = await deriveKey(KEY_NEW);
  const b = await deriveKey(KEY_NEW);
  assert.equal(a.id, b.id);
  const frame = await seal(enc.encode("x"), A, {
    keys: [a],
    allowPlaintext: false,
  });
  assert.ok((await open(frame, A, { keys: [b], allowPlaintext: false })).ok);
  assert.equal(a.key.extractable, false);
});

Deno.test("open() binds the sender id through the AAD", async () => {
  const r = await ring(KEY_NEW);
  const frame = await seal(enc.encode("x"), A, r);
  assert.deepEqual(await open(frame, "10.0.0.9:7947", r), {
    ok: false,
    error: "bad_tag",
  });
});

Deno.test("open() refuses each malformed frame class", async () => {
  const r = await ring(KEY_NEW);
  const frame = await seal(enc.encode("payload"), A, r);
  const flipped = frame.slice();
  flipped[flipped.length - 1]! ^= 1;
  const badVersion = frame.slice();
  badVersion[0] = 2;
  const badKey = frame.slice();
  badKey[1] = (badKey[1]! + 1) & 255;
  const table: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "truncated"],
    ["header only", frame.slice(0, HEADER_BYTES), "truncated"],
    ["short tag", frame.slice(0, HEADER_BYTES + TAG_BYTES - 1), "truncated"],
    ["cut ciphertext", frame.slice(0, frame.length - 1), "bad_tag"],
    ["flipped tag", flipped, "bad_tag"],
    ["version 2", badVersion, "bad_version"],
    ["unknown key id", badKey, "unknown_key"],
    ["plaintext", new Uint8Array([0, 123, 125]), "plaintext_refused"],
  ];
  for (const [name, f, reason] of table) {
    assert.deepEqual(await open(f, A, r), { ok: false, error: reason }, name);
  }
});

Deno.test("open() with a wrong key refuses the frame", async () => {
  const frame = await seal(enc.encode("x"), A, await ring(KEY_OTHER));
  const r = await ring(KEY_NEW, KEY_OLD);
  const res = await open(frame, A, r);
  assert.equal(res.ok, false);
});

Deno.test("open() tries every key sharing a key id", async () => {
  const k1 = await deriveKey(KEY_NEW);
  const k2 = await deriveKey(KEY_OTHER);
  const clash = { id: k1.id, key: k2.key };
  const frame = await seal(enc.encode("x"), A, {
    keys: [clash],
    allowPlaintext: false,
  });
  const res = await open(frame, A, {
    keys: [k1, clash],
    allowPlaintext: false,
  });
  assert.ok(res.ok);
});

Deno.test("deriveKeyring() seals with the first key and opens with any (rotation)", async () => {
  const old = await ring(KEY_OLD);
  const rotated = await deriveKeyring([KEY_NEW, KEY_OLD], false);
  const fromOld = await seal(enc.encode("x"), A, old);
  assert.ok((await open(fromOld, A, rotated)).ok, "old key still accepted");
  const fromNew = await seal(enc.encode("x"), A, rotated);
  assert.equal(fromNew[1], (await deriveKey(KEY_NEW)).id, "sent with new");
  assert.equal(
    (await open(fromNew, A, old)).ok,
    false,
    "old-only peers refuse",
  );
});

Deno.test("seal() without keys needs insecure_plaintext", async () => {
  await assert.rejects(
    () => seal(enc.encode("x"), A, { keys: [], allowPlaintext: false }),
    PeerAuthError,
  );
  const lab = await deriveKeyring([], true);
  const frame = await seal(enc.encode("{}"), A, lab);
  assert.equal(frame[0], 0);
  const res = await open(frame, A, lab);
  assert.ok(res.ok);
  assert.equal(dec.decode(res.value), "{}");
});

Deno.test("sealHeartbeat() round-trips through openHeartbeat()", async () => {
  const clock = new ManualClock();
  const r = await ring(KEY_NEW);
  const hb = heartbeat(clock, { isolated: true });
  const res = await openHeartbeat(await sealHeartbeat(hb, r), A, r);
  assert.ok(res.ok);
  assert.deepEqual({ ...res.value, view: { ...res.value.view } }, hb);
});

Deno.test("sealHeartbeat() compresses large views under 64 KiB", async () => {
  const clock = new ManualClock();
  const r = await ring(KEY_NEW);
  const hb = heartbeat(clock, { view: viewOf(1000) });
  const json = enc.encode(JSON.stringify(hb)).length;
  const frame = await sealHeartbeat(hb, r);
  assert.ok(frame.length < json / 3, `${frame.length} vs ${json}`);
  assert.ok(frame.length < 64 * 1024);
  const res = await openHeartbeat(frame, A, r);
  assert.ok(res.ok);
  assert.equal(Object.keys(res.value.view).length, 1000);
});

Deno.test("openHeartbeat() refuses bad plaintext and a sender mismatch", async () => {
  const clock = new ManualClock();
  const r = await ring(KEY_NEW);
  const gzipJunk = new Uint8Array([
    0x1f,
    0x8b,
    8,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    1,
    2,
    3,
  ]);
  const table: [string, Uint8Array, string][] = [
    ["not JSON", enc.encode("not json"), "bad_json"],
    ["not UTF-8", new Uint8Array([0xff, 0xfe, 0x7b]), "bad_json"],
    ["bad gzip", gzipJunk, "bad_encoding"],
    ["not a heartbeat", enc.encode('{"from":"x"}'), "bad_schema"],
    ["JSON array", enc.encode("[1,2]"), "bad_schema"],
    [
      "bad view entry",
      enc.encode(JSON.stringify(heartbeat(clock, {
        view: { "192.0.2.1": { verdict: "maybe", since: 0, consecutive: 0 } },
      } as never))),
      "bad_schema",
    ],
    [
      "from another node",
      enc.encode(JSON.stringify(heartbeat(clock, { from: "10.0.0.3:7947" }))),
      "sender_mismatch",
    ],
  ];
  for (const [name, plain, reason] of table) {
    const frame = await seal(plain, A, r);
    assert.deepEqual(await openHeartbeat(frame, A, r), {
      ok: false,
      error: reason,
    }, name);
  }
});

Deno.test("openHeartbeat() refuses a gzip bomb over 8 MiB", async () => {
  const r = await ring(KEY_NEW);
  const big = new Uint8Array(9 * 1024 * 1024).fill(32);
  const gz = new Uint8Array(
    await new Response(
      new Blob([big]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  assert.ok(gz.length < 64 * 1024);
  const res = await openHeartbeat(await seal(gz, A, r), A, r);
  assert.deepEqual(res, { ok: false, error: "bad_encoding" });
});

Deno.test("generateCryptoKey() returns 32 random bytes in base64", () => {
  const a = generateCryptoKey();
  const b = generateCryptoKey();
  assert.notEqual(a, b);
  assert.equal(atob(a).length, 32);
});

Deno.test("weakKeyWarning() flags short keys without echoing them", () => {
  assert.equal(weakKeyWarning(generateCryptoKey()), null);
  const w = weakKeyWarning("hunter2");
  assert.match(w ?? "", /7 characters/);
  assert.ok(!(w ?? "").includes("hunter2"));
});
