/**
 * An in-memory Cloudflare zone and the provider each simulated agent talks
 * to. Modelled on the real API and on lib/dns/cloudflare.ts:
 *
 * - a call with several changes is one `POST /dns_records/batch`, which
 *   Cloudflare executes "always in the following order: deletes, patches,
 *   puts, posts", in one transaction but propagated "as a single key-value
 *   pair" per record, so not atomically
 *   (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/batch);
 *   the zone reports every single change to `onEdge`, so the invariants see
 *   each intermediate state;
 * - one change is one call (`DELETE /dns_records/{id}` or `POST
 *   /dns_records`); deleting a missing record is a 404 and creating an
 *   identical one a 400 with code 81058 ("An identical record already
 *   exists.", as reported in https://github.com/jeessy2/ddns-go/issues/1378),
 *   which the provider counts as "already" (lib/dns/cloudflare.ts
 *   `#applyOne`); in a batch either rejects the whole transaction, and the
 *   provider falls back to one call per change, creates first;
 * - agents' passes overlap: a listing shows the zone as it was at the start
 *   of the step ({@linkcode SimZone.beginStep}), so two agents in one step
 *   plan from the same listing, as two agents listing at once would;
 * - injected faults: 429 with `retry-after`, 5xx, 403 (credentials
 *   rejected), lost replies (the change is applied but the caller sees an
 *   error: a reply that never arrived), and late commits (the caller timed
 *   out, the call still commits up to 4.5 s later, within the 5 s bound
 *   lib/write/in_doubt.ts `DNS_CALL_BOUND_MS` assumes, as the project's
 *   fake API's "slow" fault does in tests/support/fake_cloudflare.ts).
 * @module
 */
import {
  type ApplyResult,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import type { Prng } from "./prng.ts";

/** A record as the zone holds it (any type). */
export interface ZoneRecord extends Omit<DnsRecord, "type"> {
  id: string;
  type: string;
}

/** One change as it reaches the edge. */
export interface EdgeChange {
  kind: "delete" | "create";
  record: ZoneRecord;
  /** The agent whose call made it. */
  by: string;
  /** World ms when the call was sent (earlier than now for a late commit). */
  sentAt: number;
}

/** Fault rates of the API, per call. */
export interface ApiFaults {
  rateLimited: number;
  server: number;
  lostReply: number;
  late: number;
}

/** No faults. */
export const NO_FAULTS: ApiFaults = {
  rateLimited: 0,
  server: 0,
  lostReply: 0,
  late: 0,
};

/** The zone: every record, and the hook that sees each change. */
export class SimZone {
  readonly records = new Map<string, ZoneRecord>();
  #listed: ZoneRecord[] = [];
  faults: ApiFaults = NO_FAULTS;
  #nextId = 1;
  readonly #rng: Prng;
  readonly #onEdge: (c: EdgeChange) => void;
  readonly #now: () => number;
  #sentAt: number | null = null;
  #late: { at: number; sentAt: number; commit: () => void }[] = [];

  /**
   * @param rng fault draws
   * @param onEdge called after every single change, in commit order
   * @param now the world's time, ms
   */
  constructor(
    rng: Prng,
    onEdge: (c: EdgeChange) => void,
    now: () => number,
  ) {
    this.#rng = rng;
    this.#onEdge = onEdge;
    this.#now = now;
  }

  /** @returns whether the next call commits late (drawn per call). */
  drawLate(): boolean {
    return this.#rng.chance(this.faults.late);
  }

  /** Schedules a call's commit up to 4.5 s from now. */
  later(commit: () => void): void {
    const now = this.#now();
    const at = now + this.#rng.int(1, 9) * 500;
    this.#late.push({ at, sentAt: now, commit });
  }

  /** Commits the late calls now due, in the order they were sent. */
  commitDue(): void {
    const now = this.#now();
    const due = this.#late.filter((l) => l.at <= now);
    this.#late = this.#late.filter((l) => l.at > now);
    for (const l of due) {
      this.#sentAt = l.sentAt;
      l.commit();
      this.#sentAt = null;
    }
  }

  /** Adds a record without reporting it (the starting state). */
  seed(r: Omit<ZoneRecord, "id">): ZoneRecord {
    const rec = { ...r, tags: [...r.tags], id: `r${this.#nextId++}` };
    this.records.set(rec.id, rec);
    return rec;
  }

  /** Takes the zone as listings this step show it. */
  beginStep(): void {
    this.#listed = [...this.records.values()];
  }

  /** @returns whether a record of that type, name and content exists. */
  hasIdentical(r: { type: string; name: string; content: string }): boolean {
    for (const x of this.records.values()) {
      if (x.type === r.type && x.name === r.name && x.content === r.content) {
        return true;
      }
    }
    return false;
  }

  /** @returns A/AAAA records by name, as a list call returns them. */
  list(names: readonly string[]): Map<string, DnsRecord[]> {
    const out = new Map<string, DnsRecord[]>();
    for (const n of names) out.set(n, []);
    for (const r of this.#listed) {
      if (r.type !== "A" && r.type !== "AAAA") continue;
      out.get(r.name)?.push({ ...r, type: r.type, tags: [...r.tags] });
    }
    return out;
  }

  /** @returns the fault this call meets, if any (drawn per call). */
  drawFault(): "rate_limited" | "server" | "lost" | null {
    const f = this.faults;
    const x = this.#rng.next();
    if (x < f.rateLimited) return "rate_limited";
    if (x < f.rateLimited + f.server) return "server";
    if (x < f.rateLimited + f.server + f.lostReply) return "lost";
    return null;
  }

  #sent(): number {
    return this.#sentAt ?? this.#now();
  }

  /** Commits one delete; false when the id is unknown (a 404). */
  delete(id: string, by: string): boolean {
    const r = this.records.get(id);
    if (!r) return false;
    this.records.delete(id);
    this.#onEdge({ kind: "delete", record: r, by, sentAt: this.#sent() });
    return true;
  }

  /** Commits one create. */
  create(rec: DnsRecord, by: string): ZoneRecord {
    const { id: _id, ...rest } = rec;
    const r: ZoneRecord = {
      ...rest,
      tags: [...rest.tags],
      id: `r${this.#nextId++}`,
    };
    this.records.set(r.id, r);
    this.#onEdge({ kind: "create", record: r, by, sentAt: this.#sent() });
    return r;
  }
}

