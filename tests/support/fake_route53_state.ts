/**
 * The fake Route 53's data: hosted zones, their record sets and submitted
 * changes, with ChangeResourceRecordSets validated as strictly as the real
 * API. Sources, Route 53 API reference
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/):
 * - API_ChangeResourceRecordSets: a batch is transactional ("either makes
 *   all or none of the changes"); at most 100 Change elements; deleting
 *   the same set twice in one batch is an InvalidChangeBatch; "to delete a
 *   resource record set, you must specify all the same values that you
 *   specified when you created it" (the fake compares name, type, set
 *   identifier, weight, TTL, alias target and the values, as a set: an
 *   RRset has no order, RFC 2181 section 5; floci-io/floci pull request
 *   3565 models Route 53 the same way). Changes apply in order on a copy
 *   of the zone, so a `DELETE` then a `CREATE` of the same set in one batch
 *   replaces it (the API reference's own example deletes a CNAME and
 *   creates an alias of the same name in one batch; external-dns changes
 *   a record's type so, pull request 1867); any other repeat of a set in
 *   one batch is refused.
 * - API_Change: CREATE of an existing set fails; UPSERT creates or
 *   replaces; DELETE of a missing set fails.
 * - API_ResourceRecordSet: TTL 0..2147483647; ResourceRecords has at
 *   least one member.
 * - API_ListResourceRecordSets: sets are listed "in ASCII order, beginning
 *   at a specified name and type", names compared with labels reversed
 *   ("com.example.www"); `maxitems` at most 300.
 * The InvalidChangeBatch wording ("Tried to create resource record set
 * [name='www.example.com.', type='A'] but it already exists", "... but it
 * was not found", "... but the values provided do not match the current
 * values") is AWS's, as quoted in aws/aws-sdk-kotlin pull request 1435 and
 * https://deverrors.com/errors/route53-invalid-change-batch.
 * @module
 */
import { canonicalIp as canonicalText } from "../../lib/net/ip.ts";

/** A record set as the fake stores it (names fully qualified, with the dot). */
export interface FakeRecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  SetIdentifier?: string;
  Weight?: number;
  AliasTarget?: { HostedZoneId: string; DNSName: string };
  ResourceRecords?: string[];
}

/** A hosted zone to start with. */
export interface FakeZoneInput {
  /** e.g. "Z0123456789ABC" */
  id: string;
  /** e.g. "example.com" (the trailing dot is added) */
  name: string;
  private?: boolean;
  sets?: FakeRecordSet[];
}

/** A stored zone. */
export interface FakeZone {
  id: string;
  name: string;
  private: boolean;
  sets: FakeRecordSet[];
}

/** A submitted change batch. */
export interface FakeChangeInfo {
  id: string;
  status: "PENDING" | "INSYNC";
  submittedAt: string;
  /** GetChange calls until INSYNC. */
  pendingReads: number;
}

