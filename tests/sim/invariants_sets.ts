/**
 * The invariants on Route 53's record-set model. A change batch reaches the
 * edge as a whole ({@linkcode SetEdge}); it is checked twice:
 *
 * - per set: a managed set (a managed name, A or AAAA, no routing policy)
 *   is never deleted (I1) and keeps its TTL and every other attribute but
 *   its values (I4: a restored value comes back with the set's TTL
 *   unchanged); any other set (other names and types, routing-policy and
 *   alias sets) is never touched (I6);
 * - per value: each value removed from or added to a managed set is one
 *   delete or create for {@linkcode Truth.edge} (I1 counts, I2, I3, I4 and
 *   I6 for values outside the managed IPs), all judged against the zone
 *   after the whole batch, since it is atomic.
 * @module
 */
import { canonicalIp } from "../../lib/dns/provider.ts";
import type { FakeRecordSet } from "../support/fake_route53_state.ts";
import type { Truth, Violation } from "./invariants.ts";
import type { ZoneRecord } from "./sim_cloudflare.ts";
import type { SetEdge } from "./sim_route53.ts";

/** @returns `www.example.com.` as the simulator names it: no dot */
function bare(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

function valueOf(set: FakeRecordSet, v: string): string {
  return set.Type === "A" || set.Type === "AAAA" ? canonicalIp(v) : v;
}

/**
 * @param sets record sets
 * @returns one record per value, as the Cloudflare invariants count them
 *   (the set's TTL on each value, ids stable per name, type and value)
 */
export function setRecords(sets: readonly FakeRecordSet[]): ZoneRecord[] {
  return sets.flatMap((s) =>
    (s.ResourceRecords ?? []).map((v) => {
      const name = bare(s.Name);
      const content = valueOf(s, v);
      return {
        id: `${name}|${s.Type}|${s.SetIdentifier ?? ""}|${content}`,
        type: s.Type,
        name,
        content,
        ttl: s.TTL ?? 0,
        proxied: false,
        comment: null,
        tags: [],
      };
    })
  );
}

const keyOf = (s: FakeRecordSet) =>
  `${bare(s.Name)}|${s.Type}|${s.SetIdentifier ?? ""}`;

/** @returns the set without its values, for comparing attributes */
function attributes(s: FakeRecordSet): string {
  const { ResourceRecords: _values, ...rest } = s;
  return JSON.stringify(
    Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a < b ? -1 : 1)),
  );
}

/**
 * Checks one change batch as it reaches the edge.
 * @param truth the run's ground truth (violations go there)
 * @param e the batch
 * @param now world ms
 * @param names the managed names
 * @param onChange told of each value's change before it is checked
 */
export function checkSetEdge(
  truth: Truth,
  e: SetEdge,
  now: number,
  names: readonly string[],
  onChange: (kind: "delete" | "create", record: ZoneRecord) => void,
): void {
  const managed = (s: FakeRecordSet) =>
    names.includes(bare(s.Name)) && (s.Type === "A" || s.Type === "AAAA") &&
    s.SetIdentifier === undefined && s.AliasTarget === undefined;
  const fail = (invariant: Violation["invariant"], detail: string) =>
    truth.violations.push({ invariant, detail, atMs: now });
  const before = new Map(e.before.map((s) => [keyOf(s), s]));
  const after = new Map(e.after.map((s) => [keyOf(s), s]));
  const zone = setRecords(e.after);
  const changes: { kind: "delete" | "create"; record: ZoneRecord }[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(key);
    const is = after.get(key);
    const set = (was ?? is)!;
    const what = `set ${key} by ${e.by}`;
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    if (!managed(set)) {
      fail("I6", `${what}: a set outside the managed set changed`);
      continue;
    }
    if (!is) {
      fail("I1", `${what}: the set was deleted`);
      continue;
    }
    if (was && attributes(was) !== attributes(is)) {
      fail(
        "I4",
        `${what}: attributes ${attributes(was)} became ${attributes(is)}`,
      );
    }
    const old = new Set(setRecords(was ? [was] : []).map((r) => r.content));
    const values = setRecords([is]);
    const kept = new Set(values.map((r) => r.content));
    for (const r of setRecords(was ? [was] : [])) {
      if (!kept.has(r.content)) changes.push({ kind: "delete", record: r });
    }
    for (const r of values) {
      if (!old.has(r.content)) changes.push({ kind: "create", record: r });
    }
  }
  for (const c of changes) {
    onChange(c.kind, c.record);
    truth.edge({ ...c, by: e.by, sentAt: e.sentAt }, now, zone);
  }
}
