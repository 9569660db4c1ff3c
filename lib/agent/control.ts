/**
 * The agent's control endpoint for `goavail drain` and `goavail undrain`: a
 * small HTTP API on a Unix socket in `state_dir` (`control.sock`, mode
 * 0600 in a 0700 directory), so only local users who may read the state
 * may use it. Requests that do not come over a Unix socket are refused.
 *
 * `POST /drain` `{"ip", "pool"?, "reason"?}` and `POST /undrain`
 * `{"ip", "pool"?}` answer 200 with the drain entry in force, or a 4xx
 * with `{"error"}` saying what is wrong; nothing here can crash the agent.
 * @module
 */
import { canonicalIp } from "../net/ip.ts";
import { type DrainEntry, MAX_REASON_LENGTH } from "../cluster/drain_book.ts";
import { DEFAULT_POOL } from "../config/types.ts";
import type { Logger } from "../observe/log.ts";

/** File name of the control socket in `state_dir`. */
export const CONTROL_SOCKET = "control.sock";

/** Largest request body accepted, bytes. */
const MAX_BODY = 4096;

/** @returns the control socket's path for `stateDir`. */
export function controlSocketPath(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, "")}/${CONTROL_SOCKET}`;
}

/** What the control endpoint acts on (the agent). */
export interface ControlTarget {
  /** @returns each pool's IPs (canonical), by pool name. */
  pools(): ReadonlyMap<string, readonly string[]>;
  /** Drains or lifts; resolves once saved. */
  setDrain(
    pool: string,
    ip: string,
    drained: boolean,
    reason: string | null,
  ): Promise<DrainEntry>;
}

/** A request handler as `Deno.serve` calls it. */
export type ControlHandler = (
  req: Request,
  info: { remoteAddr: Deno.Addr },
) => Promise<Response>;

class BadRequest extends Error {
  constructor(message: string, readonly status: 400 | 404 | 405 | 413 = 400) {
    super(message);
    this.name = "BadRequest";
  }
}

/**
 * @param target the agent
 * @param logger logs each drain and lift, and failures
 * @returns the handler of the control endpoint
 */
export function createControlHandler(
  target: ControlTarget,
  logger: Logger,
): ControlHandler {
  const log = logger.child("control");
  return async (req, info) => {
    try {
      if (info.remoteAddr.transport !== "unix") {
        return json(403, {
          error: "The control endpoint answers only on its Unix socket",
        });
      }
      const path = new URL(req.url).pathname;
      if (path !== "/drain" && path !== "/undrain") {
        throw new BadRequest(
          `Unknown path "${path}": use /drain or /undrain`,
          404,
        );
      }
      if (req.method !== "POST") {
        throw new BadRequest(`${path} takes POST, got ${req.method}`, 405);
      }
      const drained = path === "/drain";
      const body = await readBody(req);
      const { pool, ip, reason } = parseRequest(body, drained, target.pools());
      const entry = await target.setDrain(pool, ip, drained, reason);
      log.info(drained ? `${ip} drained` : `${ip} undrained`, {
        pool,
        ip,
        reason,
        version: entry.v,
      });
      return json(200, entry);
    } catch (e) {
      if (e instanceof BadRequest) return json(e.status, { error: e.message });
      const message = e instanceof Error ? e.message : String(e);
      log.error("Control request failed", { error: message });
      return json(500, { error: `The agent could not do it: ${message}` });
    }
  };
}

async function readBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (new TextEncoder().encode(text).length > MAX_BODY) {
    throw new BadRequest(`The request is over ${MAX_BODY} bytes`, 413);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("The request body must be JSON");
  }
}

function parseRequest(
  body: unknown,
  drained: boolean,
  pools: ReadonlyMap<string, readonly string[]>,
): { pool: string; ip: string; reason: string | null } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequest('The request must be a JSON object with "ip"');
  }
  const { ip: rawIp, pool: rawPool, reason: rawReason, ...rest } =
    body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    throw new BadRequest(`Unknown field "${extra[0]}"`);
  }
  const ip = typeof rawIp === "string" ? canonicalIp(rawIp) : null;
  if (ip === null) {
    throw new BadRequest(
      `"ip" must be an IPv4 or IPv6 address, got ${JSON.stringify(rawIp)}`,
    );
  }
  const pool = rawPool ?? poolOf(ip, pools);
  if (typeof pool !== "string" || !pools.has(pool)) {
    throw new BadRequest(
      `No pool ${JSON.stringify(pool)}; the pools are: ${
        [...pools.keys()].map((p) => `"${p}"`).join(", ")
      }`,
    );
  }
  const ips = pools.get(pool) ?? [];
  if (!ips.includes(ip)) {
    throw new BadRequest(
      `${ip} is not an IP of pool "${pool}" (its IPs: ${ips.join(", ")})`,
    );
  }
  if (!drained && rawReason !== undefined) {
    throw new BadRequest('"reason" is for drain only');
  }
  const reason = rawReason ?? null;
  if (
    reason !== null &&
    (typeof reason !== "string" || reason.length > MAX_REASON_LENGTH ||
      // deno-lint-ignore no-control-regex
      /[\u0000-\u001f\u007f]/.test(reason))
  ) {
    throw new BadRequest(
      `"reason" must be one line of at most ${MAX_REASON_LENGTH} characters`,
    );
  }
  return { pool, ip, reason: reason === "" ? null : reason };
}

/**
 * The pool a request without "pool" means: `default` when there is one,
 * else the one pool that has `ip`.
 */
function poolOf(
  ip: string,
  pools: ReadonlyMap<string, readonly string[]>,
): string {
  if (pools.has(DEFAULT_POOL)) return DEFAULT_POOL;
  const having = [...pools].filter(([, ips]) => ips.includes(ip));
  const [only] = having;
  if (only && having.length === 1) return only[0];
  throw new BadRequest(
    having.length === 0
      ? `${ip} is in no pool; the pools are: ${
        [...pools.keys()].map((p) => `"${p}"`).join(", ")
      }`
      : `${ip} is in pools ${
        having.map(([p]) => `"${p}"`).join(", ")
      }: say which with --pool`,
  );
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/** A running control endpoint. */
export interface ControlServer {
  /** The socket's path. */
  path: string;
  /** Stops serving and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Serves `handler` on a Unix socket at `path`, replacing a socket file a
 * previous run left (the caller holds the state_dir lock, so no other agent
 * uses it); the socket is made readable and writable by its owner only.
 * @throws {Error} naming the path when it cannot be served, or when
 *   something other than a socket is in the way
 */
export async function serveControl(
  path: string,
  handler: ControlHandler,
): Promise<ControlServer> {
  try {
    const st = await Deno.lstat(path);
    if (!st.isSocket) {
      throw new Error(`"${path}" exists and is not a socket; remove it`);
    }
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  let server: Deno.HttpServer<Deno.UnixAddr>;
  try {
    server = Deno.serve(
      { path, transport: "unix", onListen: () => {} },
      (req, info) => handler(req, info),
    );
  } catch (e) {
    throw new Error(
      `Cannot serve the control socket "${path}": ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
  await Deno.chmod(path, 0o600);
  let closing: Promise<void> | undefined;
  return {
    path,
    close: () =>
      closing ??= server.shutdown().then(() =>
        Deno.remove(path).catch(() => {})
      ),
  };
}
