/**
 * One HTTP(S) request to one target IP, with the check's Host header and,
 * for https, TLS SNI and certificate verification for the check's host.
 *
 * Why two mechanisms (Deno 2.9.6; ext/fetch/lib.rs, ext/fetch/proxy.rs):
 * - **http: `fetch`** with a `Deno.HttpClient` per request. The URL names
 *   the IP, so the connection goes there and nowhere else;
 *   `allowHost: true` lets the request carry the pool's `Host` header
 *   (without it Deno drops a `Host` set by the caller); `redirect: "manual"`
 *   returns a 3xx as it is. Closing the client after the request closes its
 *   connection: one fresh connection per probe, so a probe sees the connect.
 * - **https: `node:https`** (built into Deno, no dependency). `fetch`
 *   cannot bind a request to an IP while verifying and sending SNI for a
 *   name: an `https://IP/` URL sends no SNI and verifies the certificate
 *   against the IP; the `proxy: { transport: "tcp" }` option, which pins the
 *   socket, speaks *plaintext* HTTP with an absolute-form request line even
 *   for an https URL (`Proxied::Tcp`); only an HTTP CONNECT proxy keeps TLS,
 *   which would need a tunnel server inside the agent. And `fetch` can skip
 *   certificate checks only process-wide (`--unsafely-ignore-certificate-
 *   errors`), never per client, so `tls_verify = false` is impossible
 *   through it. `https.request({ host: ip, servername: host,
 *   rejectUnauthorized })` does all three per request and reports Node
 *   error codes.
 * @module
 */

import { request as httpsRequest } from "node:https";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { VERSION } from "../version.ts";

/** What a transport needs to send one request. */
export interface HttpRequestSpec {
  /** Scheme: plain HTTP or HTTPS. */
  scheme: "http" | "https";
  /** Target IP (v4 or v6 literal, no brackets): where the connection goes. */
  ip: string;
  /** TCP port on the target. */
  port: number;
  /** Request target, starting with "/" (may carry a query). */
  path: string;
  /** Value of the `Host` header. */
  hostHeader: string;
  /** Name for TLS SNI and certificate verification (https only). */
  tlsHost: string;
  /** Verify the certificate chain and name (https only). */
  tlsVerify: boolean;
  /** https: trusted roots in PEM for a private CA (Node's `ca` option). */
  caCerts?: string[];
  /** Source address to connect from; default: the kernel's choice. */
  localAddress?: string;
  /** Aborts the request and the body. */
  signal: AbortSignal;
}

/** A response whose headers arrived; the body is still unread. */
export interface HttpReply {
  /** HTTP status code. */
  status: number;
  /** The body as it arrives (identity encoding was asked for). */
  body: AsyncIterable<Uint8Array>;
  /** Discards the rest of the body and frees the connection; idempotent. */
  close(): Promise<void>;
}

/** Sends one request; rejects with the transport's error. */
export type HttpTransport = (req: HttpRequestSpec) => Promise<HttpReply>;

const USER_AGENT = `goavail/${VERSION} (health check)`;

/**
 * Sends `req` through the scheme's mechanism (see the module doc).
 * @param req the request
 * @returns the reply once its status line and headers arrived
 */
export function sendHttpRequest(req: HttpRequestSpec): Promise<HttpReply> {
  return req.scheme === "http" ? sendWithFetch(req) : sendWithNodeHttps(req);
}

async function sendWithFetch(req: HttpRequestSpec): Promise<HttpReply> {
  const client = Deno.createHttpClient({
    allowHost: true,
    ...(req.localAddress ? { localAddress: req.localAddress } : {}),
  });
  const host = isIP(req.ip) === 6 ? `[${req.ip}]` : req.ip;
  try {
    const res = await fetch(`http://${host}:${req.port}${req.path}`, {
      client,
      redirect: "manual",
      signal: req.signal,
      headers: {
        host: req.hostHeader,
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
      },
    });
    const body = res.body;
    return {
      status: res.status,
      body: body ?? emptyBody(),
      close: async () => {
        if (body && !body.locked) await body.cancel().catch(() => {});
        closeOnce(client);
      },
    };
  } catch (e) {
    closeOnce(client);
    throw e;
  }
}

function sendWithNodeHttps(req: HttpRequestSpec): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const named = isIP(req.tlsHost) === 0;
    const r = httpsRequest({
      host: req.ip,
      port: req.port,
      path: req.path,
      method: "GET",
      // RFC 6066 §3: SNI carries names only; an IP host is verified as an IP.
      ...(named ? { servername: req.tlsHost } : {}),
      rejectUnauthorized: req.tlsVerify,
      ...(req.caCerts ? { ca: req.caCerts } : {}),
      ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      agent: false,
      signal: req.signal,
      headers: {
        host: req.hostHeader,
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        connection: "close",
      },
    });
    r.once("error", reject);
    r.once("response", (res: IncomingMessage) => {
      const abort = () => res.destroy();
      req.signal.addEventListener("abort", abort, { once: true });
      resolve({
        status: res.statusCode ?? 0,
        body: res,
        close: () => {
          req.signal.removeEventListener("abort", abort);
          res.destroy();
          return Promise.resolve();
        },
      });
    });
    r.end();
  });
}

function closeOnce(client: Deno.HttpClient): void {
  try {
    client.close();
  } catch {
    // already closed
  }
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
