/**
 * The default provider: touches nothing remote. It believes every managed
 * name holds one record per configured IP of its family, minus what it has
 * "removed", and logs one line per change it would make.
 * @module
 */

import { type Logger, silentLogger } from "../observe/log.ts";
import {
  type ApplyResult,
  canonicalIp,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  type DnsRecord,
  recordKey,
  recordTypeOf,
} from "./provider.ts";

/** Options of {@linkcode DryRunProvider}. */
export interface DryRunOptions {
  /** TTL of the records it pretends exist. @default 1 */
  ttl?: number;
  /** `proxied` of the records it pretends exist. @default false */
  proxied?: boolean;
  /** Where the change would go, appended to each line, e.g. "route53 Z123". @default none */
  target?: string;
  logger?: Logger;
  /**
   * The IPs each name pretends to hold, for names of pools with IPs of
   * their own; other names hold every configured IP. @default none
   */
  ipsByName?: ReadonlyMap<string, readonly string[]>;
}

/** A provider that only logs: `would remove A www.example.com 192.0.2.10`. */
export class DryRunProvider implements DnsProvider {
  /** Always true: nothing is written anywhere. */
  readonly dryRun = true;
  readonly #ips: string[];
  readonly #byName: Map<string, string[]>;
  #ttl: number;
  #proxied: boolean;
  #suffix: string;
  #log: Logger;
  /** Keys of records it has "removed". */
  #removed = new Set<string>();
  /** Records it has "restored" that it did not pretend to hold (backups). */
  #added = new Map<string, DnsRecord>();
  /** Every change it was asked to apply, in order (for tests and status). */
  readonly applied: Change[] = [];

  /**
   * @param ips the configured IPs
   * @param options defaults for pretend records, and the logger
   */
  constructor(ips: readonly string[], options: DryRunOptions = {}) {
    this.#ips = [...new Set(ips.map(canonicalIp))];
    this.#byName = new Map(
      [...options.ipsByName ?? []].map((
        [name, list],
      ) => [name, [...new Set(list.map(canonicalIp))]]),
    );
    this.#ttl = options.ttl ?? 1;
    this.#proxied = options.proxied ?? false;
    this.#suffix = options.target ? ` (${options.target})` : "";
    this.#log = (options.logger ?? silentLogger).child("dns");
  }

  /** @returns what it believes each name holds; reads nothing remote. */
  list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const out = new Map<string, DnsRecord[]>();
    for (const name of names) {
      const records: DnsRecord[] = [];
      for (const ip of this.#byName.get(name) ?? this.#ips) {
        const record: DnsRecord = {
          id: `dry-run:${name}:${ip}`,
          type: recordTypeOf(ip),
          name,
          content: ip,
          ttl: this.#ttl,
          proxied: this.#proxied,
          comment: null,
          tags: [],
        };
        if (!this.#removed.has(recordKey(record))) records.push(record);
      }
      const held = new Set(records.map((r) => recordKey(r)));
      for (const [key, r] of this.#added) {
        if (r.name === name && !held.has(key)) records.push({ ...r });
      }
      out.set(name, records);
    }
    return Promise.resolve(out);
  }

  /** Logs each change as `would remove …` / `would restore …` and records it. */
  apply(changes: readonly Change[]): Promise<ApplyResult> {
    const outcomes: ChangeOutcome[] = [];
    for (const change of changes) {
      const r = change.record;
      const key = recordKey(r);
      const verb = change.kind === "delete" ? "remove" : "restore";
      const line = `would ${verb} ${r.type} ${r.name} ${r.content}`;
      this.#log.info(line + this.#suffix, {
        dry_run: true,
        action: verb,
        type: r.type,
        name: r.name,
        content: r.content,
      });
      if (change.kind === "delete") {
        this.#removed.add(key);
        this.#added.delete(key);
      } else {
        this.#removed.delete(key);
        this.#added.set(key, { ...r, id: `dry-run:${r.name}:${r.content}` });
      }
      this.applied.push(change);
      outcomes.push({ change, result: "done" });
    }
    return Promise.resolve({ outcomes, requests: 0 });
  }
}
