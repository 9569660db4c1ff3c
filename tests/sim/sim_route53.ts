/**
 * An in-memory Route 53 hosted zone for the simulator, reached by the real
 * provider (lib/dns/route53.ts) through the real AWS SDK: each agent's SDK
 * client sends its signed requests to {@linkcode SimRoute53.handlerFor}
 * instead of the network, so a simulated pass exercises the SDK's
 * serializers and error parsing, route53_errors.ts, route53_sets.ts and
 * the reconciler exactly as production does.
 *
 * The API's rules are the project fake's, reused rather than copied:
 * tests/support/fake_route53_state.ts validates ChangeResourceRecordSets
 * (a batch "either makes all or none of the changes", API reference
 * ChangeResourceRecordSets; InvalidChangeBatch for a DELETE whose values do
 * not match, a CREATE of an existing set, a set changed twice; InvalidInput
 * for a set without values) and tests/support/fake_route53_routes.ts
 * answers in the XML shapes of the API reference. What this module adds:
 *
 * - **Propagation.** A change is `PENDING` until it "has propagated to all
 *   Amazon Route 53 DNS servers managing the hosted zone", then `INSYNC`
 *   (API reference GetChange). The API's own view (what listings show)
 *   changes at once; what resolvers see (the edge, where the invariants are
 *   checked) changes when the change is INSYNC, as a whole, since the batch
 *   is atomic, and in the order the zone accepted the changes (Route 53
 *   processes a zone's changes one after another: PriorRequestNotComplete).
 *   The delay is 0.5–5 s here (the order matters to the invariants, the
 *   length only to how long the calm waits).
 * - **Overlapping passes.** Listings show the zone as it was at the start
 *   of the step ({@linkcode SimRoute53.beginStep}), so two agents in one
 *   step plan from the same listing; the provider's `DELETE` of the set as
 *   listed then fails for the second, as on Route 53, and the batch is
 *   refused whole. An agent's listings after its own change request in the
 *   step show the zone as it is: its request reached the zone after every
 *   change accepted before it, so a re-read after a refusal sees them.
 * - **Throttling.** Route 53 "uses a token bucket algorithm"; all API
 *   requests of an account share a bucket of 50 tokens refilled at 10 a
 *   second, and a throttled request gets HTTP 400, code `Throttling`,
 *   "Rate exceeded" (developer guide, "Throttling for Amazon Route 53 API
 *   requests"): one such bucket, shared by every agent. Random `Throttling`
 *   on top stands for other clients of the account. (The older limit,
 *   "five requests per second, per account", AWS knowledge center "How can
 *   I avoid Route 53 API throttling errors?", throttles the simulator's own
 *   cadence: it runs a full DNS pass per agent every second, where the
 *   agent's DNS loop skips passes that would change nothing.)
 * - **PriorRequestNotComplete.** "If Amazon Route 53 can't process a
 *   request before the next request arrives, it will reject subsequent
 *   requests for the same hosted zone" (HTTP 400, API reference,
 *   ChangeResourceRecordSets errors): a change that arrives while an earlier
 *   one is still being processed (a late commit below) is refused so.
 * - **Faults**, per request, from the seed's rates: 500 `InternalFailure` or
 *   503 `ServiceUnavailable` (nothing applied); lost replies (a change is
 *   applied, then the reply breaks off, so the SDK cannot parse it; a read
 *   meets a connection reset); late commits (the caller times out, the
 *   change still commits up to 4.5 s later, within the 5 s call bound
 *   lib/agent/write_facts.ts assumes, as the fake's "slow" fault does);
 *   403 `InvalidClientTokenId` while an agent's credentials are rejected.
 * @module
 */
import type { Route53Config } from "../../lib/config/types.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import { createRoute53Provider } from "../../lib/dns/route53.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import {
  type FakeRecordSet,
  FakeRoute53State,
  Route53Failure,
} from "../support/fake_route53_state.ts";
import { route53Routes } from "../support/fake_route53_routes.ts";
import { errorDoc } from "../support/fake_route53_xml.ts";
import type { Prng } from "./prng.ts";
import { type ApiFaults, NO_FAULTS } from "./sim_cloudflare.ts";