/** An error the API answers with. */
export class Route53Failure extends Error {
  /**
   * @param status HTTP status
   * @param code AWS error code, e.g. "InvalidChangeBatch"
   * @param message AWS's message
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One requested change, parsed. */
export interface ChangeRequest {
  action: string;
  set: FakeRecordSet;
}

/** @returns `name` fully qualified, lower case, with the trailing dot */
export function dotted(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith(".") ? n : `${n}.`;
}

/** Sort key of a name: labels reversed, as Route 53 orders them. */
export function reversedName(name: string): string {
  return dotted(name).replace(/\.$/, "").split(".").reverse().join(".");
}

/** Orders sets as ListResourceRecordSets lists them. */
export function compareSets(a: FakeRecordSet, b: FakeRecordSet): number {
  const ka = [reversedName(a.Name), a.Type, a.SetIdentifier ?? ""];
  const kb = [reversedName(b.Name), b.Type, b.SetIdentifier ?? ""];
  for (let i = 0; i < 3; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

function describe(s: FakeRecordSet): string {
  return `[name='${dotted(s.Name)}', type='${s.Type}'${
    s.SetIdentifier !== undefined ? `, set-identifier='${s.SetIdentifier}'` : ""
  }]`;
}

function sameSet(a: FakeRecordSet, b: FakeRecordSet): boolean {
  return dotted(a.Name) === dotted(b.Name) && a.Type === b.Type &&
    (a.SetIdentifier ?? null) === (b.SetIdentifier ?? null);
}

function equalSets(a: FakeRecordSet, b: FakeRecordSet): boolean {
  return JSON.stringify(normalised(a)) === JSON.stringify(normalised(b));
}

function normalised(s: FakeRecordSet): unknown {
  return [
    dotted(s.Name),
    s.Type,
    s.SetIdentifier,
    s.Weight,
    s.TTL,
    s.ResourceRecords && [...s.ResourceRecords].sort(),
    s.AliasTarget?.HostedZoneId,
    s.AliasTarget?.DNSName,
  ];
}

/** The fake's zones and changes. */
export class FakeRoute53State {
  readonly zones = new Map<string, FakeZone>();
  readonly changes = new Map<string, FakeChangeInfo>();
  /** `name type` of every set that disappeared from a managed name. */
  readonly emptied: string[] = [];
  #nextChange = 1;

  /** @param zones the starting zones */
  constructor(zones: FakeZoneInput[] = []) {
    for (const z of zones) {
      this.zones.set(z.id, {
        id: z.id,
        name: dotted(z.name),
        private: z.private ?? false,
        sets: (z.sets ?? []).map((s) => ({ ...s, Name: dotted(s.Name) }))
          .sort(compareSets),
      });
    }
  }

  /** @throws {Route53Failure} NoSuchHostedZone */
  zone(id: string): FakeZone {
    const z = this.zones.get(id.replace(/^\/hostedzone\//, ""));
    if (!z) {
      throw new Route53Failure(
        404,
        "NoSuchHostedZone",
        `No hosted zone found with ID: ${id}`,
      );
    }
    return z;
  }

  /** @returns the values of a name's set of one type (simple sets only) */
  values(zoneId: string, name: string, type: string): string[] | undefined {
    return this.zone(zoneId).sets.find((s) =>
      s.Name === dotted(name) && s.Type === type &&
      s.SetIdentifier === undefined
    )?.ResourceRecords;
  }

  /**
   * Validates and commits a change batch, all or nothing.
   * @returns the new change's info
   * @throws {Route53Failure} InvalidChangeBatch / InvalidInput
   */
  apply(zoneId: string, requests: ChangeRequest[]): FakeChangeInfo {
    const zone = this.zone(zoneId);
    if (requests.length === 0 || requests.length > 100) {
      throw new Route53Failure(
        400,
        "InvalidInput",
        `1 validation error detected: Value at 'changeBatch.changes' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1`,
      );
    }
    const errors: string[] = [];
    const sets = zone.sets.map((s) => ({ ...s }));
    const touched: ChangeRequest[] = [];
    requests.forEach((r, i) => {
      const bad = this.#invalid(zone, r, i + 1);
      if (bad) throw bad;
      const earlier = touched.filter((t) => sameSet(t.set, r.set));
      const replaces = r.action === "CREATE" && earlier.length === 1 &&
        earlier[0]!.action === "DELETE";
      if (earlier.length > 0 && !replaces) {
        errors.push(
          `The request contains an invalid set of changes for a resource record set '${r.set.Type} ${
            dotted(r.set.Name)
          }'`,
        );
        return;
      }
      touched.push(r);
      const values = r.action === "DELETE" ? [] : badValues(r.set);
      if (values.length > 0) {
        errors.push(...values);
        return;
      }
      const at = sets.findIndex((s) => sameSet(s, r.set));
      const tried = `Tried to ${r.action.toLowerCase()} resource record set ${
        describe(r.set)
      } but`;
      if (r.action === "CREATE") {
        if (at >= 0) errors.push(`${tried} it already exists`);
        else sets.push(r.set);
      } else if (r.action === "DELETE") {
        if (at < 0) errors.push(`${tried} it was not found`);
        else if (!equalSets(sets[at]!, r.set)) {
          errors.push(
            `${tried} the values provided do not match the current values`,
          );
        } else sets.splice(at, 1);
      } else if (at >= 0) sets[at] = r.set;
      else sets.push(r.set);
    });
    if (errors.length > 0) {
      throw new Route53Failure(
        400,
        "InvalidChangeBatch",
        `[${errors.join(", ")}]`,
      );
    }
    for (const before of zone.sets) {
      if (!sets.some((s) => s.Name === before.Name && s.Type === before.Type)) {
        this.emptied.push(`${before.Name.replace(/\.$/, "")} ${before.Type}`);
      }
    }
    zone.sets = sets.sort(compareSets);
    const id = `C${String(this.#nextChange++).padStart(12, "0")}`;
    const info: FakeChangeInfo = {
      id,
      status: "PENDING",
      submittedAt: new Date().toISOString(),
      pendingReads: 1,
    };
    this.changes.set(id, info);
    return info;
  }

  /** A request-level problem (the whole request is refused). */
  #invalid(zone: FakeZone, r: ChangeRequest, n: number): Route53Failure | null {
    const s = r.set;
    const where = `changeBatch.changes.${n}.member.resourceRecordSet`;
    if (!["CREATE", "DELETE", "UPSERT"].includes(r.action)) {
      return new Route53Failure(
        400,
        "InvalidInput",
        `1 validation error detected: Value '${r.action}' at 'changeBatch.changes.${n}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]`,
      );
    }
    const name = dotted(s.Name);
    if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
      return new Route53Failure(
        400,
        "InvalidChangeBatch",
        `[RRSet with DNS name ${name} is not permitted in zone ${zone.name}]`,
      );
    }
    if (s.AliasTarget) return null;
    if (s.TTL === undefined || s.ResourceRecords === undefined) {
      return new Route53Failure(
        400,
        "InvalidInput",
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${r.action}, Name=${name}, Type=${s.Type}, SetIdentifier=${
          s.SetIdentifier ?? null
        }]`,
      );
    }
    if (s.ResourceRecords.length === 0) {
      return new Route53Failure(
        400,
        "InvalidInput",
        `1 validation error detected: Value '[]' at '${where}.resourceRecords' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    if (s.TTL < 0 || s.TTL > 2147483647) {
      return new Route53Failure(
        400,
        "InvalidInput",
        `1 validation error detected: Value '${s.TTL}' at '${where}.TTL' failed to satisfy constraint: Member must have value less than or equal to 2147483647`,
      );
    }
    return null;
  }
}

/** Record-level checks of values (Route 53 words them per value). */
function badValues(s: FakeRecordSet): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of s.ResourceRecords ?? []) {
    const ip = canonicalText(v);
    const family = ip?.includes(":") ? "AAAA" : "A";
    if (!ip || family !== s.Type) {
      out.push(
        `Invalid Resource Record: 'FATAL problem: ${
          s.Type === "A"
            ? "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
            : "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
        } encountered with '${v}''`,
      );
    } else if (seen.has(ip)) out.push(`Duplicate Resource Record: '${v}'`);
    else seen.add(ip);
  }
  return out;
}
