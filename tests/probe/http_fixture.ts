/**
 * Local servers for the HTTP check tests: `Deno.serve` on 127.0.0.1 or ::1
 * (plain or with the test-only certificate), a listener that accepts and
 * never answers, and one that records the TLS ClientHello's SNI.
 * @module
 */

import type { HttpCheckSpec } from "../../lib/probe/http_check.ts";

const fixtures = new URL("../fixtures/tls/", import.meta.url);
/** Self-signed certificate for www.example.com (tests/fixtures/tls). */
export const TEST_CERT = Deno.readTextFileSync(
  new URL("www.example.com.crt", fixtures),
);
const TEST_KEY = Deno.readTextFileSync(
  new URL("www.example.com.key", fixtures),
);

/** A running test server; `close()` stops it and waits. */
export interface TestServer {
  port: number;
  /** Requests seen: path with query, and the Host header. */
  requests: { path: string; host: string | null }[];
  /** Client port of each request, in order. */
  clientPorts: number[];
  close(): Promise<void>;
}

/**
 * Serves `handler` on `hostname`, recording each request.
 * @param handler the route
 * @param opts `tls` to serve the test certificate; `hostname` (127.0.0.1)
 */
export function serve(
  handler: (req: Request) => Response | Promise<Response>,
  opts: { tls?: boolean; hostname?: string } = {},
): TestServer {
  const ac = new AbortController();
  const requests: TestServer["requests"] = [];
  const clientPorts: number[] = [];
  const server = Deno.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen() {},
    ...(opts.tls ? { cert: TEST_CERT, key: TEST_KEY } : {}),
  }, (req, info) => {
    clientPorts.push(info.remoteAddr.port);
    const url = new URL(req.url);
    requests.push({
      path: url.pathname + url.search,
      host: req.headers.get("host"),
    });
    return handler(req);
  });
  return {
    port: server.addr.port,
    requests,
    clientPorts,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

/**
 * A listener that accepts connections, reads what arrives and never
 * answers; with `onFirstBytes` it hands over the first bytes of each one.
 */
export function silentListener(
  onFirstBytes?: (bytes: Uint8Array) => void,
): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const reads: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const buf = new Uint8Array(16 * 1024);
      reads.push(
        conn.read(buf).then((n) => {
          if (n !== null) onFirstBytes?.(buf.subarray(0, n));
        }).catch(() => {}),
      );
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    close: async () => {
      listener.close();
      for (const c of conns) c.close();
      await accepting;
      await Promise.all(reads);
    },
  };
}

/** @returns a port on 127.0.0.1 that nothing listens on (just closed). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/**
 * @param bytes the start of a TLS connection (a ClientHello record)
 * @returns the server_name it carries (RFC 6066 §3), or null for none
 */
export function sniOf(bytes: Uint8Array): string | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // record (5) + handshake header (4) + version (2) + random (32)
  let at = 5 + 4 + 2 + 32;
  at += 1 + v.getUint8(at); // session id
  at += 2 + v.getUint16(at); // cipher suites
  at += 1 + v.getUint8(at); // compression methods
  const end = at + 2 + v.getUint16(at);
  for (at += 2; at + 4 <= end;) {
    const type = v.getUint16(at);
    const len = v.getUint16(at + 2);
    if (type === 0) {
      // list length (2), name type (1), name length (2), name
      const nameLen = v.getUint16(at + 4 + 3);
      const name = bytes.subarray(at + 4 + 5, at + 4 + 5 + nameLen);
      return new TextDecoder().decode(name);
    }
    at += 4 + len;
  }
  return null;
}

/**
 * @param over fields to change
 * @returns an http check of www.example.com on `port`, 2 s timeout
 */
export function spec(over: Partial<HttpCheckSpec> = {}): HttpCheckSpec {
  return {
    scheme: "http",
    host: "www.example.com",
    port: 80,
    path: "/",
    expectStatus: null,
    expectBody: null,
    timeoutMs: 2000,
    tlsVerify: true,
    ...over,
  };
}