/** The simulated hosted zone's id. */
export const SIM_ZONE_ID = "Z0SIM53ZONE";
/** The only access key id the simulated API accepts. */
const ACCESS_KEY_ID = "AKIDSIM53";
/** Route 53's endpoint, as the SDK signs for it (nothing is sent there). */
const ENDPOINT = "https://route53.amazonaws.com";
/** The account's request bucket: 50, refilled at 10 a second. */
const BUCKET = 50;
const REFILL_PER_MS = 10 / 1000;

/** One change batch as it reaches the edge (INSYNC). */
export interface SetEdge {
  /** The zone's sets as resolvers saw them before, and after. */
  before: FakeRecordSet[];
  after: FakeRecordSet[];
  /** The agent whose request made it. */
  by: string;
  /** World ms when the request was sent (earlier for a late commit). */
  sentAt: number;
}

/** An agent's access to the API: its credentials may be rejected. */
export interface Route53Access {
  authRejected: boolean;
}

/** The parts of the SDK's `HttpRequest` the simulated API reads. */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** A reply as the SDK's handlers hand it back. */
interface SdkReply {
  response: {
    statusCode: number;
    headers: Record<string, string>;
    body: Uint8Array;
  };
}

/** The SDK's request handler interface, as far as the client calls it. */
export interface SimRequestHandler {
  handle(request: SdkRequest): Promise<SdkReply>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
}

interface Pending {
  at: number;
  after: FakeRecordSet[];
  by: string;
  sentAt: number;
  changeId: string;
}

interface Late {
  at: number;
  sentAt: number;
  by: string;
  url: URL;
  body: string;
}

/** What the API answered, by kind, over a run. */
export interface Route53Stats {
  requests: number;
  changes: number;
  throttled: number;
  prior: number;
  server: number;
  lost: number;
  late: number;
  /** Change requests refused (InvalidChangeBatch, InvalidInput). */
  refused: number;
  authRejected: number;
}

/** The hosted zone: the API's view, the edge, and the faults. */
export class SimRoute53 {
  faults: ApiFaults = NO_FAULTS;
  readonly stats: Route53Stats = {
    requests: 0,
    changes: 0,
    throttled: 0,
    prior: 0,
    server: 0,
    lost: 0,
    late: 0,
    refused: 0,
    authRejected: 0,
  };
  readonly #live: FakeRoute53State;
  readonly #liveRoute: ReturnType<typeof route53Routes>;
  #listedRoute: ReturnType<typeof route53Routes>;
  #edge: FakeRecordSet[];
  #pending: Pending[] = [];
  #late: Late[] = [];
  /** Agents that sent a change request this step (they list the live zone). */
  #wrote = new Set<string>();
  #tokens = BUCKET;
  #tokensAt = 0;
  readonly #rng: Prng;
  readonly #onEdge: (e: SetEdge) => void;
  readonly #now: () => number;

