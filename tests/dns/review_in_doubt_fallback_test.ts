/**
 * Review of rule D: the time a delete's doubt starts must not be taken
 * before `provider.apply()` (it once was), since one apply may send several
 * requests in a row. On Cloudflare one apply can
 * send several requests in a row (a batch refused for a record-level reason
 * falls back to one call per change; creates' batch before the deletes of
 * their names; chunks of 200), each allowed while the listing is at most
 * `maxPlanAgeMs` (3 s) old. A delete sent late in the apply that fails fast
 * (a 502, a reset connection) would have its window cut short by up to 3 s;
 * the reconciler now starts it when the failure comes back.
 * Runs the real CloudflareWrites over a fake RecordsApi whose calls take
 * time on a manual clock.
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import type {
  ApplyOptions,
  ApplyResult,
  Change,
  DnsProvider,
  DnsRecord,
} from "../../lib/dns/provider.ts";
import {
  CloudflareWrites,
  type RecordsApi,
} from "../../lib/dns/cloudflare_writes.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import type { Intent } from "../../lib/write/plan.ts";

const WWW = "www.example.com";
const API = "api.example.com";
const X = "192.0.2.1";
const Y = "192.0.2.2";

/**
 * Creates on api are refused (400) after 1.4 s, in a batch or alone; the
 * first delete gets a fast 502 and commits later (`land()`).
 */
class SlowZone implements DnsProvider {
  records: DnsRecord[] = [];
  pending: string[] = [];
  sends: { op: string; at: number; name?: string }[] = [];
  #id = 0;
  #firstDelete = true;
  #writes: CloudflareWrites;
  constructor(readonly clock: ManualClock) {
    this.#add(WWW, X);
    this.#add(WWW, Y);
    this.#add(API, X);
    const refused = () => ({
      status: 400,
      errors: [{ code: 9005, message: "bad" }],
    });
    const api: RecordsApi = {
      batch: (p) => {
        this.sends.push({ op: "batch", at: clock.now() });
        clock.advance(1400);
        if (p.posts.some((b) => b.name === API)) {
          return Promise.reject(refused());
        }
        for (const d of p.deletes) this.#drop(d.id);
        return Promise.resolve({
          posts: p.posts.map((b) => this.#add(b.name, b.content as string)),
        });
      },
      create: (p) => {
        this.sends.push({ op: "create", at: clock.now(), name: p.name });
        clock.advance(1400);
        if (p.name === API) return Promise.reject(refused());
        return Promise.resolve(this.#add(p.name, p.content as string));
      },
      delete: (id) => {
        const r = this.records.find((x) => x.id === id);
        this.sends.push({ op: "delete", at: clock.now(), name: r?.name });
        if (this.#firstDelete) {
          this.#firstDelete = false;
          clock.advance(100);
          this.pending.push(id);
          // What the SDK throws for a 502 from the API's edge.
          return Promise.reject({ status: 502, errors: [] });
        }
        this.#drop(id);
        return Promise.resolve({});
      },
    };
    this.#writes = new CloudflareWrites(api, silentLogger);
  }
  #add(name: string, ip: string) {
    const r: DnsRecord = {
      id: `r${++this.#id}`,
      type: "A",
      name,
      content: ip,
      ttl: 1,
      proxied: false,
      comment: null,
      tags: [],
    };
    this.records.push(r);
    return { ...r };
  }
  #drop(id: string) {
    this.records = this.records.filter((r) => r.id !== id);
  }
  /** The late commit of the delete that got a 502. */
  land() {
    for (const id of this.pending.splice(0)) this.#drop(id);
  }
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    return Promise.resolve(
      new Map(
        names.map((n) => [
          n,
          this.records.filter((r) => r.name === n).map((r) => ({ ...r })),
        ]),
      ),
    );
  }
  apply(
    changes: readonly Change[],
    o: ApplyOptions = {},
  ): Promise<ApplyResult> {
    return this.#writes.apply("zone", changes, o.mayContinue);
  }
  contents(name: string): string[] {
    return this.records.filter((r) => r.name === name).map((r) => r.content)
      .sort();
  }
}

const intents = (x: Intent, y: Intent) => new Map([[X, x], [Y, y]]);

Deno.test("review D-1: a delete sent 2.8 s into an apply and failing fast (502) keeps its doubt for 5 s from its own send", async () => {
  const clock = new ManualClock();
  const zone = new SlowZone(clock);
  const rec = new DnsReconciler(zone, new MemoryStateStore(), {
    zone: "example.com",
    hostnames: ["www", "api"],
    ips: [X, Y],
    minRecords: 1,
    maxRemovalsFraction: 1,
    ttl: 1,
    proxied: false,
  }, { clock, maxAttempts: 1 });
  const t0 = clock.now();
  // Pass 1 (X down): restore Y on api, withdraw X on www (and on api once
  // Y is there). The batch [create Y api, delete X www] is refused (400:
  // the create), so one call per change: create (refused, 1.4 s), then
  // the delete of X on www at t0 + 2.8 s, which gets a 502 and commits late.
  await rec.reconcile(intents("absent", "present"), new Set([X]));
  const del = zone.sends.find((s) => s.op === "delete")!;
  assert.equal(del.name, WWW);
  assert.equal(del.at - t0, 2800, "the delete left 2.8 s into the apply");
  assert.deepEqual(zone.contents(WWW), [X, Y], "not landed yet");
  // Pass 2 at t0 + 5.2 s, 2.4 s after the delete was sent: X recovered, Y
  // went down (seed 27883's shape). The listing still shows X, whose
  // delete may land until t0 + 7.8 s: Y's delete must wait.
  clock.advance(5200 - (clock.now() - t0));
  await rec.reconcile(intents("hold", "absent"), new Set([Y]));
  zone.land(); // t0 + 5.2 s: within 5 s of its send
  assert.notDeepEqual(zone.contents(WWW), [], "www was emptied");
});
