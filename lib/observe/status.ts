/**
 * The status HTTP surface: a Hono app serving `/status` (JSON), `/metrics`
 * (Prometheus text 0.0.4), `/healthz` and an HTML page at `/`, plus a small
 * `Deno.serve` wrapper. The app reads everything through callbacks, so it
 * holds no state and is tested through `app.request()`.
 * @module
 */

import { Hono } from "hono";
import type { Logger } from "./log.ts";
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { renderStatusPage } from "./status_page.ts";

/** One monitored IP as `/status` reports it. */
export interface TargetStatus {
  /** The pool the IP is watched for ("default": the one pool of today). */
  pool: string;
  /** The IP address, as configured. */
  ip: string;
  /** This agent's local verdict. */
  verdict: "up" | "down";
  /** ISO 8601 time the current verdict began (or the agent started). */
  since: string;
  /** Round-trip time of the last reply, µs; null before the first reply. */
  lastRttMicros: number | null;
  /**
   * How long its next probe waits for the reply, µs (adaptive: its RTO);
   * null when the prober does not know the IP.
   */
  probeTimeoutMicros: number | null;
  /** Share of probes lost in the last minute, 0..1; null before any probe. */
  lossLastMinute: number | null;
  /** Whether the IP's records are in DNS; null when not yet read. */
  inDns: boolean | null;
  /** The last verdict or DNS change, with its reason; null if none yet. */
  lastChange: { at: string; reason: string } | null;
  /** Whether the cluster rule says the IP is down. */
  clusterDown: boolean;
  /** Agents (this one plus live peers) whose view says down. */
  votesDown: number;
  /** Agents (this one plus live peers) whose view says up. */
  votesUp: number;
  /**
   * Why the agent does not change this IP's records now ("why not
   * written"): a hold reason of the write decision (lib/write/types.ts);
   * null when a change is under way.
   */
  hold: string | null;
  /**
   * A `backup_ips` address of its pool: out of DNS (hold `standby`) while
   * a primary of its family is up.
   */
  backup: boolean;
  /**
   * The operator's drain of this (pool, IP) (`goavail drain`): its records
   * are withdrawn as if it were down, within the guards; null when not
   * drained.
   */
  drained: {
    /** The reason given; null when none was. */
    reason: string | null;
    /** The agent the drain was issued on. */
    by: string;
    /** ISO 8601 time it was issued. */
    at: string;
  } | null;
}

/** One configured peer as `/status` reports it. */
export interface PeerStatus {
  /** The peer's heartbeat address, `host:port`. */
  addr: string;
  /** Whether a valid heartbeat arrived within `peer_timeout`. */
  live: boolean;
  /** ISO 8601 time of the last valid heartbeat; null if never. */
  lastSeen: string | null;
}

/** One DNS change the reconciler made or (dry-run) would have made. */
export interface DnsAction {
  /** ISO 8601 time of the action. */
  at: string;
  /** What was done, e.g. "delete" or "create". */
  action: string;
  /** Record name, e.g. "www.example.com". */
  hostname: string;
  /** Record type: "A" or "AAAA". */
  type: string;
  /** Record content. */
  ip: string;
  /** Outcome, e.g. "ok", "dry-run" or "error: …" (no secrets). */
  result: string;
}

/**
 * The `/status` JSON document: everything an operator needs to see at once.
 * Times are ISO 8601 strings in UTC; durations are in the unit their name says.
 *
 * ```json
 * { "version": "0.1.0", "node": "10.0.0.1:7947", "dryRun": true,
 *   "startedAt": "2026-01-01T00:00:00.000Z",
 *   "config": { "interval": 1, "failureThreshold": 3, "recoveryThreshold": 3,
 *               "hostnames": ["www"], "path": "/etc/goavail/goavail.toml" },
 *   "targets": [{ "pool": "default", "ip": "192.0.2.1", "verdict": "up", "since": "…",
 *                 "lastRttMicros": 1234, "probeTimeoutMicros": 50000,
 *                 "lossLastMinute": 0, "inDns": true,
 *                 "lastChange": null, "clusterDown": false, "votesDown": 0 }],
 *   "peers": [{ "addr": "10.0.0.2:7947", "live": true, "lastSeen": "…" }],
 *   "dns": { "provider": "dry-run", "lastActions": [], "writesPaused": null },
 *   "guards": { "isolated": false, "reason": null } }
 * ```
 */
