/**
 * In-memory zones and records of the fake Cloudflare API, with the real
 * envelope and error codes, plus tracking of names that ever went empty.
 * @module
 */
import { proxyRefusal } from "./fake_cloudflare_proxy.ts";

import {
  refuseTakenName,
  validateRecordFields,
} from "./fake_cloudflare_limits.ts";

/** A record as a test sets it up. */
export interface FakeRecordInput {
  id?: string;
  type: string;
  name: string;
  content: string;
  ttl?: number;
  proxied?: boolean;
  comment?: string | null;
  tags?: string[];
  settings?: Record<string, unknown>;
  private_routing?: boolean;
}

/**
 * A zone's plan, for the limits that depend on it: comment length, tags and
 * operations per batch.
 */
export type FakePlan = "free" | "pro" | "business" | "enterprise";

/** A zone as a test sets it up. */
export interface FakeZoneInput {
  id?: string;
  name: string;
  records?: FakeRecordInput[];
  /** @default "enterprise" (the loosest limits) */
  plan?: FakePlan;
  /** Records the zone may hold; creates beyond it fail with 81045. */
  recordQuota?: number;
  /** @default "active" */
  status?: ZoneStatus;
  /** The owning account. @default {@linkcode DEFAULT_ACCOUNT} */
  account?: { id: string; name: string };
}

/** One A/AAAA record as the edge serves it. */
export interface EdgeRecord {
  name: string;
  type: string;
  content: string;
}

/**
 * Zone statuses (cloudflare-typescript `src/resources/zones/zones.ts`,
 * `Zone.status`; https://developers.cloudflare.com/dns/zone-setups/reference/domain-status/).
 */
export type ZoneStatus = "initializing" | "pending" | "active" | "moved";

/** The account zones belong to unless a test says otherwise. */
export const DEFAULT_ACCOUNT = {
  id: "0123456789abcdef0123456789abcdef",
  name: "Test account",
};

/** A record as the API returns it. */
export interface ApiRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  private_routing: boolean;
  meta: Record<string, never>;
  created_on: string;
  modified_on: string;
}

/** A zone held by the fake. */
export interface FakeZone {
  id: string;
  name: string;
  status: ZoneStatus;
  account: { id: string; name: string };
  records: Map<string, ApiRecord>;
  plan: FakePlan;
  recordQuota: number | undefined;
}

/** A Cloudflare-style API failure. */
export class ApiFailure extends Error {
  /**
   * @param status HTTP status
   * @param code Cloudflare error code
   */
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain: readonly { code: number; message: string }[] = [],
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** The Cloudflare success envelope. */
export function envelope(result: unknown, resultInfo?: unknown): unknown {
  return {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo ? { result_info: resultInfo } : {}),
  };
}

