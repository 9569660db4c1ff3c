/**
 * The control endpoint (lib/agent/control.ts): refuses anything not on its
 * Unix socket, answers bad input with a clear 4xx, survives a failing
 * agent, and serves `goavail drain`/`undrain` over a real socket.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  controlSocketPath,
  type ControlTarget,
  createControlHandler,
  serveControl,
} from "../../lib/agent/control.ts";
import type { DrainEntry } from "../../lib/cluster/drain_book.ts";
import { runDrain } from "../../lib/cli/drain_command.ts";
import { silentLogger } from "../../lib/observe/log.ts";

const UNIX: { remoteAddr: Deno.Addr } = {
  remoteAddr: { transport: "unix", path: "/x/control.sock" },
};

function fakeTarget(
  fail = false,
  pools: [string, string[]][] = [["default", ["192.0.2.1", "2001:db8::1"]]],
) {
  const calls: [string, string, boolean, string | null][] = [];
  const target: ControlTarget = {
    pools: () => new Map(pools),
    setDrain(pool, ip, drained, reason) {
      calls.push([pool, ip, drained, reason]);
      if (fail) return Promise.reject(new Error("disk full"));
      const e: DrainEntry = {
        pool,
        ip,
        drained,
        reason,
        v: 1,
        by: "local",
        at: 0,
      };
      return Promise.resolve(e);
    },
  };
  return { target, calls };
}

const post = (path: string, body: unknown) =>
  new Request(`http://localhost${path}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

Deno.test("createControlHandler() refuses requests that did not come over its Unix socket", async () => {
  const { target, calls } = fakeTarget();
  const handle = createControlHandler(target, silentLogger);
  for (
    const remoteAddr of [
      { transport: "tcp", hostname: "127.0.0.1", port: 1 },
      { transport: "tcp", hostname: "203.0.113.9", port: 1 },
      { transport: "udp", hostname: "::1", port: 1 },
    ] as Deno.Addr[]
  ) {
    const res = await handle(post("/drain", { ip: "192.0.2.1" }), {
      remoteAddr,
    });
    assertEquals(res.status, 403);
    assert((await res.json()).error.includes("only on its Unix socket"));
  }
  assertEquals(calls, []);
});

Deno.test("createControlHandler() answers bad input with a 4xx that says what is wrong", async () => {
  const { target, calls } = fakeTarget();
  const handle = createControlHandler(target, silentLogger);
  const table: [Request, number, string][] = [
    [post("/nope", {}), 404, 'Unknown path "/nope"'],
    [new Request("http://localhost/drain"), 405, "takes POST, got GET"],
    [post("/drain", "{not json"), 400, "must be JSON"],
    [post("/drain", [1]), 400, 'JSON object with "ip"'],
    [post("/drain", { ip: "192.0.2.1", x: 1 }), 400, 'Unknown field "x"'],
    [
      post("/drain", { ip: "www" }),
      400,
      '"ip" must be an IPv4 or IPv6 address, got "www"',
    ],
    [post("/drain", { ip: 7 }), 400, "got 7"],
    [
      post("/drain", { ip: "192.0.2.9" }),
      400,
      '192.0.2.9 is not an IP of pool "default" (its IPs: 192.0.2.1, 2001:db8::1)',
    ],
    [
      post("/drain", { ip: "192.0.2.1", pool: "web" }),
      400,
      'No pool "web"; the pools are: "default"',
    ],
    [
      post("/drain", { ip: "192.0.2.1", reason: "a\nb" }),
      400,
      '"reason" must be one line',
    ],
    [
      post("/drain", { ip: "192.0.2.1", reason: "x".repeat(201) }),
      400,
      "at most 200 characters",
    ],
    [
      post("/undrain", { ip: "192.0.2.1", reason: "x" }),
      400,
      '"reason" is for drain only',
    ],
    [
      post("/drain", { ip: "192.0.2.1", reason: "x".repeat(5000) }),
      413,
      "over 4096 bytes",
    ],
  ];
  for (const [req, status, words] of table) {
    const res = await handle(req, UNIX);
    const body = await res.json();
    assertEquals(res.status, status, JSON.stringify(body));
    assert(body.error.includes(words), `${body.error} lacks ${words}`);
  }
  assertEquals(calls, []);
});

Deno.test("createControlHandler() drains canonical IPs and reports a failing agent as a 500", async () => {
  const { target, calls } = fakeTarget();
  const handle = createControlHandler(target, silentLogger);
  const ok = await handle(
    post("/drain", { ip: "2001:DB8:0::1", reason: "kernel upgrade" }),
    UNIX,
  );
  assertEquals(ok.status, 200);
  assertEquals((await ok.json()).ip, "2001:db8::1");
  await handle(post("/undrain", { ip: "192.0.2.1", pool: "default" }), UNIX);
  assertEquals(calls, [
    ["default", "2001:db8::1", true, "kernel upgrade"],
    ["default", "192.0.2.1", false, null],
  ]);
  const failing = createControlHandler(fakeTarget(true).target, silentLogger);
  const res = await failing(post("/drain", { ip: "192.0.2.1" }), UNIX);
  assertEquals(res.status, 500);
  assertEquals(
    (await res.json()).error,
    "The agent could not do it: disk full",
  );
});

Deno.test('createControlHandler() without "pool" means default, else the one pool that has the IP', async () => {
  const { target, calls } = fakeTarget(false, [
    ["web", ["192.0.2.1", "192.0.2.2"]],
    ["api", ["192.0.2.2", "192.0.2.3"]],
  ]);
  const handle = createControlHandler(target, silentLogger);
  assertEquals(
    (await handle(post("/drain", { ip: "192.0.2.3" }), UNIX)).status,
    200,
  );
  const both = await handle(post("/drain", { ip: "192.0.2.2" }), UNIX);
  assertEquals(both.status, 400);
  assertEquals(
    (await both.json()).error,
    '192.0.2.2 is in pools "web", "api": say which with --pool',
  );
  const none = await handle(post("/drain", { ip: "192.0.2.9" }), UNIX);
  assertEquals(
    (await none.json()).error,
    '192.0.2.9 is in no pool; the pools are: "web", "api"',
  );
  await handle(post("/drain", { ip: "192.0.2.2", pool: "api" }), UNIX);
  assertEquals(calls, [
    ["api", "192.0.2.3", true, null],
    ["api", "192.0.2.2", true, null],
  ]);
});

Deno.test("serveControl() serves goavail drain/undrain on an owner-only socket, refusing a file in its way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-control-" });
  const config = `${dir}/goavail.toml`;
  await Deno.writeTextFile(
    config,
    `state_dir = ${
      JSON.stringify(dir)
    }\n[cloudflare]\ndns_domain = "example.com"\nhostnames = ["www"]\nip_addresses = ["192.0.2.1"]\n`,
  );
  const path = controlSocketPath(dir);
  const { target, calls } = fakeTarget();
  const handler = createControlHandler(target, silentLogger);
  const out: string[] = [];
  const errs: string[] = [];
  const run = (drain: boolean, ip: string, reason?: string) =>
    runDrain({
      configFile: config,
      drain,
      ip,
      reason,
      write: (l) => out.push(l),
      writeErr: (l) => errs.push(l),
    });
  try {
    assertEquals(await run(true, "192.0.2.1"), 1);
    assert(
      errs[0]!.includes(`Cannot reach the agent's control socket "${path}"`),
      errs[0],
    );
    await Deno.writeTextFile(path, "not a socket");
    await serveControl(path, handler).then(
      () => assert(false, "a file in the way must be refused"),
      (e) =>
        assert(String(e).includes("exists and is not a socket"), String(e)),
    );
    await Deno.remove(path);
    const server = await serveControl(path, handler);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(
      await run(true, "192.0.2.1", "maintenance"),
      0,
      errs.join("\n"),
    );
    assert(
      out[0]!.startsWith(
        '192.0.2.1 drained in pool "default" (reason: maintenance)',
      ),
      out[0],
    );
    assertEquals(await run(true, "192.0.2.7"), 1);
    assert(
      errs.at(-1)!.includes(
        "The agent refused to drain 192.0.2.7: 192.0.2.7 is not an IP",
      ),
      errs.at(-1),
    );
    assertEquals(await run(false, "192.0.2.1"), 0);
    assertEquals(calls, [
      ["default", "192.0.2.1", true, "maintenance"],
      ["default", "192.0.2.1", false, null],
    ]);
    await server.close();
    await Deno.lstat(path).then(
      () => assert(false, "the socket file should be gone"),
      (e) => assert(e instanceof Deno.errors.NotFound),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveControl() replaces the stale socket an agent that crashed left behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-control-" });
  const path = controlSocketPath(dir);
  try {
    // A process that exits without closing leaves its socket file.
    const crashed = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ path: ${
          JSON.stringify(path)
        }, transport: "unix" }); Deno.exit(0);`,
      ],
    }).output();
    assert(crashed.success);
    assert((await Deno.lstat(path)).isSocket, "the stale socket is there");
    const { target, calls } = fakeTarget();
    const server = await serveControl(
      path,
      createControlHandler(target, silentLogger),
    );
    try {
      const client = Deno.createHttpClient({
        proxy: { transport: "unix", path },
      });
      const res = await fetch("http://localhost/drain", {
        method: "POST",
        body: JSON.stringify({ ip: "192.0.2.1" }),
        client,
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      client.close();
      assertEquals(calls, [["default", "192.0.2.1", true, null]]);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
