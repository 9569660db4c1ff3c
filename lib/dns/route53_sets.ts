/**
 * Pure mapping between Route 53 record sets and goavail's per-record model.
 *
 * Route 53 holds one A (or AAAA) *set* per name with several values, and
 * replaces a set as a whole. goavail's write unit decides per record
 * ("remove 203.0.113.12 from www", "restore 192.0.2.10"); this module turns
 * one pass's decisions on a set into changes computed from a fresh listing.
 * A set is never deleted and never left without a value.
 *
 * **A change is a compare-and-swap.** A set that exists is changed by a
 * `DELETE` of the set exactly as listed (TTL, values, every attribute)
 * followed by a `CREATE` of the new set (the same attributes, the new
 * values), in the same `ChangeResourceRecordSets` batch; a set that is gone
 * by a `CREATE` alone. Route 53 checks the `DELETE`: "To delete a resource
 * record set, you must specify all the same values that you specified when
 * you created it", and a batch is transactional: "Route 53 validates the
 * changes in the request and then either makes all or none of the changes
 * in the change batch request ... If validation for either the DELETE or
 * the CREATE action fails, then the request is canceled" (API reference,
 * ChangeResourceRecordSets, "Deleting Resource Record Sets" and "Change
 * Batches and Transactional Changes"). So the set never goes absent, and a
 * set another client changed since the listing makes Route 53 refuse the
 * whole batch with `InvalidChangeBatch` ("Tried to delete resource record
 * set [...] but the values provided do not match the current values" / "...
 * but it was not found"; "Tried to create ... but it already exists" for a
 * set that came back): nothing is ever written from a stale listing. An
 * `UPSERT` could not notice: it replaces whatever the set holds by then, so
 * a writer that listed before another's change would put back a value the
 * other had just withdrawn. The same pairing is what kubernetes-sigs/
 * external-dns sends to Route 53 to change a record's type ("a batched
 * DELETE and CREATE", pull request 1867).
 *
 * Sets with a routing policy (a `SetIdentifier`: weighted, latency,
 * failover, geolocation, multivalue answer) and alias sets are refused, per
 * name: their values are not interchangeable copies of one answer (a
 * weighted set's share, a failover set's role), so taking one value out
 * changes routing in ways the never-empty and blast-radius guards, which
 * count a name's records, cannot see; and a set of one value could only be
 * withdrawn by a `DELETE`, which would drop its routing policy. Route 53's
 * own health checks are the tool for those sets.
 * @module
 */
import {
  canonicalIp,
  type Change,
  DnsProviderError,
  type DnsRecord,
  type RecordType,
} from "./provider.ts";

/** The parts of an SDK `ResourceRecordSet` this module reads. */
export interface RawRecordSet {
  Name?: string | undefined;
  Type?: string | undefined;
  TTL?: number | undefined;
  SetIdentifier?: string | undefined;
  AliasTarget?: unknown;
  ResourceRecords?: { Value?: string | undefined }[] | undefined;
  [attribute: string]: unknown;
}

/** One change of a `ChangeResourceRecordSets` batch. */
export interface SetChange {
  Action: "CREATE" | "DELETE";
  ResourceRecordSet: RawRecordSet;
}

/** What one set's changes came to. */
export interface SetPlan {
  /**
   * The changes to send, in order and in one batch: `DELETE` of the set as
   * listed then `CREATE` of the new set, or a lone `CREATE` of a set that
   * is gone; empty when the set already holds what is asked.
   */
  changes: SetChange[];
  /** Changes already in effect (nothing to send for them). */
  already: Change[];
  /** Changes carried by `changes`. */
  sent: Change[];
  /** Changes refused, with why. */
  refused: { change: Change; error: DnsProviderError }[];
}

/**
 * @param name a name as Route 53 lists it ("www.example.com.", with
 *   `\ooo` escapes for unusual characters)
 * @returns lower case, no trailing dot, escapes decoded
 */
export function normalName(name: string): string {
  return name.replace(
    /\\(\d{3})/g,
    (_, o) => String.fromCharCode(parseInt(o, 8)),
  )
    .toLowerCase().replace(/\.$/, "");
}

/** @returns the key of a name's set of one type: `www.example.com|A` */
export function setKey(name: string, type: string): string {
  return `${name}|${type}`;
}

/** @returns whether a set has a routing policy or is an alias */
export function isRoutingSet(set: RawRecordSet): boolean {
  return set.SetIdentifier !== undefined || set.AliasTarget !== undefined;
}

/**
 * @param set a listed A/AAAA set without routing policy
 * @param zoneId its hosted zone
 * @returns one record per value, each carrying the set
 */
