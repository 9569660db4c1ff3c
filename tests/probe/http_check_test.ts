import assert from "node:assert/strict";
import {
  BODY_LIMIT,
  bodyContains,
  contains,
  hostHeader,
  type HttpCheckSpec,
  runHttpCheck,
  statusMatches,
} from "../../lib/probe/http_check.ts";
import type { Observation } from "../../lib/probe/types.ts";
import {
  closedPort,
  serve,
  silentListener,
  sniOf,
  spec,
  TEST_CERT,
} from "./http_fixture.ts";

/** Routes of the plain test server. */
function route(req: Request): Response {
  const path = new URL(req.url).pathname;
  switch (path) {
    case "/ok":
      return new Response("all good: ok\n");
    case "/unavailable":
      return new Response("ok, but draining", { status: 503 });
    case "/no-content":
      return new Response(null, { status: 204 });
    case "/moved":
      return new Response(null, {
        status: 302,
        headers: { location: "/redirected" },
      });
    case "/large": // the marker starts one byte past the 64 KiB read
      return new Response("a".repeat(BODY_LIMIT - 1) + "MARKER");
    case "/edge": // the marker ends exactly at the 64 KiB limit
      return new Response(
        "a".repeat(BODY_LIMIT - 6) + "MARKER" + "b".repeat(9),
      );
    case "/endless": // never ends: the check must stop reading by itself
      return new Response(
        new ReadableStream({
          pull: (c) => c.enqueue(new Uint8Array(16 * 1024).fill(97)),
        }),
      );
    default:
      return new Response("not found", { status: 404 });
  }
}

interface Case {
  name: string;
  over: Partial<HttpCheckSpec>;
  want: Partial<Observation>;
}

const cases: Case[] = [
  {
    name: "200 passes by default",
    over: { path: "/ok" },
    want: { ok: true, status: 200 },
  },
  {
    name: "503 fails by default, not as a timeout",
    over: { path: "/unavailable" },
    want: { ok: false, status: 503, detail: "status 503" },
  },
  {
    name: "expect_status accepts a listed 503",
    over: { path: "/unavailable", expectStatus: [503] },
    want: { ok: true, status: 503 },
  },
  {
    name: "expect_status refuses an unlisted 204",
    over: { path: "/no-content", expectStatus: [200] },
    want: { ok: false, status: 204, detail: "status 204" },
  },
  {
    name: "a redirect passes by default as a 3xx",
    over: { path: "/moved" },
    want: { ok: true, status: 302 },
  },
  {
    name: "a redirect is not followed: expect_status 200 fails on the 302",
    over: { path: "/moved", expectStatus: [200] },
    want: { ok: false, status: 302, detail: "status 302" },
  },
  {
    name: "404 fails by default",
    over: { path: "/missing" },
    want: { ok: false, status: 404, detail: "status 404" },
  },
  {
    name: "expect_body found",
    over: { path: "/ok", expectBody: "ok\n" },
    want: { ok: true, status: 200 },
  },
  {
    name: "expect_body missing",
    over: { path: "/ok", expectBody: "healthy" },
    want: { ok: false, status: 200, detail: "body mismatch" },
  },
  {
    name: "expect_body beyond the first 64 KiB is not found",
    over: { path: "/large", expectBody: "MARKER" },
    want: { ok: false, status: 200, detail: "body mismatch" },
  },
  {
    name: "expect_body ending at byte 65536 is found",
    over: { path: "/edge", expectBody: "MARKER" },
    want: { ok: true, status: 200 },
  },
  {
    name: "an endless body is read only up to 64 KiB",
    over: { path: "/endless", expectBody: "MARKER" },
    want: { ok: false, status: 200, detail: "body mismatch" },
  },
  {
    name: "status is checked before the body",
    over: { path: "/unavailable", expectBody: "ok" },
    want: { ok: false, status: 503, detail: "status 503" },
  },
];

/** The fields of `o` that `want` names. */
function pick(
  o: Observation,
  want: Partial<Observation>,
): Partial<Observation> {
  return Object.fromEntries(
    Object.keys(want).map((k) => [k, o[k as keyof Observation]]),
  );
}

Deno.test("runHttpCheck() matches status and body over http", async (t) => {
  const server = serve(route);
  try {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const o = await runHttpCheck(
          "127.0.0.1",
          spec({ port: server.port, ...c.over }),
        );
        assert.deepEqual(pick(o, c.want), c.want);
        assert.equal(o.ip, "127.0.0.1");
        assert.equal(o.fault, undefined);
        if (o.ok) assert.ok(o.rttMicros !== null && o.rttMicros > 0);
        else assert.equal(o.rttMicros, null);
      });
    }
    assert.equal(server.requests.length, cases.length);
    assert.ok(
      server.requests.every((r) => r.path !== "/redirected"),
      "no redirect was followed",
    );
  } finally {
    await server.close();
  }
});

