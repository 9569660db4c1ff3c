/**
 * `goavail status` against a status server it can or cannot reach: the
 * address it asks, the exit code, and a message that names the address.
 * The run against a real agent is in tests/e2e/status_command_test.ts.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { runStatus, statusUrl } from "../../lib/cli/status_command.ts";
import { fakeSnapshot, NOW_MS } from "../observe/fake_snapshot.ts";
import { freePort } from "../support/free_port.ts";

async function withConfig<T>(
  listen: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "goavail-status-" });
  const path = `${dir}/goavail.toml`;
  await Deno.writeTextFile(
    path,
    [
      `state_dir = ${JSON.stringify(`${dir}/state`)}`,
      "[cloudflare]",
      'dns_domain = "example.com"',
      'hostnames = ["www"]',
      'ip_addresses = ["192.0.2.1"]',
      "[status]",
      `listen = ${JSON.stringify(listen)}`,
      "",
    ].join("\n"),
  );
  try {
    return await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function run(path: string, fetchFn?: typeof fetch) {
  const out: string[] = [];
  const errs: string[] = [];
  return runStatus({
    configFile: path,
    write: (l) => out.push(l),
    writeErr: (l) => errs.push(l),
    color: false,
    fetch: fetchFn,
    now: () => NOW_MS,
    timeoutMs: 2000,
  }).then((code) => ({ code, out, errs }));
}

Deno.test("statusUrl() reaches wildcard listeners through loopback", () => {
  const table: [string, string | null][] = [
    ["127.0.0.1:8000", "http://127.0.0.1:8000/status"],
    [":8000", "http://127.0.0.1:8000/status"],
    ["0.0.0.0:8000", "http://127.0.0.1:8000/status"],
    ["[::]:8000", "http://[::1]:8000/status"],
    ["[::1]:9", "http://[::1]:9/status"],
    ["localhost:8000", "http://localhost:8000/status"],
    ["", null],
  ];
  for (const [listen, want] of table) assertEquals(statusUrl(listen), want);
});

Deno.test("runStatus() prints the agent's targets and exits 0", async () => {
  await withConfig("127.0.0.1:8123", async (path) => {
    const asked: string[] = [];
    const r = await run(path, (input) => {
      asked.push(String(input));
      return Promise.resolve(Response.json(fakeSnapshot()));
    });
    assertEquals(r.code, 0, r.errs.join("\n"));
    assertEquals(asked, ["http://127.0.0.1:8123/status"]);
    assertEquals(r.out.length, 4);
    assert(r.out[2]!.startsWith("default  192.0.2.1    up"), r.out[2]);
  });
});

Deno.test("runStatus() exits 1 naming the address when nothing listens", async () => {
  const port = freePort();
  await withConfig(`127.0.0.1:${port}`, async (path) => {
    const r = await run(path);
    assertEquals(r.code, 1);
    assertEquals(r.out, []);
    assertEquals(r.errs.length, 1);
    assert(
      r.errs[0]!.startsWith(
        `Cannot read the agent's status at http://127.0.0.1:${port}/status: `,
      ),
      r.errs[0],
    );
    assert(r.errs[0]!.includes('is "goavail monitor" running'), r.errs[0]);
  });
});

Deno.test("runStatus() exits 1 on an answer that is not a status document", async () => {
  await withConfig("127.0.0.1:8123", async (path) => {
    const table: [Response, string][] = [
      [new Response("nope", { status: 503 }), "HTTP 503 nope"],
      [new Response("<html>"), "the answer is not JSON"],
      [Response.json({ hello: 1 }), "not a goavail status document"],
    ];
    for (const [res, want] of table) {
      const r = await run(path, () => Promise.resolve(res));
      assertEquals(r.code, 1);
      assert(r.errs[0]!.includes(want), r.errs[0]);
    }
  });
});

Deno.test("runStatus() says the status server is off when listen is empty", async () => {
  await withConfig("", async (path) => {
    const r = await run(path, () => {
      throw new Error("must not be called");
    });
    assertEquals(r.code, 1);
    assert(r.errs[0]!.includes('[status] listen = ""'), r.errs[0]);
  });
});

Deno.test("runStatus() exits 2 when the config does not load", async () => {
  const r = await run("/nonexistent/goavail.toml");
  assertEquals(r.code, 2);
  assert(r.errs[0]!.includes('"/nonexistent/goavail.toml"'), r.errs[0]);
});
