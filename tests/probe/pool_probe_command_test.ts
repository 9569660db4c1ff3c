/**
 * `goavail probe --pool` (lib/probe/pool_probe_command.ts): a pool's own
 * check — its port, path, Host header, expected status and body — decides
 * each line, over loopback servers only.
 * @module
 */
import assert from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import type { PoolConfig } from "../../lib/config/types.ts";
import {
  poolProbeTargets,
  runPoolProbeCommand,
} from "../../lib/probe/pool_probe_command.ts";
import { closedPort, serve } from "./http_fixture.ts";

function poolOf(check: string, name = "web"): PoolConfig {
  const r = loadConfigText(`interval = 1
[[pool]]
name = "web"
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["127.0.0.1", "::1"]
backup_ips = ["2001:db8::7"]
${check}
`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const pool = r.value.config.pools?.find((p) => p.name === name);
  assert.ok(pool, name);
  return pool;
}

const noSockets = () => {
  throw new Error("no ICMP here");
};

Deno.test("poolProbeTargets() lists a pool's IPs, then its backups", () => {
  assert.deepEqual(poolProbeTargets(poolOf("")), [
    "127.0.0.1",
    "::1",
    "2001:db8::7",
  ]);
});

Deno.test("runPoolProbeCommand() checks with the pool's path, Host, status and body", async () => {
  const server = serve((req) =>
    new URL(req.url).pathname === "/healthz"
      ? new Response("all ok")
      : new Response("nope", { status: 503 })
  );
  try {
    const run = async (check: string) => {
      const lines: string[] = [];
      const code = await runPoolProbeCommand({
        pool: poolOf(check),
        targets: ["127.0.0.1"],
        count: 2,
        intervalMs: 50,
        openSockets: noSockets,
        write: (l) => lines.push(l),
      });
      return { code, lines };
    };
    const check = (extra: string) =>
      `[pool.check]\ntype = "http"\nport = ${server.port}\npath = "/healthz"\nhost = "www.example.com"\n${extra}`;
    const ok = await run(check('expect_body = "ok"'));
    assert.equal(ok.code, 0, ok.lines.join("\n"));
    assert.match(
      ok.lines[0]!,
      /^127\.0\.0\.1 : xmt\/rcv\/%loss = 2\/2\/0%.*status 200$/,
    );
    assert.equal(
      server.requests.at(-1)?.host,
      `www.example.com:${server.port}`,
    );
    const body = await run(check('expect_body = "ready"'));
    assert.equal(body.code, 1);
    assert.match(body.lines[0]!, /2\/0\/100%, status 200, last failure: /);
    const status = await run(check("expect_status = [204]"));
    assert.equal(status.code, 1);
  } finally {
    await server.close();
  }
});

Deno.test("runPoolProbeCommand() connects to a TCP pool's port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  try {
    const run = async (port: number) => {
      const lines: string[] = [];
      const code = await runPoolProbeCommand({
        pool: poolOf(`[pool.check]\ntype = "tcp"\nport = ${port}`),
        targets: ["127.0.0.1"],
        count: 2,
        intervalMs: 50,
        openSockets: noSockets,
        write: (l) => lines.push(l),
      });
      return { code, lines };
    };
    const open = await run(listener.addr.port);
    assert.equal(open.code, 0, open.lines.join("\n"));
    assert.match(open.lines[0]!, /^127\.0\.0\.1 : xmt\/rcv\/%loss = 2\/2\/0%/);
    const closed = await run(await closedPort());
    assert.equal(closed.code, 1);
    assert.match(closed.lines[0]!, /2\/0\/100%$/);
  } finally {
    listener.close();
    await accepting;
  }
});
