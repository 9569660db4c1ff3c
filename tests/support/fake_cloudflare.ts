/**
 * A fake Cloudflare v4 API (the endpoints the SDK calls for zones and DNS
 * records), served by Hono on `Deno.serve`, with scriptable faults and an
 * audit log. Tests start it in-process with {@linkcode startFakeCloudflare};
 * other processes run it as a script:
 *
 * ```sh
 * deno run -A tests/support/fake_cloudflare.ts setup.json
 * # prints {"url":"http://127.0.0.1:PORT/client/v4","port":PORT}
 * ```
 * `setup.json` holds {@linkcode FakeCloudflareOptions}. Admin endpoints:
 * `GET /__audit` ({audit, emptied}), `GET /__edge` ({edge}: the A/AAAA
 * records after each single change), `GET /__state`, `POST /__faults` (a
 * {@linkcode Fault} or an array), `DELETE /__faults`.
 *
 * Faults: "status" replies with an error envelope (429 may carry
 * `retry-after`); "slow" waits before handling (it still commits afterwards
 * if the server is running — a late commit, like the real thing); "drop"
 * commits, then sends a truncated body, so the client sees no usable reply.
 * @module
 */

import { takeFault } from "./fault_queue.ts";
import { Hono } from "hono";
import type { Context } from "hono";
import {
  ApiFailure,
  errorEnvelope,
  FakeState,
  type FakeZoneInput,
} from "./fake_cloudflare_state.ts";
import { routes } from "./fake_cloudflare_routes.ts";
import {
  type ApiErrorEntry,
  type FakeCredentials,
  refuseCredentials,
} from "./fake_cloudflare_auth.ts";

export { FakeState } from "./fake_cloudflare_state.ts";
export type {
  ApiRecord,
  EdgeRecord,
  FakePlan,
  FakeRecordInput,
  FakeZoneInput,
} from "./fake_cloudflare_state.ts";
import type { EdgeRecord } from "./fake_cloudflare_state.ts";
import {
  FakeRateLimit,
  type FakeRateLimitOptions,
} from "./fake_cloudflare_ratelimit.ts";

/** Options of {@linkcode startFakeCloudflare}. */
export interface FakeCloudflareOptions extends FakeCredentials {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 0 (any free port) */
  port?: number;
  zones?: FakeZoneInput[];
  /** The account's rate limit (headers always; 429s when enforced). */
  rateLimit?: FakeRateLimitOptions;
}

/** A scripted fault; applies to the next `times` matching API requests. */
export type Fault =
  & {
    /** Method (e.g. "POST") and/or a substring of the path to match. */
    match?: { method?: string; path?: string };
    /** @default 1 */
    times?: number;
  }
  & (
    | {
      kind: "status";
      status: number;
      code?: number;
      retryAfter?: string;
      /** The envelope's `errors` as sent (chains included); wins over `code`. */
      errors?: ApiErrorEntry[];
    }
    | { kind: "slow"; delayMs: number }
    | { kind: "drop" }
  );

/** One API request as the fake saw it. */
export interface AuditEntry {
  /** Wall-clock ms when the request arrived. */
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  /** Request body, truncated to 500 chars. */
  body: string;
  /** Set when a fault shaped the reply. */
  fault?: string;
  /** The request's `api-version` header, when sent. */
  apiVersion?: string;
}

/** A running fake. */
export interface FakeCloudflare {
  /** Base URL for the SDK (`…/client/v4`). */
  url: string;
  port: number;
  state: FakeState;
  audit: AuditEntry[];
  faults: Fault[];
  /** Audit entries that changed records (POST/PUT/PATCH/DELETE). */
  writes(): AuditEntry[];
  /** Throws if any of `names` (default: all) ever held no A/AAAA record. */
  assertNeverEmpty(names?: readonly string[]): void;
  /**
   * The A/AAAA records the edge served after each single change (a batch
   * adds one state per operation), starting with the initial state.
   */
  edgeHistory(): EdgeRecord[][];
  /** The fewest records `name` had of `type` at any edge state. */
  minRecordsSeen(name: string, type: string): number;
  close(): Promise<void>;
}

const API = "/client/v4";

/**
 * Starts the fake on `hostname:port`.
 * @param options listen address, zones, accepted credentials
 * @returns the running fake; call `close()` in a `finally`
 */
export function startFakeCloudflare(
  options: FakeCloudflareOptions = {},
): FakeCloudflare {
  const state = new FakeState(options.zones);
  const audit: AuditEntry[] = [];
  const faults: Fault[] = [];
  const stop = new AbortController();
  const app = buildApp({
    state,
    audit,
    faults,
    options,
    stop: stop.signal,
    rateLimit: new FakeRateLimit(options.rateLimit),
  });
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
    signal: stop.signal,
  }, app.fetch);
  const addr = server.addr;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return {
    url: `http://${host}:${addr.port}${API}`,
    port: addr.port,
    state,
    audit,
    faults,
    writes: () =>
      audit.filter((a) => a.method !== "GET" && a.path.startsWith(API)),
    assertNeverEmpty(names) {
      const bad = state.emptied.filter((n) => !names || names.includes(n));
      if (bad.length > 0) {
        throw new Error(
          `Names left without A/AAAA records: ${[...new Set(bad)].join(", ")}`,
        );
      }
    },
    edgeHistory: () => state.edge.map((s) => s.map((r) => ({ ...r }))),
    minRecordsSeen: (name, type) => state.minRecordsSeen(name, type),
    async close() {
      stop.abort();
      await server.finished;
    },
  };
}

