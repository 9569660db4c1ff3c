/**
 * A fake Route 53 API (REST/XML, version 2013-04-01): the calls the AWS SDK
 * makes for ListHostedZonesByName, GetHostedZone, ListResourceRecordSets
 * (paginated), ChangeResourceRecordSets and GetChange, on `Deno.serve`,
 * with scriptable faults and an audit log. Point the SDK at it with
 * `AWS_ENDPOINT_URL_ROUTE_53`. Other processes run it as a script:
 *
 * ```sh
 * deno run -A tests/support/fake_route53.ts setup.json
 * # prints {"url":"http://127.0.0.1:PORT","port":PORT}
 * ```
 * `setup.json` holds {@linkcode FakeRoute53Options}. Admin endpoints:
 * `GET /__audit` ({audit, emptied}), `GET /__state`, `POST /__faults`,
 * `DELETE /__faults`.
 *
 * Faults: "throttle" (400 `Throttling`, "Rate exceeded": Route 53's rate
 * limit is five requests a second per account, answered with HTTP 400),
 * "prior" (400 `PriorRequestNotComplete`), "status" (500 `InternalFailure`
 * or 503 `ServiceUnavailable`), "slow" (waits, then handles), "drop"
 * (commits, then breaks the reply off, so the client sees no usable reply).
 * Requests must carry a SigV4 `Authorization` header for the configured
 * access key id (the signature itself is not checked).
 * @module
 */
import { takeFault } from "./fault_queue.ts";
import {
  type ChangeRequest,
  type FakeRecordSet,
  FakeRoute53State,
  type FakeZone,
  type FakeZoneInput,
  Route53Failure,
} from "./fake_route53_state.ts";
import { route53Routes } from "./fake_route53_routes.ts";
import { errorDoc } from "./fake_route53_xml.ts";

export { FakeRoute53State } from "./fake_route53_state.ts";
export type { ChangeRequest, FakeRecordSet, FakeZone, FakeZoneInput };

/** Options of {@linkcode startFakeRoute53}. */
export interface FakeRoute53Options {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 0 (any free port) */
  port?: number;
  zones?: FakeZoneInput[];
  /** Accepted access key id. @default "AKIDFAKE" */
  accessKeyId?: string;
}

/** A scripted fault for the next `times` matching requests. */
export type Route53Fault =
  & {
    /** Method and/or a substring of the path to match. */
    match?: { method?: string; path?: string };
    /** @default 1 */
    times?: number;
  }
  & (
    | { kind: "throttle" }
    | { kind: "prior" }
    | { kind: "status"; status: 500 | 503 }
    | { kind: "slow"; delayMs: number }
    | { kind: "drop" }
  );

/** One API request as the fake saw it. */
export interface Route53AuditEntry {
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  /** Request body, truncated to 2,000 characters. */
  body: string;
  /** Every request header, so tests can look for leaked secrets. */
  headers: Record<string, string>;
  fault?: string;
}

