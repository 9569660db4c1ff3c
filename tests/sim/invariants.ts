/**
 * The simulator's invariants (lib/write/SAFETY.md I1–I6), checked against
 * its own knowledge: what each agent really saw (its settled, non-isolated
 * verdicts over virtual time) and every change as it reached the edge.
 * @module
 */
import { recordKey, type RecordType } from "../../lib/dns/provider.ts";
import type { EdgeChange, ZoneRecord } from "./sim_cloudflare.ts";

/** One broken invariant. */
export interface Violation {
  invariant: "I1" | "I2" | "I3" | "I4" | "I5" | "I6";
  detail: string;
  atMs: number;
}

/** What one agent saw of one IP, in world ms. */
interface Seen {
  downSince: number | null;
  upSince: number | null;
  lastDownAt: number | null;
  lastUpAt: number | null;
  /** The latest spans of a settled down, oldest first. */
  downs: { from: number; to: number }[];
}

/** Spans of a settled down kept per agent and IP. */
const KEEP_SPANS = 16;

/** The managed set and the timing the invariants are measured with. */
export interface TruthSettings {
  names: readonly string[];
  ips: readonly string[];
  agents: number;
  minPeersAgree: number;
  minRecords: number;
  /** `peer_timeout` plus two heartbeats, ms: how long a vote counts. */
  voteMs: number;
  /**
   * Whether any agent (running, or a stopped one's state directory) still
   * holds a snapshot of the record with this key ({@linkcode recordKey}):
   * once every copy is lost with its disk, a restore from defaults is the
   * documented fallback, not a violation.
   */
  known: (key: string) => boolean;
}

const keyOf = (r: { name: string; type: string; content: string }) =>
  `${r.name}|${r.type}|${r.content}`;

/** Ground truth and the invariant checks over it. */
export class Truth {
  readonly violations: Violation[] = [];
  readonly #s: TruthSettings;
  readonly #seen: Map<string, Seen>[];
  /** The last version of each record that existed at the edge. */
  readonly #lastSeen = new Map<string, ZoneRecord>();
  readonly #startCount = new Map<string, number>();
  readonly #managed: Set<string>;
  readonly #unmanagedIds = new Set<string>();

  /** @param s managed set and timing */
  constructor(s: TruthSettings) {
    this.#s = s;
    this.#seen = Array.from({ length: s.agents }, () => new Map());
    this.#managed = new Set(s.ips);
  }

  /** Records the starting zone. */
  start(records: Iterable<ZoneRecord>): void {
    for (const r of records) {
      if (!this.#isManaged(r)) this.#unmanagedIds.add(r.id);
      else this.#lastSeen.set(keyOf(r), r);
      const g = `${r.name}|${r.type}`;
      this.#startCount.set(g, (this.#startCount.get(g) ?? 0) + 1);
    }
  }

  /**
   * Notes what agent `i` sees now: its settled verdicts when it runs and
   * is not isolated, nothing otherwise.
   */
  observe(
    i: number,
    now: number,
    verdicts: Map<string, "up" | "down"> | null,
  ): void {
    for (const ip of this.#s.ips) {
      const s = this.#seen[i]!.get(ip) ??
        {
          downSince: null,
          upSince: null,
          lastDownAt: null,
          lastUpAt: null,
          downs: [],
        };
      const v = verdicts?.get(ip);
      if (v === "down") {
        if (s.downSince === null) {
          s.downs.push({ from: now, to: now });
          if (s.downs.length > KEEP_SPANS) s.downs.shift();
        } else s.downs[s.downs.length - 1]!.to = now;
        s.downSince ??= now;
        s.lastDownAt = now;
        s.upSince = null;
      } else if (v === "up") {
        s.upSince ??= now;
        s.lastUpAt = now;
        s.downSince = null;
      } else {
        s.downSince = null;
        s.upSince = null;
      }
      this.#seen[i]!.set(ip, s);
    }
  }

  #isManaged(r: { name: string; type: string; content: string }): boolean {
    return (r.type === "A" || r.type === "AAAA") &&
      this.#s.names.includes(r.name) && this.#managed.has(r.content);
  }

