import assert from "node:assert/strict";
import { parseCheckUrl } from "../../lib/probe/check_url.ts";
import {
  formatHttpSummary,
  runHttpProbeCommand,
} from "../../lib/probe/http_probe_command.ts";
import type { Observation } from "../../lib/probe/types.ts";
import { closedPort, serve } from "./http_fixture.ts";

function url(text: string) {
  const parsed = parseCheckUrl(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const SUMMARY =
  / : xmt\/rcv\/%loss = 2\/2\/0%, min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+, status 200$/;

Deno.test("formatHttpSummary() adds the statuses seen and the last failure", () => {
  assert.equal(
    formatHttpSummary("127.0.0.1", 9, {
      xmt: 3,
      rtts: [412, 488],
      statuses: [200, 503, 200],
      lastFailure: "status 503",
    }),
    "127.0.0.1 : xmt/rcv/%loss = 3/2/33%, min/avg/max = 0.412/0.450/0.488, " +
      "status 200/503, last failure: status 503",
  );
  assert.equal(
    formatHttpSummary("::1", 9, {
      xmt: 2,
      rtts: [],
      statuses: [],
      lastFailure: "ECONNREFUSED",
    }),
    "::1       : xmt/rcv/%loss = 2/0/100%, status -, last failure: ECONNREFUSED",
  );
});

Deno.test("runHttpProbeCommand() prints one line per target with the status", async () => {
  const v4 = serve((r) =>
    new Response("", { status: new URL(r.url).pathname === "/" ? 200 : 503 })
  );
  const v6 = serve(() => new Response("ok"), { hostname: "::1" });
  const lines: string[] = [];
  try {
    // one port for both families is not guaranteed: check each on its own
    const ok = await runHttpProbeCommand({
      check: url(`http://www.example.com:${v4.port}/`),
      targets: ["127.0.0.1"],
      count: 2,
      intervalMs: 20,
      timeoutMs: 1000,
      write: (l) => lines.push(l),
    });
    assert.equal(ok, 0);
    assert.match(
      lines[0] ?? "",
      new RegExp("^127\\.0\\.0\\.1" + SUMMARY.source),
    );
    assert.deepEqual(v4.requests.map((r) => r.host), [
      `www.example.com:${v4.port}`,
      `www.example.com:${v4.port}`,
    ]);
    const ok6 = await runHttpProbeCommand({
      check: url(`http://[::1]:${v6.port}/`),
      targets: ["::1"],
      count: 2,
      intervalMs: 20,
      timeoutMs: 1000,
      write: (l) => lines.push(l),
    });
    assert.equal(ok6, 0);
    assert.match(lines[1] ?? "", new RegExp("^::1" + SUMMARY.source));
    const failing = await runHttpProbeCommand({
      check: url(`http://www.example.com:${v4.port}/drain`),
      targets: ["127.0.0.1"],
      count: 2,
      intervalMs: 20,
      timeoutMs: 1000,
      write: (l) => lines.push(l),
    });
    assert.equal(failing, 1);
    assert.equal(
      lines[2],
      "127.0.0.1 : xmt/rcv/%loss = 2/0/100%, status 503, last failure: status 503",
    );
  } finally {
    await v4.close();
    await v6.close();
  }
});

Deno.test("runHttpProbeCommand() aligns targets and reports failures per target", async () => {
  const port = closedPort();
  const lines: string[] = [];
  const code = await runHttpProbeCommand({
    check: url(`http://www.example.com:${port}/`),
    targets: ["127.0.0.1", "::1"],
    count: 1,
    intervalMs: 20,
    timeoutMs: 1000,
    write: (l) => lines.push(l),
  });
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    "127.0.0.1 : xmt/rcv/%loss = 1/0/100%, status -, last failure: ECONNREFUSED",
    "::1       : xmt/rcv/%loss = 1/0/100%, status -, last failure: ECONNREFUSED",
  ]);
});

Deno.test("runHttpProbeCommand() labels timeouts and local faults", async () => {
  const outcomes: Record<string, Partial<Observation>> = {
    "192.0.2.1": { fault: "timeout" },
    "192.0.2.2": { fault: "local", detail: "EADDRNOTAVAIL" },
  };
  const lines: string[] = [];
  const code = await runHttpProbeCommand({
    check: url("http://www.example.com/"),
    targets: Object.keys(outcomes),
    count: 1,
    intervalMs: 20,
    timeoutMs: 1000,
    write: (l) => lines.push(l),
    runCheck: (ip) =>
      Promise.resolve({
        ip,
        ok: false,
        rttMicros: null,
        at: 0,
        ...outcomes[ip],
      }),
  });
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    "192.0.2.1 : xmt/rcv/%loss = 1/0/100%, status -, last failure: timeout",
    "192.0.2.2 : xmt/rcv/%loss = 1/0/100%, status -, last failure: EADDRNOTAVAIL (local fault)",
  ]);
});

Deno.test("runHttpProbeCommand() returns 2 for a target that is not an IP address", async () => {
  const lines: string[] = [];
  const code = await runHttpProbeCommand({
    check: url("http://www.example.com/"),
    targets: ["www.example.com"],
    count: 1,
    intervalMs: 20,
    timeoutMs: 1000,
    write: (l) => lines.push(l),
    runCheck: () => {
      throw new Error("must not check");
    },
  });
  assert.equal(code, 2);
  assert.deepEqual(lines, ["www.example.com: not an IP address"]);
});