interface AppContext {
  state: FakeState;
  audit: AuditEntry[];
  faults: Fault[];
  options: FakeCloudflareOptions;
  stop: AbortSignal;
  rateLimit: FakeRateLimit;
}

function buildApp(ctx: AppContext): Hono {
  const app = new Hono();
  app.get(
    "/__audit",
    (c) => c.json({ audit: ctx.audit, emptied: ctx.state.emptied }),
  );
  app.get("/__edge", (c) => c.json({ edge: ctx.state.edge }));
  app.get(
    "/__state",
    (c) =>
      c.json(
        [...ctx.state.zones.values()].map((z) => ({
          ...z,
          records: [...z.records.values()],
        })),
      ),
  );
  app.post("/__faults", async (c) => {
    const body = await c.req.json() as Fault | Fault[];
    ctx.faults.push(...(Array.isArray(body) ? body : [body]));
    return c.json({ ok: true });
  });
  app.delete("/__faults", (c) => {
    ctx.faults.length = 0;
    return c.json({ ok: true });
  });
  const api = new Hono();
  api.use("*", (c, next) => guard(ctx, c, next));
  routes(api, ctx.state);
  app.route(API, api);
  app.notFound((c) =>
    c.json(errorEnvelope(7000, "No route for that URI"), 404)
  );
  app.onError((e, c) => {
    if (e instanceof ApiFailure) {
      return c.json(
        errorEnvelope(e.code, e.message, e.chain),
        e.status as 400,
      );
    }
    return c.json(errorEnvelope(1000, "Internal error"), 500);
  });
  return app;
}

async function guard(
  ctx: AppContext,
  c: Context,
  next: () => Promise<void>,
): Promise<Response | void> {
  const url = new URL(c.req.url);
  const body = c.req.method === "GET" ? "" : await c.req.text();
  const entry: AuditEntry = {
    at: Date.now(),
    method: c.req.method,
    path: url.pathname,
    query: url.search,
    status: 0,
    body: body.slice(0, 500),
    ...(c.req.header("api-version")
      ? { apiVersion: c.req.header("api-version") }
      : {}),
  };
  ctx.audit.push(entry);
  const fault = takeFault(ctx.faults, c.req.method, url.pathname);
  if (fault) entry.fault = fault.kind;
  const info = c.env as Deno.ServeHandlerInfo<Deno.NetAddr> | undefined;
  const refusal = refuseCredentials(
    ctx.options,
    c.req.raw.headers,
    info?.remoteAddr.hostname ?? "",
  );
  const limit = ctx.rateLimit.take(Date.now());
  for (const [k, v] of Object.entries(limit.headers)) c.header(k, v);
  if (limit.refused) {
    entry.status = 429;
    return c.json(
      errorEnvelope(
        971,
        "Please wait and consider throttling your request speed",
      ),
      429,
    );
  }
  if (refusal) {
    entry.status = refusal.status;
    return c.json(
      { success: false, errors: refusal.errors, messages: [], result: null },
      refusal.status as 400,
    );
  }
  if (fault?.kind === "status") {
    entry.status = fault.status;
    if (fault.retryAfter !== undefined) {
      c.header("retry-after", fault.retryAfter);
    }
    const code = fault.code ??
      (fault.status === 429 ? 971 : fault.status === 401 ? 10000 : 1000);
    const reply = fault.errors
      ? { success: false, errors: fault.errors, messages: [], result: null }
      : errorEnvelope(code, `Injected fault ${fault.status}`);
    return c.json(reply, fault.status as 400);
  }
  if (fault?.kind === "slow") {
    const gone = await sleep(fault.delayMs, [ctx.stop]);
    if (gone) {
      entry.status = 499;
      return c.body(null, 204);
    }
  }
  await next();
  entry.status = c.res.status;
  if (fault?.kind === "drop") {
    // The change is committed, but the reply breaks off mid-body.
    c.res = new Response('{"success":tr', {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }
}

/** @returns true when a signal aborted before `ms` passed. */
function sleep(ms: number, signals: AbortSignal[]): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (aborted: boolean) => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", onAbort);
      resolve(aborted);
    };
    const onAbort = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    for (const s of signals) {
      s.addEventListener("abort", onAbort, { once: true });
    }
    if (signals.some((s) => s.aborted)) done(true);
  });
}

if (import.meta.main) {
  const file = Deno.args[0];
  const options: FakeCloudflareOptions = file
    ? JSON.parse(await Deno.readTextFile(file))
    : {};
  const fake = startFakeCloudflare(options);
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ url: fake.url, port: fake.port }));
  const shutdown = () => fake.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
}