  /**
   * @param rng fault and delay draws
   * @param sets the zone's sets at the start
   * @param onEdge called for every change batch as it reaches the edge
   * @param now the world's time, ms
   */
  constructor(
    rng: Prng,
    sets: FakeRecordSet[],
    onEdge: (e: SetEdge) => void,
    now: () => number,
  ) {
    this.#rng = rng;
    this.#onEdge = onEdge;
    this.#now = now;
    this.#live = new FakeRoute53State([
      { id: SIM_ZONE_ID, name: "example.com", sets },
    ]);
    this.#liveRoute = route53Routes(this.#live);
    this.#listedRoute = this.#liveRoute;
    this.#edge = clone(this.#zoneSets());
  }

  #zoneSets(): FakeRecordSet[] {
    return this.#live.zone(SIM_ZONE_ID).sets;
  }

  /** @returns the sets as resolvers see them now */
  edgeSets(): readonly FakeRecordSet[] {
    return this.#edge;
  }

  /** @returns whether every accepted change has reached the edge */
  idle(): boolean {
    return this.#pending.length === 0 && this.#late.length === 0;
  }

  /** Takes the zone as listings this step show it. */
  beginStep(): void {
    this.#wrote.clear();
    this.#listedRoute = route53Routes(
      new FakeRoute53State([{
        id: SIM_ZONE_ID,
        name: "example.com",
        sets: clone(this.#zoneSets()),
      }]),
    );
  }

  /** Commits the late requests now due, then propagates what is INSYNC. */
  commitDue(): void {
    const now = this.#now();
    const due = this.#late.filter((l) => l.at <= now);
    this.#late = this.#late.filter((l) => l.at > now);
    for (const l of due) {
      try {
        this.#commit(l.by, l.url, l.body, l.sentAt);
      } catch {
        // Refused at commit time (InvalidChangeBatch): nobody hears of it.
        this.stats.refused++;
      }
    }
    while (this.#pending[0] && this.#pending[0].at <= now) {
      const p = this.#pending.shift()!;
      const info = this.#live.changes.get(p.changeId);
      if (info) info.status = "INSYNC";
      const before = this.#edge;
      this.#edge = p.after;
      this.#onEdge({ before, after: p.after, by: p.by, sentAt: p.sentAt });
    }
  }

  /**
   * @param by the agent's name (for traces)
   * @param access its credentials' standing
   * @returns the request handler its SDK client sends through
   */
  handlerFor(by: string, access: Route53Access): SimRequestHandler {
    return {
      handle: (request) => this.#handle(by, access, request),
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
    };
  }

  /**
   * Builds one agent's provider: the real one, over this zone.
   * @param config the agent's `[route53]` section
   * @param by the agent's name
   * @param access its credentials' standing
   * @param handler what its SDK client sends through
   *   @default {@linkcode handlerFor}(by, access)
   */
  providerFor(
    config: Route53Config,
    by: string,
    access: Route53Access,
    handler: SimRequestHandler = this.handlerFor(by, access),
  ): Promise<DnsProvider> {
    return createRoute53Provider(config, {
      logger: silentLogger,
      client: {
        endpoint: ENDPOINT,
        credentials: {
          accessKeyId: ACCESS_KEY_ID,
          secretAccessKey: "simulatedSecretKey",
        },
        requestHandler: handler,
      },
    });
  }

  #handle(
    by: string,
    access: Route53Access,
    req: SdkRequest,
  ): Promise<SdkReply> {
    const now = this.#now();
    const url = urlOf(req);
    const auth = req.headers["authorization"] ?? "";
    const stats = this.stats;
    stats.requests++;
    if (
      access.authRejected ||
      !auth.startsWith(`AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/`)
    ) {
      stats.authRejected++;
      return reply(
        403,
        errorDoc(
          "Sender",
          "InvalidClientTokenId",
          "The security token included in the request is invalid.",
        ),
      );
    }
    if (!this.#takeToken(now)) return throttled(stats);
    const write = req.method === "POST";
    if (write && this.#late.length > 0) {
      stats.prior++;
      return reply(
        400,
        errorDoc(
          "Sender",
          "PriorRequestNotComplete",
          "The request was rejected because Route 53 was still processing a prior request.",
        ),
      );
    }
    const fault = this.#drawFault();
    if (fault === "throttle") return throttled(stats);
    if (fault === "server") {
      stats.server++;
      return this.#rng.chance(0.5)
        ? reply(
          503,
          errorDoc("Receiver", "ServiceUnavailable", "Service unavailable"),
        )
        : reply(
          500,
          errorDoc("Receiver", "InternalFailure", "Internal failure"),
        );
    }
    const body = typeof req.body === "string" ? req.body : "";
    if (!write) {
      if (fault === "lost") {
        stats.lost++;
        return Promise.reject(connectionReset());
      }
      const route = url.pathname.includes("/change/") || this.#wrote.has(by)
        ? this.#liveRoute
        : this.#listedRoute;
      return answer(() => route(req.method, url, body));
    }
    this.#wrote.add(by);
    if (this.#rng.chance(this.faults.late)) {
      const at = now + this.#rng.int(1, 9) * 500;
      this.#late.push({ at, sentAt: now, by, url, body });
      stats.late++;
      return Promise.reject(timedOut());
    }
    const res = answer(() => this.#commit(by, url, body, now), stats);
    if (fault !== "lost") return res;
    stats.lost++;
    // Applied; the reply breaks off (the fake's "drop" fault).
    return res.then(() =>
      reply(200, '<?xml version="1.0"?>\n<ChangeResourceRecordSetsRes')
    );
  }

  /** Applies a change request to the API's view; queues its propagation. */
  #commit(by: string, url: URL, body: string, sentAt: number): string {
    const before = this.#live.changes.size;
    const xml = this.#liveRoute("POST", url, body);
    if (this.#live.changes.size > before) {
      this.stats.changes++;
      const changeId = [...this.#live.changes.keys()].at(-1)!;
      const info = this.#live.changes.get(changeId)!;
      // GetChange says PENDING until the change reaches the edge.
      info.pendingReads = Number.POSITIVE_INFINITY;
      const last = this.#pending.at(-1)?.at ?? 0;
      const at = Math.max(last, this.#now() + this.#rng.int(1, 10) * 500);
      this.#pending.push({
        at,
        after: clone(this.#zoneSets()),
        by,
        sentAt,
        changeId,
      });
    }
    return xml;
  }

  #takeToken(now: number): boolean {
    this.#tokens = Math.min(
      BUCKET,
      this.#tokens + (now - this.#tokensAt) * REFILL_PER_MS,
    );
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  #drawFault(): "throttle" | "server" | "lost" | null {
    const f = this.faults;
    const x = this.#rng.next();
    if (x < f.rateLimited) return "throttle";
    if (x < f.rateLimited + f.server) return "server";
    if (x < f.rateLimited + f.server + f.lostReply) return "lost";
    return null;
  }
}

