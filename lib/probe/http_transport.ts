/**
 * One HTTP(S) request to one target IP, with the check's Host header and,
 * for https, TLS SNI and certificate verification for the check's host,
 * through `node:http` / `node:https` (built into Deno, no dependency).
 *
 * Why not `fetch` with a `Deno.HttpClient` (Deno 2.9.6; ext/fetch/lib.rs,
 * ext/fetch/proxy.rs; each point checked by hand):
 * - **Proxies from the environment apply to every client.**
 *   `create_http_client` adds `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`
 *   (`proxy::from_env`) to every `Deno.HttpClient` and no option turns them
 *   off: with `HTTP_PROXY` set, a check of `http://203.0.113.11/` asks the
 *   proxy and reports the proxy's answer for the target. Operators set these
 *   variables for the DNS API; a health check must never follow them.
 * - **No SNI for a name while connecting to an IP.** An `https://IP/` URL
 *   sends no SNI and verifies the certificate against the IP. The only
 *   option that pins the socket, `proxy: { transport: "tcp" }`, speaks
 *   *plaintext* HTTP with an absolute-form request line even for an https
 *   URL (`Proxied::Tcp`); only an HTTP CONNECT proxy keeps TLS, which would
 *   need a tunnel server inside the agent.
 * - **No per-client `tls_verify = false`**: certificate checks can be
 *   skipped only process-wide (`--unsafely-ignore-certificate-errors`).
 * - Smaller: `fetch` refuses the Fetch standard's "bad ports" (25, 6000, …)
 *   and reports socket errors only as text ("… (os error 111)").
 *
 * `request({ host: ip, servername: host, headers: { host }, rejectUnauthorized })`
 * does all of it per request and reports Node error codes ("ECONNREFUSED",
 * "DEPTH_ZERO_SELF_SIGNED_CERT"). Each request gets its own `Agent` with
 * `keepAlive: false` (one fresh connection per check, so every check sees
 * the connect) and `proxyEnv: {}` (Deno's node layer, like Node 24, would
 * otherwise follow `HTTP_PROXY` when `NODE_USE_ENV_PROXY=1`). Node's client
 * never follows redirects: a 3xx is returned as it is.
 * @module
 */

import {
  Agent as HttpAgent,
  type IncomingMessage,
  request as httpRequest,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
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
 * Sends `req` (see the module doc).
 * @param req the request
 * @returns the reply once its status line and headers arrived; rejects
 *   with the Node error (its `code` names the failure)
 */
export function sendHttpRequest(req: HttpRequestSpec): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    // `proxyEnv` is read by Deno's node layer (ext/node/polyfills/_http_proxy.js)
    // and Node >= 24; the Agent options type predates it.
    const agentOptions = { keepAlive: false, proxyEnv: {} } as object;
    const options = {
      host: req.ip,
      port: req.port,
      path: req.path,
      method: "GET",
      ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      signal: req.signal,
      headers: {
        host: req.hostHeader,
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        connection: "close",
      },
    };
    const r = req.scheme === "https"
      ? httpsRequest({
        ...options,
        agent: new HttpsAgent(agentOptions),
        // RFC 6066 §3: SNI carries names only; an IP host is verified as an IP.
        ...(isIP(req.tlsHost) === 0 ? { servername: req.tlsHost } : {}),
        rejectUnauthorized: req.tlsVerify,
        ...(req.caCerts ? { ca: req.caCerts } : {}),
      })
      : httpRequest({ ...options, agent: new HttpAgent(agentOptions) });
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