  #count(pred: (s: Seen) => boolean, ip: string): number {
    let n = 0;
    for (const m of this.#seen) {
      const s = m.get(ip);
      if (s && pred(s)) n++;
    }
    return n;
  }

  /** @returns each agent's last settled down of `ip`, seconds ago. */
  #ages(ip: string, now: number): string {
    return this.#seen.map((m, i) => {
      const t = m.get(ip)?.lastDownAt;
      return `a${i} ${
        t === null || t === undefined ? "never" : `${(now - t) / 1000}s ago`
      }`;
    }).join(", ");
  }

  /** Agents whose down vote for `ip` may still count at `now`. */
  recentDown(ip: string, now: number): number {
    return this.#count(
      (s) => s.downs.some((d) => d.from <= now && now - d.to <= this.#s.voteMs),
      ip,
    );
  }

  /** Agents that have seen `ip` `dir` for longer than votes take to move. */
  stable(ip: string, now: number, dir: "up" | "down"): number {
    const since = (s: Seen) => dir === "up" ? s.upSince : s.downSince;
    const other = (s: Seen) => dir === "up" ? s.lastDownAt : s.lastUpAt;
    return this.#count((s) => {
      const t = since(s);
      const o = other(s);
      return t !== null && now - t > this.#s.voteMs &&
        (o === null || now - o > this.#s.voteMs);
    }, ip);
  }

  /** Checks one change as it reaches the edge. */
  edge(c: EdgeChange, now: number, zone: Iterable<ZoneRecord>): void {
    const r = c.record;
    const q = this.#s.minPeersAgree + 1;
    const what = `${c.kind} ${r.name} ${r.type} ${r.content} by ${c.by}`;
    const fail = (invariant: Violation["invariant"], why: string) =>
      this.violations.push({ invariant, detail: `${what}: ${why}`, atMs: now });
    if (this.#unmanagedIds.has(r.id) || !this.#isManaged(r)) {
      fail("I6", "record outside the managed set");
      return;
    }
    // Backing is judged when the call was sent (a late commit lands up to
    // the call bound later); emptiness at the state the edge reaches.
    const sent = c.sentAt;
    if (c.kind === "delete") {
      const backed = this.recentDown(r.content, sent);
      if (backed < q) {
        fail(
          "I2",
          `backed by ${backed} of ${q} agents (${this.#ages(r.content, sent)})`,
        );
      }
      const up = this.stable(r.content, sent, "up");
      if (up >= q) fail("I3", `deleted while ${up} agents see it up`);
      this.#checkCounts(zone, fail);
      return;
    }
    const last = this.#lastSeen.get(keyOf(r));
    if (
      last && !sameRecord(last, r) &&
      this.#s.known(recordKey({ ...r, type: r.type as RecordType }))
    ) {
      fail("I4", `restored as ${show(r)}, last seen ${show(last)}`);
    }
    this.#lastSeen.set(keyOf(r), r);
    const down = this.stable(r.content, sent, "down");
    if (down >= q && !this.#familyDown(r, sent)) {
      fail("I3", `re-created while ${down} agents see it down`);
    }
  }

  /** Whether a guard may keep `r`: too few IPs of its family are up. */
  #familyDown(r: ZoneRecord, now: number): boolean {
    const q = this.#s.minPeersAgree + 1;
    const family = this.#s.ips.filter((ip) =>
      ip.includes(":") === r.content.includes(":")
    );
    const up = family.filter((ip) => this.recentDown(ip, now) < q);
    return up.length < Math.max(1, this.#s.minRecords);
  }

  #checkCounts(
    zone: Iterable<ZoneRecord>,
    fail: (i: Violation["invariant"], why: string) => void,
  ): void {
    const counts = new Map<string, number>();
    for (const r of zone) {
      const g = `${r.name}|${r.type}`;
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    for (const [g, start] of this.#startCount) {
      const n = counts.get(g) ?? 0;
      if (start >= this.#s.minRecords && n < this.#s.minRecords) {
        fail("I1", `${g} has ${n} records (min_records ${this.#s.minRecords})`);
      }
    }
  }

  /**
   * I5: each name holds exactly the IPs that are up (all of them when
   * fewer than `min_records` are up).
   * @returns what does not match yet
   */
  unconverged(
    zone: Iterable<ZoneRecord>,
    up: ReadonlySet<string>,
    now: number,
  ): Violation[] {
    const out: Violation[] = [];
    const held = new Map<string, Set<string>>();
    for (const r of zone) {
      if (!this.#isManaged(r)) continue;
      const g = `${r.name}|${r.type}`;
      if (!held.has(g)) held.set(g, new Set());
      held.get(g)!.add(r.content);
    }
    for (const name of this.#s.names) {
      for (const type of ["A", "AAAA"]) {
        const family = this.#s.ips.filter((ip) =>
          (ip.includes(":") ? "AAAA" : "A") === type
        );
        if (family.length === 0) continue;
        const live = family.filter((ip) => up.has(ip));
        const want = new Set(live.length >= this.#s.minRecords ? live : family);
        const got = held.get(`${name}|${type}`) ?? new Set();
        const same = want.size === got.size &&
          [...want].every((ip) => got.has(ip));
        if (!same) {
          out.push({
            invariant: "I5",
            detail: `${name} ${type} holds [${[...got].sort()}], expected [${
              [...want].sort()
            }] after the calm`,
            atMs: now,
          });
        }
      }
    }
    return out;
  }
}

function sameRecord(a: ZoneRecord, b: ZoneRecord): boolean {
  return a.ttl === b.ttl && a.proxied === b.proxied &&
    a.comment === b.comment &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags);
}

function show(r: ZoneRecord): string {
  return `ttl=${r.ttl} proxied=${r.proxied} comment=${
    JSON.stringify(r.comment)
  } tags=${JSON.stringify(r.tags)}`;
}
