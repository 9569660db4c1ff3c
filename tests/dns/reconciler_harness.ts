/**
 * Shared fixtures of the reconciler tests: a clock whose sleeps jump, and an
 * in-memory provider with scripted failures.
 * @module
 */
import {
  DnsReconciler,
  type ReconcilerSettings,
} from "../../lib/dns/reconciler.ts";
import {
  type ApplyResult,
  type Change,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import type { Intent } from "../../lib/write/plan.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";

export const WWW = "www.example.com";
export const API = "api.example.com";
export const IPS = ["192.0.2.1", "192.0.2.2", "192.0.2.3"];

/** A clock whose sleeps move time forward at once. */
export class JumpClock extends ManualClock {
  sleeps: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const p = super.sleep(ms, signal);
    this.advance(ms);
    return p;
  }
}

/** In-memory DNS with scripted failures; records every call and its time. */
export class ScriptProvider implements DnsProvider {
  records = new Map<string, DnsRecord[]>();
  listErrors: (DnsProviderError | null)[] = [];
  applyErrors: (DnsProviderError | null)[] = [];
  calls: { op: "list" | "apply"; at: number; changes?: Change[] }[] = [];
  #id = 0;
  constructor(readonly clock: ManualClock, names: string[], ips: string[]) {
    for (const n of names) {
      this.records.set(
        n,
        ips.map((ip) => this.#rec(n, ip)),
      );
    }
  }
  #rec(name: string, content: string): DnsRecord {
    return {
      id: `r${++this.#id}`,
      type: "A",
      name,
      content,
      ttl: 300,
      proxied: true,
      comment: "c",
      tags: ["t:1"],
    };
  }
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    this.calls.push({ op: "list", at: this.clock.now() });
    const e = this.listErrors.shift();
    if (e) return Promise.reject(e);
    return Promise.resolve(
      new Map(names.map((n) => [n, [...(this.records.get(n) ?? [])]])),
    );
  }
  apply(changes: readonly Change[]): Promise<ApplyResult> {
    this.calls.push({
      op: "apply",
      at: this.clock.now(),
      changes: [...changes],
    });
    const e = this.applyErrors.shift();
    if (e) {
      return Promise.resolve({
        requests: 1,
        outcomes: changes.map((change) => ({
          change,
          result: "failed",
          error: e,
        })),
      });
    }
    for (const c of changes) {
      const list = this.records.get(c.record.name) ?? [];
      if (c.kind === "delete") {
        this.records.set(
          c.record.name,
          list.filter((r) => r.id !== c.record.id),
        );
      } else {list.push({ ...c.record, id: `r${++this.#id}` }),
          this.records.set(c.record.name, list);}
    }
    return Promise.resolve({
      requests: 1,
      outcomes: changes.map((change) => ({ change, result: "done" as const })),
    });
  }
  contents(name = WWW): string[] {
    return (this.records.get(name) ?? []).map((r) => r.content).sort();
  }
}

export const SETTINGS: ReconcilerSettings = {
  zone: "example.com",
  hostnames: ["www", "api.example.com"],
  ips: IPS,
  minRecords: 1,
  maxRemovalsFraction: 0.5,
  ttl: 1,
  proxied: false,
};

/** Everything a reconciler test needs. */
export interface Setup {
  clock: JumpClock;
  provider: ScriptProvider;
  store: MemoryStateStore;
  lines: string[];
  rec: DnsReconciler;
}

/** @returns a reconciler over a scripted provider, a jump clock and captured logs. */
export function setup(options: { maxInlineWaitMs?: number } = {}): Setup {
  const clock = new JumpClock();
  const provider = new ScriptProvider(clock, [WWW, API], IPS);
  const store = new MemoryStateStore();
  const lines: string[] = [];
  const { logger } = createLogger({
    sink: (l) => lines.push(l),
    now: () => clock.now(),
  });
  const rec = new DnsReconciler(provider, store, SETTINGS, {
    clock,
    logger,
    ...options,
  });
  return { clock, provider, store, lines, rec };
}

export const intents = (down: string[]): Map<string, Intent> =>
  new Map(IPS.map((ip) => [ip, down.includes(ip) ? "absent" : "present"]));
export const err = (
  kind: DnsProviderError["kind"],
  retryAfterMs?: number,
): DnsProviderError =>
  new DnsProviderError(kind, `scripted ${kind}`, { retryAfterMs });
