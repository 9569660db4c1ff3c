/**
 * The fake Cloudflare API is as strict as the real one where goavail's
 * writes depend on it: batch order and edge states, the per-plan batch
 * size, comment and tag limits, and proxied TTL.
 */
import assert from "node:assert/strict";
import {
  type FakePlan,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

const WWW = "www.example.com";

async function withZone(
  plan: FakePlan,
  fn: (
    send: (path: string, body: unknown) => Promise<Response>,
    fake: ReturnType<typeof startFakeCloudflare>,
  ) => Promise<void>,
): Promise<void> {
  const fake = startFakeCloudflare({
    zones: [{
      id: "z1",
      name: "example.com",
      plan,
      records: [{ id: "r1", type: "A", name: WWW, content: "192.0.2.1" }],
    }],
  });
  const send = (path: string, body: unknown) =>
    fetch(`${fake.url}/zones/z1/dns_records${path}`, {
      method: "POST",
      headers: { authorization: "Bearer test-token" },
      body: JSON.stringify(body),
    });
  try {
    await fn(send, fake);
  } finally {
    await fake.close();
  }
}

const post = (content: string, extra: Record<string, unknown> = {}) => ({
  type: "A",
  name: WWW,
  content,
  ...extra,
});

Deno.test("startFakeCloudflare() runs a batch's deletes before its posts and records each edge state", async () => {
  await withZone("free", async (send, fake) => {
    const res = await send("/batch", {
      posts: [post("192.0.2.2")],
      deletes: [{ id: "r1" }],
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const states = fake.edgeHistory().map((s) => s.map((r) => r.content));
    assert.deepEqual(states, [["192.0.2.1"], [], ["192.0.2.2"]]);
    assert.equal(fake.minRecordsSeen(WWW, "A"), 0);
    assert.equal(fake.minRecordsSeen(WWW, "AAAA"), 0);
  });
});

Deno.test("startFakeCloudflare() refuses a batch over 200 operations on a Free zone and applies nothing", async () => {
  const posts = Array.from(
    { length: 201 },
    (_, i) => post(`198.51.100.${i % 250}`, { name: `h${i}.example.com` }),
  );
  await withZone("free", async (send, fake) => {
    const res = await send("/batch", { posts });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.match(body.errors[0].message, /at most 200 operations, got 201/);
    assert.equal(fake.edgeHistory().length, 1);
  });
  await withZone("pro", async (send) => {
    const res = await send("/batch", { posts });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

Deno.test("startFakeCloudflare() enforces a Free zone's comment length and tag quota", async () => {
  await withZone("free", async (send) => {
    const long = await send(
      "",
      post("192.0.2.3", { comment: "x".repeat(101) }),
    );
    assert.equal(long.status, 400);
    assert.equal((await long.json()).errors[0].code, 9313);
    const tagged = await send("", post("192.0.2.3", { tags: ["owner:ops"] }));
    assert.equal(tagged.status, 400);
    const err = (await tagged.json()).errors[0];
    assert.equal(err.code, 1004);
    assert.equal(err.error_chain[0].code, 9300);
    const plain = await send(
      "",
      post("192.0.2.3", { comment: "x".repeat(100) }),
    );
    assert.equal(plain.status, 200);
    await plain.body?.cancel();
  });
  await withZone("pro", async (send) => {
    const res = await send(
      "",
      post("192.0.2.3", { comment: "x".repeat(500), tags: ["owner:ops"] }),
    );
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

Deno.test("startFakeCloudflare() refuses a proxied record with a TTL other than automatic", async () => {
  await withZone("pro", async (send, fake) => {
    const bad = await send("", post("192.0.2.4", { proxied: true, ttl: 300 }));
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).errors[0].code, 1004);
    const ok = await send("", post("192.0.2.4", { proxied: true, ttl: 1 }));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(fake.state.recordsOf(WWW).length, 2);
  });
});