export interface StatusSnapshot {
  /** goavail version. */
  version: string;
  /** This agent's node id (its `local_addr`, or "local"). */
  node: string;
  /** Whether DNS changes are only logged. */
  dryRun: boolean;
  /** ISO 8601 time the agent started. */
  startedAt: string;
  /** The settings an operator most often needs to confirm. */
  config: {
    /** Seconds between probes. */
    interval: number;
    failureThreshold: number;
    recoveryThreshold: number;
    /** Managed record names. */
    hostnames: string[];
    /** Path of the loaded config file. */
    path: string;
  };
  /** One entry per monitored IP, in config order. */
  targets: TargetStatus[];
  /** One entry per configured peer; empty on a single node. */
  peers: PeerStatus[];
  dns: {
    provider: "dry-run" | "cloudflare" | "route53";
    /** Most recent DNS actions, newest first (bounded by the agent). */
    lastActions: DnsAction[];
    /**
     * Why DNS writes stop, as one sentence ("DNS writes blocked: credentials
     * rejected …", "DNS writes paused: Cloudflare rate limit"); null if not.
     */
    writesPaused: string | null;
  };
  guards: {
    /** Whether the self-isolation guard is holding writes back. */
    isolated: boolean;
    /** Why, in words; null when not isolated. */
    reason: string | null;
  };
  /** The cluster's DNS writer as this agent sees it. */
  writer: {
    /** Node id of the writer; null when there is none. */
    node: string | null;
    /** This agent may write now. */
    active: boolean;
    /** Why not, when it may not (a write decision hold reason). */
    reason: string | null;
  };
}

/** Inputs of {@linkcode createStatusApp}; all read at request time. */
export interface StatusAppOptions {
  /** @returns the current status document. */
  snapshot: () => StatusSnapshot;
  /** @returns the Prometheus exposition, e.g. `registry.render()`. */
  metrics: () => string;
  /** @returns whether the agent's loops run. @default always true */
  healthy?: () => boolean;
  /** Logs request errors (component "status" is added). */
  logger: Logger;
  /** Time source for the HTML page's relative times. @default systemClock */
  clock?: Clock;
}

/** Content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Builds the status app. Routes: `GET /status`, `GET /metrics`,
 * `GET /healthz` (200 "ok", or 503 "unhealthy" when `healthy()` is false)
 * and `GET /` (HTML). Errors are logged and answered with a bare 500.
 * @param options callbacks that supply the data
 * @returns the Hono app; serve it with {@linkcode serveStatus}
 */
export function createStatusApp(options: StatusAppOptions): Hono {
  const log = options.logger.child("status");
  const clock = options.clock ?? systemClock;
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
  });
  app.get("/status", (c) => c.json(options.snapshot()));
  app.get(
    "/metrics",
    (c) =>
      c.body(options.metrics(), 200, { "Content-Type": METRICS_CONTENT_TYPE }),
  );
  app.get("/healthz", (c) => {
    const ok = options.healthy?.() ?? true;
    return c.text(ok ? "ok" : "unhealthy", ok ? 200 : 503);
  });
  app.get("/", (c) => {
    c.header("Content-Security-Policy", PAGE_CSP);
    c.header("X-Frame-Options", "DENY");
    return c.html(renderStatusPage(options.snapshot(), clock.now()));
  });
  app.notFound((c) => c.text("not found", 404));
  app.onError((err, c) => {
    log.error("Status request failed", {
      path: c.req.path,
      error: err instanceof Error ? err.message : String(err),
    });
    return c.text("internal error", 500);
  });
  return app;
}

/** A listen address split into its parts. */
export interface ListenAddr {
  hostname: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or `:port` (all interfaces).
 * @param listen the configured address
 * @returns the parts, or an error naming what is wrong
 */
export function parseListen(
  listen: string,
): { ok: true; value: ListenAddr } | { ok: false; error: string } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535)) {
    return {
      ok: false,
      error: `Status address "${listen}" must be "host:port" or "[ipv6]:port"`,
    };
  }
  const hostname = m[1] ?? m[2] ?? "";
  return { ok: true, value: { hostname: hostname || "0.0.0.0", port } };
}

/** A running status server. */
export interface StatusServer {
  /** The bound address (the real port when 0 was asked). */
  addr: Deno.NetAddr;
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Stops accepting, finishes open requests, resolves when closed. */
  close(): Promise<void>;
}

/** Raised when the status server cannot start. */
export class StatusServerError extends Error {
  /** @param message what failed; @param options the underlying error */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StatusServerError";
  }
}

/**
 * Serves `app` on `listen` with `Deno.serve`.
 * @param listen `host:port`; port 0 picks a free port
 * @param app anything with a fetch handler, e.g. {@linkcode createStatusApp}
 * @param logger logs the bound address and request-handler failures
 * @returns the running server
 * @throws {StatusServerError} if the address is invalid or cannot be bound
 */
export function serveStatus(
  listen: string,
  app: { fetch: (req: Request) => Response | Promise<Response> },
  logger: Logger,
): StatusServer {
  const log = logger.child("status");
  const parsed = parseListen(listen);
  if (!parsed.ok) throw new StatusServerError(parsed.error);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: parsed.value.hostname,
      port: parsed.value.port,
      onListen: () => {},
      onError: (err) => {
        log.error("Status request failed", { error: errorText(err) });
        return new Response("internal error", { status: 500 });
      },
    }, (req) => app.fetch(req));
  } catch (err) {
    throw new StatusServerError(
      `Cannot serve status on "${listen}": ${errorText(err)}`,
      { cause: err },
    );
  }
  const addr = server.addr;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  const url = `http://${host}:${addr.port}`;
  log.info("Status server listening", { url });
  let closing: Promise<void> | undefined;
  return {
    addr,
    url,
    close: () => closing ??= server.shutdown(),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
