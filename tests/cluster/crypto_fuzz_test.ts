/**
 * Property tests: random and mutated frames never open as a heartbeat they
 * are not, never throw, and replays are never accepted twice.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Bytes,
  openHeartbeat,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import { createPeerApp } from "../../lib/cluster/server.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import {
  A,
  A_IP,
  C,
  heartbeat,
  KEY_NEW,
  KEY_OLD,
  receiverB,
  ring,
  viewOf,
} from "./fixtures.ts";

const RUNS = 100_000;
const SENDERS = [A, C, "10.0.0.2:7947", "", "10.0.0.1:7948", "[::1]:7947"];

interface Genuine {
  frame: Bytes;
  sender: string;
}

async function genuineFrames(clock: ManualClock): Promise<Genuine[]> {
  const rings = [await ring(KEY_NEW), await ring(KEY_OLD)];
  const out: Genuine[] = [];
  for (let i = 0; i < 8; i++) {
    const from = i % 3 === 2 ? C : A;
    const hb = heartbeat(clock, { from, seq: i + 1, view: viewOf(i * 40) });
    out.push({ frame: await sealHeartbeat(hb, rings[i % 2]!), sender: from });
  }
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16)).join(",");

/** A frame and claimed sender built from genuine ones by one mutation. */
function mutation(g: Genuine[]): fc.Arbitrary<Genuine> {
  const pick = fc.nat({ max: g.length - 1 }).map((i) => g[i]!);
  const sender = fc.oneof(fc.constantFrom(...SENDERS), fc.string());
  const copy = (f: Uint8Array) => new Uint8Array(f) as Bytes;
  return fc.oneof(
    // bit flips anywhere
    fc.tuple(
      pick,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), {
        minLength: 1,
        maxLength: 6,
      }),
    ).map(([x, flips]) => {
      const f = copy(x.frame);
      for (const [p, bit] of flips) f[p % f.length]! ^= 1 << bit;
      return { frame: f, sender: x.sender };
    }),
    // truncation
    fc.tuple(pick, fc.nat()).map(([x, n]) => ({
      frame: copy(x.frame.subarray(0, n % x.frame.length)),
      sender: x.sender,
    })),
    // extension
    fc.tuple(pick, fc.uint8Array({ minLength: 1, maxLength: 40 })).map((
      [x, tail],
    ) => ({
      frame: copy(new Uint8Array([...x.frame, ...tail])),
      sender: x.sender,
    })),
    // header of one frame, body of another (swapped key id / nonce)
    fc.tuple(pick, pick, fc.nat({ max: 14 })).map(([x, y, cut]) => {
      const f = copy(
        new Uint8Array([
          ...x.frame.subarray(0, cut),
          ...y.frame.subarray(cut),
        ]),
      );
      return { frame: f, sender: x.sender };
    }),
    // a genuine frame claimed by another sender (swapped `from` header)
    fc.tuple(pick, sender).map(([x, s]) => ({ frame: x.frame, sender: s })),
    // version / key id bytes rewritten
    fc.tuple(pick, fc.nat({ max: 255 }), fc.nat({ max: 255 })).map((
      [x, v, k],
    ) => {
      const f = copy(x.frame);
      f[0] = v;
      f[1] = k;
      return { frame: f, sender: x.sender };
    }),
    // random bytes
    fc.tuple(fc.uint8Array({ maxLength: 300 }), sender).map(([f, s]) => ({
      frame: copy(f),
      sender: s,
    })),
    // exact replays of genuine frames (they must open: replay is the
    // receiver's job, tested below)
    pick,
  );
}

Deno.test("openHeartbeat() accepts no forged frame among 100,000 mutations", async () => {
  const clock = new ManualClock();
  const g = await genuineFrames(clock);
  const genuine = new Set(g.map((x) => `${x.sender}|${hex(x.frame)}`));
  const keys = await ring(KEY_NEW, KEY_OLD);
  let opened = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(mutation(g), async ({ frame, sender }) => {
      const r = await openHeartbeat(frame, sender, keys);
      if (r.ok) {
        opened++;
        assert.ok(genuine.has(`${sender}|${hex(frame)}`), "forgery accepted");
        assert.equal(r.value.from, sender);
      } else refused++;
    }),
    { numRuns: RUNS },
  );
  assert.equal(opened + refused, RUNS);
  assert.ok(refused > RUNS * 0.8, `refused ${refused}`);
});

Deno.test("Membership.receive() never accepts a replayed or reordered frame twice", async () => {
  const clock = new ManualClock();
  const keys = await ring(KEY_NEW);
  const frames: Bytes[] = [];
  for (let seq = 1; seq <= 12; seq++) {
    frames.push(await sealHeartbeat(heartbeat(clock, { seq }), keys));
  }
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat({ max: frames.length - 1 }), { maxLength: 30 }),
      async (order) => {
        const { m } = await receiverB();
        const accepted: number[] = [];
        for (const i of order) {
          const r = await m.receive(frames[i]!, A, A_IP);
          if (r.ok) accepted.push(r.value.seq);
        }
        for (let k = 1; k < accepted.length; k++) {
          assert.ok(accepted[k]! > accepted[k - 1]!, `order ${order}`);
        }
        const refusals = m.rejections.total();
        assert.equal(refusals, order.length - accepted.length);
        assert.equal(m.rejections.get("replay"), refusals);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("createPeerApp() answers 2,000 mutated requests with 204 or 4xx only", async () => {
  const { m, clock } = await receiverB();
  const app = createPeerApp(m);
  const g = (await genuineFrames(clock)).filter((x) => x.sender === A);
  const samples = fc.sample(mutation(g), { numRuns: 2000, seed: 42 });
  const seen = new Set<string>();
  let ok = 0;
  for (const { frame, sender } of samples) {
    const headers: Record<string, string> = {};
    if (sender !== "" && /^[\x20-\x7e]*$/.test(sender)) {
      headers["x-goavail-from"] = sender;
    }
    const res = await app.request("/v1/heartbeat", {
      method: "POST",
      body: frame,
      headers,
    }, { remoteAddr: A_IP });
    await res.body?.cancel();
    if (res.status === 204) {
      ok++;
      const key = hex(frame);
      assert.ok(!seen.has(key), "a frame accepted twice");
      seen.add(key);
      assert.ok(g.some((x) => hex(x.frame) === key), "forgery accepted");
    } else {
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    }
  }
  assert.equal(m.rejections.total() + ok, samples.length);
});