/** A running fake. */
export interface FakeRoute53 {
  /** Endpoint for the SDK. */
  url: string;
  port: number;
  state: FakeRoute53State;
  audit: Route53AuditEntry[];
  faults: Route53Fault[];
  /** Audit entries of ChangeResourceRecordSets. */
  writes(): Route53AuditEntry[];
  /** Throws if any set of `names` (default: all) ever disappeared. */
  assertNeverEmpty(names?: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * Starts the fake.
 * @param options listen address, zones, accepted access key id
 * @returns the running fake; call `close()` in a `finally`
 */
export function startFakeRoute53(
  options: FakeRoute53Options = {},
): FakeRoute53 {
  const state = new FakeRoute53State(options.zones);
  const audit: Route53AuditEntry[] = [];
  const faults: Route53Fault[] = [];
  const stop = new AbortController();
  const route = route53Routes(state);
  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/__")) {
      return await admin(req, url, state, audit, faults);
    }
    const body = req.method === "GET" ? "" : await req.text();
    const entry: Route53AuditEntry = {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      query: url.search,
      status: 0,
      body: body.slice(0, 2000),
      headers: Object.fromEntries(req.headers),
    };
    audit.push(entry);
    const res = await serve(req, url, body, entry);
    entry.status = res.status;
    return res;
  };
  const serve = async (
    req: Request,
    url: URL,
    body: string,
    entry: Route53AuditEntry,
  ): Promise<Response> => {
    const keyId = options.accessKeyId ?? "AKIDFAKE";
    const auth = req.headers.get("authorization") ?? "";
    if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${keyId}/`)) {
      return xml(
        403,
        errorDoc(
          "Sender",
          "InvalidClientTokenId",
          "The security token included in the request is invalid.",
        ),
      );
    }
    const fault = takeFault(faults, req.method, url.pathname);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "throttle") {
      return xml(400, errorDoc("Sender", "Throttling", "Rate exceeded"));
    }
    if (fault?.kind === "prior") {
      return xml(
        400,
        errorDoc(
          "Sender",
          "PriorRequestNotComplete",
          "The request was rejected because Route 53 was still processing a prior request.",
        ),
      );
    }
    if (fault?.kind === "status") {
      return fault.status === 503
        ? xml(
          503,
          errorDoc("Receiver", "ServiceUnavailable", "Service unavailable"),
        )
        : xml(500, errorDoc("Receiver", "InternalFailure", "Internal failure"));
    }
    if (fault?.kind === "slow") {
      await new Promise((r) => setTimeout(r, fault.delayMs));
    }
    let res: Response;
    try {
      res = xml(200, route(req.method, url, body));
    } catch (e) {
      if (!(e instanceof Route53Failure)) throw e;
      res = xml(e.status, errorDoc("Sender", e.code, e.message));
    }
    if (fault?.kind === "drop") {
      return xml(200, '<?xml version="1.0"?>\n<ChangeResourceRecordSetsRes');
    }
    return res;
  };
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
    signal: stop.signal,
  }, handler);
  const addr = server.addr;
  return {
    url: `http://${addr.hostname}:${addr.port}`,
    port: addr.port,
    state,
    audit,
    faults,
    writes: () => audit.filter((a) => a.method === "POST"),
    assertNeverEmpty(names) {
      const bad = state.emptied.filter((n) =>
        !names || names.includes(n.split(" ")[0]!)
      );
      if (bad.length > 0) {
        throw new Error(`Record sets that disappeared: ${bad.join(", ")}`);
      }
    },
    async close() {
      stop.abort();
      await server.finished;
    },
  };
}

function xml(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: {
      "content-type": "text/xml",
      "x-amzn-requestid": crypto.randomUUID(),
    },
  });
}

async function admin(
  req: Request,
  url: URL,
  state: FakeRoute53State,
  audit: Route53AuditEntry[],
  faults: Route53Fault[],
): Promise<Response> {
  const json = (v: unknown) => Response.json(v);
  if (url.pathname === "/__audit") {
    return json({ audit, emptied: state.emptied });
  }
  if (url.pathname === "/__state") return json([...state.zones.values()]);
  if (url.pathname === "/__faults" && req.method === "POST") {
    const body = await req.json() as Route53Fault | Route53Fault[];
    faults.push(...(Array.isArray(body) ? body : [body]));
    return json({ ok: true });
  }
  if (url.pathname === "/__faults" && req.method === "DELETE") {
    faults.length = 0;
    return json({ ok: true });
  }
  return new Response("not found", { status: 404 });
}

if (import.meta.main) {
  const file = Deno.args[0];
  const options: FakeRoute53Options = file
    ? JSON.parse(await Deno.readTextFile(file))
    : {};
  const fake = startFakeRoute53(options);
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ url: fake.url, port: fake.port }));
  const shutdown = () => fake.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
}