function apiError(kind: "rate_limited" | "server" | "lost"): DnsProviderError {
  if (kind === "rate_limited") {
    return new DnsProviderError("rate_limited", "HTTP 429", {
      status: 429,
      retryAfterMs: 1000,
    });
  }
  if (kind === "server") {
    return new DnsProviderError("server", "HTTP 503", { status: 503 });
  }
  return new DnsProviderError("server", "no reply (connection reset)");
}

/**
 * One agent's provider over the shared zone.
 *
 * Rule 10 of lib/write/SAFETY.md (a delete and a create on one name never
 * share a batch) is applied here, as the provider's batching is specified:
 * creates (and deletes of names that get no create) first, then, once that
 * batch is confirmed, the deletes of names that also got a create. With
 * `splitBatches` off, every call is one batch, as lib/dns/cloudflare.ts
 * sends it today.
 */
export class SimProvider implements DnsProvider {
  /** Credentials rejected: every call is a 403. */
  authRejected = false;
  readonly #zone: SimZone;
  readonly #by: string;
  readonly #split: boolean;

  /**
   * @param zone the shared zone
   * @param by the agent's name (for traces)
   * @param splitBatches apply rule 10's batching
   */
  constructor(zone: SimZone, by: string, splitBatches: boolean) {
    this.#zone = zone;
    this.#by = by;
    this.#split = splitBatches;
  }

  /** @inheritdoc */
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const fault = this.#fault();
    if (fault) return Promise.reject(fault);
    return Promise.resolve(this.#zone.list(names));
  }