/** The Cloudflare error envelope. */
export function errorEnvelope(
  code: number,
  message: string,
  chain: readonly { code: number; message: string }[] = [],
): unknown {
  return {
    success: false,
    errors: [{
      code,
      message,
      ...(chain.length ? { error_chain: chain } : {}),
    }],
    messages: [],
    result: null,
  };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Zones, records and the empty-name tracker. */
export class FakeState {
  /** Zones by id. */
  readonly zones = new Map<string, FakeZone>();
  /** Names that had A/AAAA records and then, after a mutation, had none. */
  readonly emptied: string[] = [];
  /**
   * The A/AAAA records the edge served after each single change, starting
   * with the initial state. A batch adds one state per operation, because
   * each change reaches the edge on its own.
   */
  readonly edge: EdgeRecord[][] = [];

  /** @param zones initial zones and records */
  constructor(zones: readonly FakeZoneInput[] = []) {
    for (const z of zones) {
      const zone: FakeZone = {
        id: z.id ?? randomId(),
        name: z.name,
        status: z.status ?? "active",
        account: z.account ?? DEFAULT_ACCOUNT,
        records: new Map(),
        plan: z.plan ?? "enterprise",
        recordQuota: z.recordQuota,
      };
      this.zones.set(zone.id, zone);
      for (const r of z.records ?? []) this.#insert(zone, r);
    }
    this.#recordEdge();
  }

  /**
   * @returns the fewest records `name` had of `type` at any edge state
   */
  minRecordsSeen(name: string, type: string): number {
    let min = Infinity;
    for (const state of this.edge) {
      const n = state.filter((r) => r.name === name && r.type === type).length;
      min = Math.min(min, n);
    }
    return min === Infinity ? 0 : min;
  }

  #recordEdge(): void {
    const state: EdgeRecord[] = [];
    for (const z of this.zones.values()) {
      for (const r of z.records.values()) {
        if (r.type !== "A" && r.type !== "AAAA") continue;
        state.push({ name: r.name, type: r.type, content: r.content });
      }
    }
    this.edge.push(state);
  }

  /** @returns the zone, or a 404-style failure. */
  zone(id: string): FakeZone {
    const z = this.zones.get(id);
    if (!z) {
      throw new ApiFailure(
        404,
        7003,
        "Could not route to /zones, perhaps your object identifier is invalid?",
      );
    }
    return z;
  }

  /** @returns every record of a name (any type), sorted by id. */
  recordsOf(name: string): ApiRecord[] {
    const out: ApiRecord[] = [];
    for (const z of this.zones.values()) {
      for (const r of z.records.values()) if (r.name === name) out.push(r);
    }
    return out;
  }

  /** Checks a create is valid and not a duplicate; throws ApiFailure. */
  validateCreate(zone: FakeZone, input: Partial<FakeRecordInput>): void {
    if (!input.type || !input.name || input.content === undefined) {
      throw new ApiFailure(
        400,
        9000,
        "DNS record type, name and content are required.",
      );
    }
    if (input.type === "A" && !/^\d{1,3}(\.\d{1,3}){3}$/.test(input.content)) {
      throw new ApiFailure(
        400,
        9005,
        "Content for A record must be a valid IPv4 address.",
      );
    }
    if (input.type === "AAAA" && !input.content.includes(":")) {
      throw new ApiFailure(
        400,
        9006,
        "Content for AAAA record must be a valid IPv6 address.",
      );
    }
    const proxy = proxyRefusal(input);
    if (proxy) throw new ApiFailure(400, proxy.code, proxy.message);
    for (const r of zone.records.values()) {
      if (
        r.type === input.type && r.name === input.name.toLowerCase() &&
        r.content === input.content
      ) {
        throw new ApiFailure(400, 81058, "An identical record already exists.");
      }
    }
  }

  /** Creates a record (validated) and returns it. */
  create(zone: FakeZone, input: Partial<FakeRecordInput>): ApiRecord {
    this.validateCreate(zone, input);
    validateRecordFields(zone, input);
    refuseTakenName(zone, input as FakeRecordInput);
    if (
      zone.recordQuota !== undefined && zone.records.size >= zone.recordQuota
    ) {
      // https://github.com/js-org/js.org/issues/2873
      throw new ApiFailure(400, 81045, "Record quota exceeded.");
    }
    const record = this.#insert(zone, input as FakeRecordInput);
    this.#recordEdge();
    return record;
  }

  /** @returns the record, or the 81044 failure. */
  get(zone: FakeZone, id: string): ApiRecord {
    const r = zone.records.get(id);
    if (!r) throw new ApiFailure(404, 81044, "Record does not exist.");
    return r;
  }

  /** Deletes a record; 81044 when missing. */
  delete(zone: FakeZone, id: string): ApiRecord {
    const r = this.get(zone, id);
    zone.records.delete(id);
    this.#recordEdge();
    return r;
  }

  /** Merges fields into a record (PATCH) or replaces them (PUT). */
  edit(
    zone: FakeZone,
    id: string,
    input: Partial<FakeRecordInput>,
    replace: boolean,
  ): ApiRecord {
    const r = this.get(zone, id);
    validateRecordFields(zone, { ...r, ...definedOnly(input) });
    const next: ApiRecord = {
      ...r,
      ...(replace ? { comment: null, tags: [], ttl: 1, proxied: false } : {}),
      ...definedOnly(input),
      id: r.id,
      modified_on: new Date().toISOString(),
    };
    next.name = next.name.toLowerCase();
    zone.records.set(id, next);
    this.#recordEdge();
    return next;
  }

  /** Records, after a mutation, which of `names` hold no A/AAAA record. */
  track(names: Iterable<string>): void {
    for (const name of new Set(names)) {
      const n = this.recordsOf(name).filter((r) =>
        r.type === "A" || r.type === "AAAA"
      );
      if (n.length === 0) this.emptied.push(name);
    }
  }

  #insert(zone: FakeZone, input: FakeRecordInput): ApiRecord {
    const now = new Date().toISOString();
    const record: ApiRecord = {
      id: input.id ?? randomId(),
      zone_id: zone.id,
      zone_name: zone.name,
      type: input.type,
      name: input.name.toLowerCase(),
      content: input.content,
      // A proxied record's TTL is always Auto (1): see validateRecordFields.
      ttl: input.proxied ? 1 : input.ttl ?? 1,
      proxied: input.proxied ?? false,
      proxiable: true,
      comment: input.comment ?? null,
      tags: [...(input.tags ?? [])],
      settings: structuredClone(input.settings ?? {}),
      private_routing: input.private_routing ?? false,
      meta: {},
      created_on: now,
      modified_on: now,
    };
    zone.records.set(record.id, record);
    return record;
  }
}

function definedOnly(input: Partial<FakeRecordInput>): Partial<ApiRecord> {
  const out: Record<string, unknown> = {};
  for (
    const key of [
      "type",
      "name",
      "content",
      "ttl",
      "proxied",
      "comment",
      "tags",
      "settings",
      "private_routing",
    ] as const
  ) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  return out as Partial<ApiRecord>;
}

/**
 * Filters a zone's records by the list query (`name`, `name.exact`, `type`,
 * `content`, `content.exact`).
 */
export function filterRecords(
  zone: FakeZone,
  query: Record<string, string>,
): ApiRecord[] {
  const name = (query["name.exact"] ?? query.name)?.toLowerCase();
  const content = query["content.exact"] ?? query.content;
  return [...zone.records.values()].filter((r) =>
    (name === undefined || r.name === name) &&
    (query.type === undefined || r.type === query.type) &&
    (content === undefined || r.content.toLowerCase() === content.toLowerCase())
  );
}
