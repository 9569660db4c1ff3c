/**
 * The peer HTTP server: `POST /v1/heartbeat` with a sealed frame as body
 * and the sender id in `x-goavail-from`. Every refusal is a 4xx with a
 * generic body, a counter by reason and a debug log line; nothing else
 * changes. The connection's source IP comes from `c.env.remoteAddr`, which
 * {@linkcode servePeerApp} sets and `app.request()` tests pass directly.
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { type Logger, silentLogger } from "../observe/log.ts";
import { parsePeerAddr } from "./addr.ts";
import { type HeartbeatReceiver, MAX_BODY_BYTES } from "./receive.ts";
import { FROM_HEADER, HEARTBEAT_PATH } from "./transport.ts";
import { VIEW_FORMATS_HEADER } from "./compact_view.ts";
import { REJECT_STATUS, type RejectReason } from "./types.ts";

/** Hono environment of the peer app: the connection's remote IP. */
export type PeerEnv = { Bindings: { remoteAddr?: string } };

/** Options of {@linkcode createPeerApp}. */
export interface PeerAppOptions {
  /** @default silentLogger */
  logger?: Logger;
  /** Largest body accepted. @default 64 KiB */
  maxBodyBytes?: number;
}

/**
 * Builds the peer app.
 * @param receiver validates and records heartbeats (a `Membership`)
 * @param options logger and body limit
 * @returns the Hono app; serve it with {@linkcode servePeerApp}
 */
export function createPeerApp(
  receiver: HeartbeatReceiver,
  options: PeerAppOptions = {},
): Hono<PeerEnv> {
  const log = (options.logger ?? silentLogger).child("cluster");
  const max = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const app = new Hono<PeerEnv>();
  const refuse = (reason: RejectReason, remote: string): never => {
    receiver.rejections.inc(reason);
    log.debug("heartbeat rejected", { reason, remote });
    throw refusal(reason);
  };
  app.post(
    HEARTBEAT_PATH,
    bodyLimit({
      maxSize: max,
      onError: (c) => refuse("oversize", c.env?.remoteAddr ?? ""),
    }),
    async (c) => {
      const remote = c.env?.remoteAddr ?? "";
      const from = c.req.header(FROM_HEADER);
      if (!from || from.length > 300) refuse("missing_sender", remote);
      let body: Uint8Array;
      try {
        body = new Uint8Array(await c.req.arrayBuffer());
      } catch {
        // The sender gave up mid-request (its send timeout, e.g. while
        // this agent was frozen): its fault, not a server error.
        return refuse("truncated", remote);
      }
      if (body.length > max) refuse("oversize", remote);
      const r = await receiver.receive(
        body,
        from ?? "",
        remote,
        c.req.header(VIEW_FORMATS_HEADER),
      );
      if (!r.ok) throw refusal(r.error);
      return c.body(null, 204);
    },
  );
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    log.error("peer server error", { error: err, path: c.req.path });
    return c.text("Internal Server Error", 500);
  });
  return app;
}

function refusal(reason: RejectReason): HTTPException {
  const status = REJECT_STATUS[reason];
  return new HTTPException(status, {
    res: new Response(status === 413 ? "Payload Too Large" : "Rejected", {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    }),
  });
}

/** A running peer server. */
export interface PeerServer {
  /** The bound address (useful with port 0). */
  addr: Deno.NetAddr;
  /** Stops accepting, finishes open requests and resolves when closed. */
  close(): Promise<void>;
}

/**
 * Serves the app with `Deno.serve` on `local_addr`.
 * @param app from {@linkcode createPeerApp}
 * @param listen `host:port` (`members.local_addr`), or hostname and port
 *   (port 0 picks a free one)
 * @param options `defaultPort` for a bare host (`members.members_port`), logger
 * @returns the server; call `close()` on shutdown
 * @throws {RangeError} when `listen` does not parse
 * @throws {Deno.errors.AddrInUse} and other listen errors
 */
export function servePeerApp(
  app: Hono<PeerEnv>,
  listen: string | { hostname: string; port: number },
  options: { defaultPort?: number; logger?: Logger } = {},
): PeerServer {
  const addr = typeof listen === "string"
    ? parsePeerAddr(listen, options.defaultPort ?? 7947)
    : { host: listen.hostname, port: listen.port };
  if (!addr) {
    throw new RangeError(`Bad listen address ${JSON.stringify(listen)}`);
  }
  const log = (options.logger ?? silentLogger).child("cluster");
  const server = Deno.serve({
    hostname: addr.host,
    port: addr.port,
    onListen: (a) => log.info("peer server listening", { addr: a }),
    onError: (e) => {
      log.error("peer server error", { error: e });
      return new Response("Internal Server Error", { status: 500 });
    },
  }, (req, info) => {
    const remote = info.remoteAddr as Deno.NetAddr;
    return app.fetch(req, { remoteAddr: remote.hostname });
  });
  return {
    addr: server.addr as Deno.NetAddr,
    close: async () => {
      await server.shutdown();
    },
  };
}