export function recordsOfSet(set: RawRecordSet, zoneId: string): DnsRecord[] {
  const name = normalName(set.Name ?? "");
  const type = set.Type as RecordType;
  const values = valuesOf(set);
  return values.map((content) => ({
    id: `${zoneId}/${name}/${type}`,
    type,
    name,
    content,
    ttl: set.TTL ?? 0,
    proxied: false,
    comment: null,
    tags: [],
    recordSet: { zoneId, values: [...values] },
  }));
}

/** @returns the canonical values of a set, in the order listed */
export function valuesOf(set: RawRecordSet): string[] {
  return (set.ResourceRecords ?? []).map((r) => canonicalIp(r.Value ?? ""));
}

/**
 * Merges one pass's changes on one name and type into one change.
 * @param changes the changes on this set (all the same name and type)
 * @param sets every set listed at this name and type, fresh
 * @returns what to send and the outcome of each change
 */
export function planSet(
  changes: readonly Change[],
  sets: readonly RawRecordSet[],
): SetPlan {
  const plan: SetPlan = { changes: [], already: [], sent: [], refused: [] };
  const first = changes[0];
  if (!first) return plan;
  const { name, type } = first.record;
  const routing = sets.find(isRoutingSet);
  if (routing) {
    const why = routing.SetIdentifier !== undefined
      ? `a routing policy (SetIdentifier ${
        JSON.stringify(routing.SetIdentifier)
      })`
      : "an alias target";
    const error = new DnsProviderError(
      "bad_request",
      `Route 53 record set ${name} ${type} has ${why}; goavail manages simple record sets only (remove the name from "route53.hostnames", or use Route 53 health checks for it)`,
    );
    plan.refused = changes.map((change) => ({ change, error }));
    return plan;
  }
  const set = sets[0];
  // Values as listed, so values goavail does not manage keep their text.
  const next = (set?.ResourceRecords ?? []).map((r) => r.Value ?? "");
  const pending: Change[] = [];
  const listedNow = new Set(next.map(canonicalIp));
  const deleting = new Set(
    changes.filter((c) => c.kind === "delete").map((c) =>
      canonicalIp(c.record.content)
    ),
  );
  for (const change of changes) {
    const ip = canonicalIp(change.record.content);
    const at = next.findIndex((v) => canonicalIp(v) === ip);
    if (change.kind === "delete" ? at < 0 : at >= 0) {
      plan.already.push(change);
      continue;
    }
    const lost = change.kind === "delete"
      ? lostSince(change.record.recordSet?.values, listedNow, deleting)
      : [];
    if (lost.length > 0) {
      plan.refused.push({ change, error: lostValues(name, type, lost) });
      continue;
    }
    if (change.kind === "delete") next.splice(at, 1);
    else next.push(ip);
    pending.push(change);
  }
  if (next.length === 0 && pending.length > 0) {
    const error = new DnsProviderError(
      "bad_request",
      `Route 53 record set ${name} ${type} would be left without a value; not removing its last one`,
    );
    plan.refused.push(...pending.map((change) => ({ change, error })));
    return plan;
  }
  if (pending.length === 0) return plan;
  plan.sent = pending;
  const records = next.map((Value) => ({ Value }));
  plan.changes = set
    ? [
      { Action: "DELETE", ResourceRecordSet: set },
      {
        Action: "CREATE",
        ResourceRecordSet: { ...set, ResourceRecords: records },
      },
    ]
    : [{
      Action: "CREATE",
      ResourceRecordSet: {
        Name: `${name}.`,
        Type: type,
        TTL: first.record.ttl,
        ResourceRecords: records,
      },
    }];
  return plan;
}

/**
 * The values of the set the write decision judged (the listing its guards
 * counted, carried by each record) that are gone now, other than this
 * pass's own deletes: another writer withdrew them since. A delete judged
 * against more values than the set holds could take a name below
 * `min_records`, which the guards never saw, so it waits for the next
 * pass, whose guards count the set as it is.
 */
function lostSince(
  judged: readonly string[] | undefined,
  listedNow: ReadonlySet<string>,
  deleting: ReadonlySet<string>,
): string[] {
  return (judged ?? []).map(canonicalIp).filter((v) =>
    !listedNow.has(v) && !deleting.has(v)
  );
}

function lostValues(
  name: string,
  type: string,
  lost: readonly string[],
): DnsProviderError {
  return new DnsProviderError(
    "conflict",
    `Route 53 record set ${name} ${type} lost ${
      lost.join(", ")
    } since the listing the guards judged (another writer); not removing more until the next pass counts it again`,
  );
}
