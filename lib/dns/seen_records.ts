/**
 * The last version of each managed record this agent has seen published.
 *
 * Snapshots in the state store are taken by the agent that deletes a
 * record. In a cluster the agent that restores it may be another one (the
 * preferred writer for "up" need not be the one for "down"), with no
 * snapshot of its own. Every agent lists the records on every pass, so each
 * remembers them as last seen; a restore without a stored snapshot uses
 * that, and falls back to config defaults only when the agent never saw the
 * record (it started after the delete). Kept in memory, bounded by the
 * managed names × IPs.
 * @module
 */

import {
  canonicalIp,
  type DnsRecord,
  recordKey,
  recordTypeOf,
} from "./provider.ts";

/** Last-seen managed records, keyed by {@linkcode recordKey}. */
export class SeenRecords {
  #byKey = new Map<string, DnsRecord>();

  /**
   * Records what a listing shows and forgets keys no longer managed.
   * @param names the managed names
   * @param ips the configured IPs
   * @param current the listing, per name
   * @returns the last-seen records (a copy), for use as snapshots
   */
  update(
    names: readonly string[],
    ips: readonly string[],
    current: ReadonlyMap<string, readonly DnsRecord[]>,
  ): Map<string, DnsRecord> {
    const managed = new Set<string>();
    for (const name of names) {
      for (const ip of ips) {
        const content = canonicalIp(ip);
        managed.add(recordKey({ name, type: recordTypeOf(content), content }));
      }
    }
    for (const key of [...this.#byKey.keys()]) {
      if (!managed.has(key)) this.#byKey.delete(key);
    }
    const fresh = new Set<string>();
    for (const records of current.values()) {
      for (const r of records) {
        const key = recordKey(r);
        if (!managed.has(key) || fresh.has(key)) continue;
        fresh.add(key);
        const { id: _id, ...rest } = r;
        this.#byKey.set(key, { ...rest, tags: [...rest.tags] });
      }
    }
    return new Map(this.#byKey);
  }

  /** @returns how many records are remembered. */
  get size(): number {
    return this.#byKey.size;
  }
}