/**
 * The zone every Route 53 run starts with: per managed name an A set of
 * most IPv4 targets and an AAAA set of the IPv6 one (a set none of whose
 * values were drawn is absent, so a restore must CREATE it), each with its
 * own TTL; outside the managed set: another IP in the second name's A set
 * (so only the first can be emptied), a TXT set per name, a simple set of
 * another name holding a managed IP, and a weighted (routing policy) pair.
 * @param rng draws
 * @param names fully qualified managed names
 * @param ips the managed IPs
 */
export function route53Sets(
  rng: Prng,
  names: readonly string[],
  ips: readonly string[],
): FakeRecordSet[] {
  const sets: FakeRecordSet[] = [];
  names.forEach((name, i) => {
    for (const type of ["A", "AAAA"] as const) {
      const values = ips.filter((ip) =>
        (ip.includes(":") ? "AAAA" : "A") === type && !rng.chance(0.1)
      );
      if (type === "A" && i > 0) values.push("203.0.113.9");
      if (values.length === 0) continue;
      sets.push({
        Name: name,
        Type: type,
        TTL: rng.pick([60, 300, 3600]),
        ResourceRecords: values,
      });
    }
    sets.push({
      Name: name,
      Type: "TXT",
      TTL: 300,
      ResourceRecords: ['"v=spf1 -all"'],
    });
  });
  const zone = names[0]!.split(".").slice(1).join(".");
  sets.push({
    Name: `other.${zone}`,
    Type: "A",
    TTL: 60,
    ResourceRecords: [ips[0]!],
  });
  for (const [id, ip] of [["one", ips[0]!], ["two", ips[1]!]]) {
    sets.push({
      Name: `weighted.${zone}`,
      Type: "A",
      TTL: 60,
      SetIdentifier: id,
      Weight: 50,
      ResourceRecords: [ip!],
    });
  }
  return sets;
}

function clone(sets: readonly FakeRecordSet[]): FakeRecordSet[] {
  return sets.map((s) => structuredClone(s));
}

function urlOf(req: SdkRequest): URL {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x !== null) q.append(k, x);
    }
  }
  const qs = q.toString();
  return new URL(`${ENDPOINT}${req.path}${qs ? `?${qs}` : ""}`);
}

const encoder = new TextEncoder();

function reply(status: number, text: string): Promise<SdkReply> {
  return Promise.resolve({
    response: {
      statusCode: status,
      headers: { "content-type": "text/xml" },
      body: encoder.encode(text),
    },
  });
}

/** Runs a route; its API errors become error replies. */
function answer(
  route: () => string,
  stats?: Route53Stats,
): Promise<SdkReply> {
  try {
    return reply(200, route());
  } catch (e) {
    if (!(e instanceof Route53Failure)) throw e;
    if (stats) stats.refused++;
    return reply(e.status, errorDoc("Sender", e.code, e.message));
  }
}

function throttled(stats: Route53Stats): Promise<SdkReply> {
  stats.throttled++;
  return reply(400, errorDoc("Sender", "Throttling", "Rate exceeded"));
}

/** What the SDK's Node.js handler throws when the socket times out. */
function timedOut(): Error {
  return Object.assign(new Error("the request socket timed out"), {
    name: "TimeoutError",
  });
}

function connectionReset(): Error {
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}
