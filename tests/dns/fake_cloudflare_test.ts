/**
 * The fake Cloudflare API itself: the script mode other processes use, the
 * admin endpoints, batch atomicity and the never-empty tracker.
 */
import assert from "node:assert/strict";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (let i = 0; i < 100 && !text.includes("\n"); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.split("\n")[0] ?? "";
}

Deno.test("startFakeCloudflare() script mode serves a setup file and the admin endpoints", async () => {
  const dir = await Deno.makeTempDir();
  const setup = `${dir}/setup.json`;
  await Deno.writeTextFile(
    setup,
    JSON.stringify({
      token: "t-123456",
      zones: [{
        id: "z1",
        name: "example.com",
        records: [{ type: "A", name: "www.example.com", content: "192.0.2.1" }],
      }],
    }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}tests/support/fake_cloudflare.ts`,
      setup,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const { url, port } = JSON.parse(await firstLine(child.stdout));
    assert.ok(port > 0);
    const admin = `http://127.0.0.1:${port}`;
    const headers = { authorization: "Bearer t-123456" };
    const ok = await fetch(
      `${url}/zones/z1/dns_records?name.exact=www.example.com`,
      { headers },
    );
    const body = await ok.json();
    assert.equal(body.success, true);
    assert.equal(body.result.length, 1);
    await (await fetch(`${admin}/__faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "status", status: 503 }),
    })).body?.cancel();
    const failed = await fetch(`${url}/zones/z1/dns_records`, { headers });
    assert.equal(failed.status, 503);
    await failed.body?.cancel();
    const audit = await (await fetch(`${admin}/__audit`)).json();
    assert.deepEqual(audit.audit.map((e: { status: number }) => e.status), [
      200,
      503,
    ]);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startFakeCloudflare() applies a batch all or nothing", async () => {
  const fake = startFakeCloudflare({
    zones: [{
      id: "z1",
      name: "example.com",
      records: [{
        id: "r1",
        type: "A",
        name: "www.example.com",
        content: "192.0.2.1",
      }],
    }],
  });
  try {
    const res = await fetch(`${fake.url}/zones/z1/dns_records/batch`, {
      method: "POST",
      headers: { authorization: "Bearer test-token" },
      body: JSON.stringify({
        deletes: [{ id: "r1" }],
        posts: [{ type: "A", name: "www.example.com", content: "192.0.2.2" }, {
          type: "A",
          name: "www.example.com",
          content: "192.0.2.2",
        }],
      }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).errors[0].code, 81058);
    assert.deepEqual(fake.state.recordsOf("www.example.com").map((r) => r.id), [
      "r1",
    ]);
    fake.assertNeverEmpty();
  } finally {
    await fake.close();
  }
});

Deno.test("startFakeCloudflare() rejects an unknown token (401 10000), a malformed one (400 6003 [6111]) and tracks emptied names", async () => {
  const fake = startFakeCloudflare({
    zones: [{
      id: "z1",
      name: "example.com",
      records: [{
        id: "r1",
        type: "A",
        name: "www.example.com",
        content: "192.0.2.1",
      }],
    }],
  });
  try {
    const denied = await fetch(`${fake.url}/zones`, {
      headers: { authorization: `Bearer ${"n".repeat(40)}` },
    });
    assert.equal(denied.status, 401);
    assert.equal((await denied.json()).errors[0].code, 10000);
    const malformed = await fetch(`${fake.url}/zones`, {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(malformed.status, 400);
    assert.deepEqual((await malformed.json()).errors, [{
      code: 6003,
      message: "Invalid request headers",
      error_chain: [{
        code: 6111,
        message: "Invalid format for Authorization header",
      }],
    }]);
    const del = await fetch(`${fake.url}/zones/z1/dns_records/r1`, {
      method: "DELETE",
      headers: { authorization: "Bearer test-token" },
    });
    assert.equal((await del.json()).result.id, "r1");
    assert.throws(() => fake.assertNeverEmpty(), /www\.example\.com/);
  } finally {
    await fake.close();
  }
});

Deno.test("startFakeCloudflare() lists every zone of a name with its status and account, and filters by status", async () => {
  const fake = startFakeCloudflare({
    zones: [
      { id: "zp", name: "example.com", status: "pending" },
      { id: "za", name: "example.com", account: { id: "acc", name: "A" } },
    ],
  });
  try {
    const get = async (path: string) =>
      await (await fetch(`${fake.url}${path}`, {
        headers: { authorization: "Bearer test-token" },
      })).json();
    const all = await get("/zones?name=example.com");
    assert.deepEqual(
      all.result.map((z: { id: string; status: string }) =>
        `${z.id} ${z.status}`
      ),
      ["zp pending", "za active"],
    );
    assert.deepEqual(all.result[1].account, { id: "acc", name: "A" });
    const active = await get("/zones?name=example.com&status=active");
    assert.deepEqual(active.result.map((z: { id: string }) => z.id), ["za"]);
    assert.equal((await get("/zones/zp")).result.status, "pending");
  } finally {
    await fake.close();
  }
});