  /** @inheritdoc */
  apply(changes: readonly Change[]): Promise<ApplyResult> {
    if (changes.length > 0 && this.#zone.drawLate()) {
      this.#zone.later(() => this.#applyNow(changes));
      const e = new DnsProviderError("server", "timeout (no reply in 5 s)");
      return Promise.resolve({
        outcomes: changes.map((c) => fail(c, e)),
        requests: 1,
      });
    }
    return Promise.resolve(this.#applyNow(changes));
  }

  #applyNow(changes: readonly Change[]): ApplyResult {
    if (!this.#split) return this.#call(changes);
    const created = new Set(
      changes.filter((c) => c.kind === "create").map((c) => groupOf(c)),
    );
    const later = changes.filter((c) =>
      c.kind === "delete" && created.has(groupOf(c))
    );
    const first = changes.filter((c) => !later.includes(c));
    const a = this.#call(first);
    const confirmed = a.outcomes.every((o) => o.result !== "failed");
    const b = confirmed ? this.#call(later) : {
      outcomes: later.map((c) =>
        fail(
          c,
          new DnsProviderError(
            "server",
            "not sent: the creates of its name were not confirmed",
          ),
        )
      ),
      requests: 0,
    };
    const byChange = new Map(
      [...a.outcomes, ...b.outcomes].map((o) => [o.change, o]),
    );
    return {
      outcomes: changes.map((c) => byChange.get(c)!),
      requests: a.requests + b.requests,
    };
  }

  #call(changes: readonly Change[]): ApplyResult {
    if (changes.length === 0) return { outcomes: [], requests: 0 };
    if (changes.length === 1) return this.#applyOne(changes[0]!);
    return this.#batch(changes);
  }

  #fault(): DnsProviderError | null {
    if (this.authRejected) {
      return new DnsProviderError("auth", "HTTP 403", { status: 403 });
    }
    const f = this.#zone.drawFault();
    return f === null || f === "lost" ? null : apiError(f);
  }

  #applyOne(change: Change): ApplyResult {
    const pre = this.#fault();
    if (pre) return { outcomes: [fail(change, pre)], requests: 1 };
    const lost = this.#zone.drawFault() === "lost";
    let outcome: ChangeOutcome;
    if (change.kind === "delete") {
      const ok = this.#zone.delete(change.record.id ?? "", this.#by);
      outcome = { change, result: ok ? "done" : "already" };
    } else if (this.#zone.hasIdentical(change.record)) {
      outcome = { change, result: "already" };
    } else {
      const r = this.#zone.create(change.record, this.#by);
      outcome = {
        change,
        result: "done",
        record: { ...r, type: change.record.type },
      };
    }
    if (lost) outcome = fail(change, apiError("lost"));
    return { outcomes: [outcome], requests: 1 };
  }

  #batch(changes: readonly Change[]): ApplyResult {
    const pre = this.#fault();
    if (pre) return { outcomes: changes.map((c) => fail(c, pre)), requests: 1 };
    const lost = this.#zone.drawFault() === "lost";
    const deletes = changes.filter((c) => c.kind === "delete");
    // One transaction: an unknown id or an identical record rejects the
    // whole batch (nothing applied); the provider then falls back to one
    // call per change.
    if (
      deletes.some((c) => !this.#zone.records.has(c.record.id ?? "")) ||
      changes.some((c) =>
        c.kind === "create" && this.#zone.hasIdentical(c.record)
      )
    ) {
      const each = [
        ...changes.filter((c) => c.kind === "create"),
        ...deletes,
      ].map((c) => this.#applyOne(c).outcomes[0]!);
      const byChange = new Map(each.map((o) => [o.change, o]));
      return {
        outcomes: changes.map((c) => byChange.get(c)!),
        requests: 1 + each.length,
      };
    }
    for (const c of deletes) this.#zone.delete(c.record.id ?? "", this.#by);
    const outcomes = changes.map((change): ChangeOutcome => {
      if (change.kind === "delete") return { change, result: "done" };
      const r = this.#zone.create(change.record, this.#by);
      return {
        change,
        result: "done",
        record: { ...r, type: change.record.type },
      };
    });
    if (lost) {
      const e = apiError("lost");
      return { outcomes: changes.map((c) => fail(c, e)), requests: 1 };
    }
    return { outcomes, requests: 1 };
  }
}

function groupOf(c: Change): string {
  return `${c.record.name}|${c.record.type}`;
}

function fail(change: Change, error: DnsProviderError): ChangeOutcome {
  return { change, result: "failed", error };
}