Deno.test("runHttpCheck() connects to the IP and sends the check's Host and path", async () => {
  const server = serve(() => new Response("ok"));
  try {
    const o = await runHttpCheck(
      "127.0.0.1",
      spec({ port: server.port, path: "/healthz?probe=1" }),
    );
    assert.equal(o.ok, true);
    assert.deepEqual(server.requests, [{
      path: "/healthz?probe=1",
      host: `www.example.com:${server.port}`,
    }]);
  } finally {
    await server.close();
  }
});

Deno.test("runHttpCheck() opens a fresh connection for every check", async (t) => {
  const server = serve(() => new Response("ok"), { tls: true });
  try {
    for (const scheme of ["http", "https"] as const) {
      await t.step(scheme, async () => {
        const plain = scheme === "http"
          ? serve(() => new Response("ok"))
          : null;
        const port = plain?.port ?? server.port;
        try {
          for (let i = 0; i < 3; i++) {
            const o = await runHttpCheck(
              "127.0.0.1",
              spec({ scheme, port, tlsVerify: false }),
            );
            assert.equal(o.ok, true);
          }
          const ports = (plain ?? server).clientPorts.slice(-3);
          assert.equal(new Set(ports).size, 3, `client ports ${ports}`);
        } finally {
          await plain?.close();
        }
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("runHttpCheck() ignores proxies from the environment", async (t) => {
  // fetch would follow HTTP_PROXY/ALL_PROXY; Deno's node layer follows them
  // when NODE_USE_ENV_PROXY=1, read at startup: so a fresh process checks.
  const target = serve(() => new Response("target"));
  const proxy = serve(() => new Response("proxy"));
  const check = new URL("../../lib/probe/http_check.ts", import.meta.url).href;
  try {
    for (const useEnv of ["0", "1"]) {
      await t.step(`NODE_USE_ENV_PROXY=${useEnv}`, async () => {
        const code = `
          import { runHttpCheck } from "${check}";
          const o = await runHttpCheck("127.0.0.1", {
            scheme: "http", host: "www.example.com", port: ${target.port},
            path: "/", expectStatus: null, expectBody: "target",
            timeoutMs: 2000, tlsVerify: true,
          });
          Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(o)));`;
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["eval", code],
          env: {
            HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
            ALL_PROXY: `http://127.0.0.1:${proxy.port}`,
            NODE_USE_ENV_PROXY: useEnv,
          },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        assert.equal(JSON.parse(text).ok, true, text);
      });
    }
    assert.equal(proxy.requests.length, 0);
    assert.equal(target.requests.length, 2);
  } finally {
    await target.close();
    await proxy.close();
  }
});

Deno.test("runHttpCheck() checks an IPv6 target", async (t) => {
  for (const scheme of ["http", "https"] as const) {
    await t.step(scheme, async () => {
      const server = serve(() => new Response("ok"), {
        hostname: "::1",
        tls: scheme === "https",
      });
      try {
        const o = await runHttpCheck(
          "0:0:0:0:0:0:0:1",
          spec({
            scheme,
            port: server.port,
            expectBody: "ok",
            caCerts: [TEST_CERT],
          }),
        );
        assert.deepEqual(pick(o, { ok: true, ip: "", status: 0 }), {
          ok: true,
          ip: "0:0:0:0:0:0:0:1",
          status: 200,
        });
        assert.equal(
          server.requests[0]?.host,
          `www.example.com:${server.port}`,
        );
      } finally {
        await server.close();
      }
    });
  }
});

Deno.test("runHttpCheck() reports a server that never answers as a timeout", async (t) => {
  const silent = silentListener();
  try {
    for (const scheme of ["http", "https"] as const) {
      await t.step(scheme, async () => {
        const started = performance.now();
        const o = await runHttpCheck(
          "127.0.0.1",
          spec({ scheme, port: silent.port, timeoutMs: 200 }),
        );
        assert.deepEqual(
          pick(o, { ok: false, fault: "timeout", status: undefined }),
          { ok: false, fault: "timeout", status: undefined },
        );
        assert.ok(performance.now() - started < 2000, "the timeout held");
      });
    }
  } finally {
    await silent.close();
  }
});

Deno.test("runHttpCheck() passes once the body matches, times out when it stalls before", async (t) => {
  const stalls: ReadableStreamDefaultController<Uint8Array>[] = [];
  const server = serve(() =>
    new Response(
      new ReadableStream({
        start: (c) => {
          c.enqueue(new TextEncoder().encode("partial "));
          stalls.push(c);
        },
      }),
    )
  );
  try {
    for (const expectBody of ["MARKER", "partial"]) {
      await t.step(expectBody, async () => {
        const o = await runHttpCheck(
          "127.0.0.1",
          spec({ port: server.port, expectBody, timeoutMs: 300 }),
        );
        const want: Partial<Observation> = expectBody === "partial"
          ? { ok: true, status: 200, fault: undefined }
          : { ok: false, status: 200, fault: "timeout" };
        assert.deepEqual(pick(o, want), want);
      });
    }
  } finally {
    for (const c of stalls) {
      try {
        c.close();
      } catch {
        // the check already cancelled this body
      }
    }
    await server.close();
  }
});

Deno.test("runHttpCheck() counts a refused connection against the target", async (t) => {
  const port = closedPort();
  for (const scheme of ["http", "https"] as const) {
    await t.step(scheme, async () => {
      const o = await runHttpCheck("127.0.0.1", spec({ scheme, port }));
      assert.deepEqual(pick(o, { ok: false, fault: undefined, detail: "" }), {
        ok: false,
        fault: undefined,
        detail: "ECONNREFUSED",
      });
    });
  }
});

Deno.test("runHttpCheck() counts a source address this host lacks as a local fault", async (t) => {
  // Binding to an address no interface holds fails before any packet leaves.
  const server = serve(() => new Response("ok"), { tls: true });
  try {
    for (const scheme of ["http", "https"] as const) {
      await t.step(scheme, async () => {
        const o = await runHttpCheck(
          "127.0.0.1",
          spec({
            scheme,
            port: server.port,
            localAddress: "192.0.2.99",
            tlsVerify: false,
          }),
        );
        assert.equal(o.ok, false);
        assert.equal(o.fault, "local");
        // Deno's node layer reports the failed bind as EINVAL, not EADDRNOTAVAIL
        assert.equal(o.detail, "EINVAL");
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("runHttpCheck() over https", async (t) => {
  const server = serve(() => new Response("secure ok"), { tls: true });
  const https = (over: Partial<HttpCheckSpec>) =>
    runHttpCheck(
      "127.0.0.1",
      spec({ scheme: "https", port: server.port, ...over }),
    );
  try {
    await t.step(
      "tls_verify false accepts a self-signed certificate",
      async () => {
        const o = await https({ tlsVerify: false, expectBody: "secure" });
        assert.deepEqual(pick(o, { ok: true, status: 0 }), {
          ok: true,
          status: 200,
        });
      },
    );
    await t.step("tls_verify true refuses it as a target failure", async () => {
      const o = await https({ tlsVerify: true });
      assert.deepEqual(pick(o, { ok: false, fault: undefined, detail: "" }), {
        ok: false,
        fault: undefined,
        detail: "DEPTH_ZERO_SELF_SIGNED_CERT",
      });
    });
    await t.step("verification is for the host, not the IP", async () => {
      const o = await https({ caCerts: [TEST_CERT] });
      assert.deepEqual(pick(o, { ok: true, status: 0 }), {
        ok: true,
        status: 200,
      });
      assert.equal(
        server.requests.at(-1)?.host,
        `www.example.com:${server.port}`,
      );
    });
    await t.step("a certificate for another name fails", async () => {
      const o = await https({ caCerts: [TEST_CERT], host: "api.example.com" });
      assert.deepEqual(pick(o, { ok: false, fault: undefined, detail: "" }), {
        ok: false,
        fault: undefined,
        detail: "ERR_TLS_CERT_ALTNAME_INVALID",
      });
    });
  } finally {
    await server.close();
  }
});

Deno.test("runHttpCheck() sends the host as TLS SNI to the IP", async () => {
  let hello: Uint8Array | null = null;
  const silent = silentListener((b) => hello = b);
  try {
    const o = await runHttpCheck(
      "127.0.0.1",
      spec({ scheme: "https", port: silent.port, timeoutMs: 300 }),
    );
    assert.equal(o.fault, "timeout");
    assert.ok(hello, "a ClientHello arrived");
    assert.equal(sniOf(hello), "www.example.com");
  } finally {
    await silent.close();
  }
});

Deno.test("runHttpCheck() classifies transport errors like TCP connects", async (t) => {
  const table: {
    error: unknown;
    routed: boolean | null;
    fault: "local" | undefined;
    detail: string;
  }[] = [
    {
      error: coded("ECONNRESET"),
      routed: true,
      fault: undefined,
      detail: "ECONNRESET",
    },
    { error: coded("EMFILE"), routed: true, fault: "local", detail: "EMFILE" },
    {
      error: coded("EHOSTUNREACH"),
      routed: true,
      fault: undefined,
      detail: "EHOSTUNREACH",
    },
    {
      error: coded("EHOSTUNREACH"),
      routed: false,
      fault: "local",
      detail: "EHOSTUNREACH",
    },
    {
      error: coded("ENETUNREACH"),
      routed: null,
      fault: "local",
      detail: "ENETUNREACH",
    },
    {
      error: coded("EADDRNOTAVAIL"),
      routed: true,
      fault: "local",
      detail: "EADDRNOTAVAIL",
    },
    {
      error: coded("ECONNREFUSED"),
      routed: true,
      fault: undefined,
      detail: "ECONNREFUSED",
    },
    {
      error: Object.assign(new Error("denied"), { name: "NotCapable" }),
      routed: true,
      fault: "local",
      detail: "NotCapable",
    },
    {
      error: new Error("socket hang up"),
      routed: true,
      fault: undefined,
      detail: "Error",
    },
  ];
  for (const row of table) {
    await t.step(`${row.detail} routed=${row.routed}`, async () => {
      const o = await runHttpCheck("192.0.2.1", spec(), {
        transport: () => Promise.reject(row.error),
        hasRoute: () => row.routed,
      });
      assert.deepEqual(pick(o, { ok: false, fault: undefined, detail: "" }), {
        ok: false,
        fault: row.fault,
        detail: row.detail,
      });
    });
  }
});

function coded(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

Deno.test("hostHeader() adds a non-default port and brackets IPv6", () => {
  const table: [Partial<HttpCheckSpec>, string][] = [
    [{ port: 80 }, "www.example.com"],
    [{ port: 8080 }, "www.example.com:8080"],
    [{ scheme: "https", port: 443 }, "www.example.com"],
    [{ scheme: "https", port: 80 }, "www.example.com:80"],
    [{ host: "2001:db8::1", port: 80 }, "[2001:db8::1]"],
    [{ host: "2001:db8::1", port: 81 }, "[2001:db8::1]:81"],
  ];
  for (const [over, want] of table) assert.equal(hostHeader(spec(over)), want);
});

Deno.test("statusMatches() takes any 2xx/3xx by default, else the list", () => {
  const table: [number, number[] | null, boolean][] = [
    [199, null, false],
    [200, null, true],
    [399, null, true],
    [400, null, false],
    [503, null, false],
    [503, [503], true],
    [200, [204, 503], false],
    [204, [204, 503], true],
  ];
  for (const [status, expected, want] of table) {
    assert.equal(
      statusMatches(status, expected),
      want,
      `${status} ${expected}`,
    );
  }
});

Deno.test("contains() finds byte substrings, including at both ends", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const table: [string, string, boolean][] = [
    ["hello world", "world", true],
    ["hello world", "hello", true],
    ["hello world", "o w", true],
    ["hello world", "worlds", false],
    ["aab", "ab", true],
    ["ab", "abc", false],
    ["", "a", false],
    ["abc", "", true],
    ["héllo", "él", true],
  ];
  for (const [hay, needle, want] of table) {
    assert.equal(contains(enc(hay), enc(needle)), want, `${hay} / ${needle}`);
  }
});

Deno.test("bodyContains() stops reading once found or at the limit", async (t) => {
  const enc = (x: string) => new TextEncoder().encode(x);
  const table: {
    chunks: string[];
    needle: string;
    limit: number;
    want: boolean;
    pulled: number;
  }[] = [
    {
      chunks: ["abc", "def", "ghi"],
      needle: "b",
      limit: 9,
      want: true,
      pulled: 1,
    },
    {
      chunks: ["abc", "def", "ghi"],
      needle: "cd",
      limit: 9,
      want: true,
      pulled: 2,
    },
    {
      chunks: ["abc", "def", "ghi"],
      needle: "h",
      limit: 7,
      want: false,
      pulled: 3,
    },
    {
      chunks: ["abc", "def", "ghi"],
      needle: "g",
      limit: 7,
      want: true,
      pulled: 3,
    },
    {
      chunks: ["abc", "def", "ghi"],
      needle: "fgh",
      limit: 7,
      want: false,
      pulled: 3,
    },
    { chunks: ["abc", "def"], needle: "x", limit: 100, want: false, pulled: 2 },
    {
      chunks: ["a", "b", "c", "d"],
      needle: "abcd",
      limit: 4,
      want: true,
      pulled: 4,
    },
    { chunks: ["abc"], needle: "", limit: 4, want: true, pulled: 0 },
  ];
  for (const row of table) {
    await t.step(
      `${row.needle} in ${row.chunks} within ${row.limit}`,
      async () => {
        let pulled = 0;
        async function* body(): AsyncIterable<Uint8Array> {
          for (const c of row.chunks) {
            pulled++;
            yield enc(c);
          }
        }
        assert.equal(
          await bodyContains(body(), enc(row.needle), row.limit),
          row.want,
        );
        assert.equal(pulled, row.pulled);
      },
    );
  }
});
