/**
 * Record snapshots shared with the cluster: the reconciler's snapshot store
 * (the state file) joined with the cluster's book (lib/cluster/
 * snapshot_book.ts). A snapshot taken before a delete is saved on disk,
 * entered in the book, and sent to peers; the delete goes out only once
 * `min_peers_agree` peers accepted it, so the record can be restored exactly
 * even when this agent is lost with its disk. Snapshots peers send are
 * saved on disk too, before the heartbeat that carried them is answered.
 * @module
 */

import type { DnsRecord } from "../dns/provider.ts";
import type { SnapshotStore } from "../dns/reconcile_report.ts";
import {
  type BookEntry,
  type LiveEntry,
  SnapshotBook,
} from "../cluster/snapshot_book.ts";
import type { Clock } from "../observe/clock.ts";
import type { StateStore } from "./state_store.ts";

/** Sends the book to peers now; resolves with the ids that accepted it. */
export type Replicate = () => Promise<string[]>;

/** What {@linkcode ClusterSnapshots} needs from the agent. */
export interface ClusterSnapshotsOptions {
  store: StateStore;
  clock: Clock;
  /** This agent's node id now (it may change on reload). */
  nodeId: () => string;
  /**
   * Peers that must hold a new snapshot before its delete is sent
   * (`min_peers_agree`; 0 on a single node), and how to reach them; null
   * when no cluster link runs.
   */
  replication: () => { needed: number; send: Replicate } | null;
}

/** Rounds tried to reach enough peers before a delete is given up. */
const REPLICATION_ROUNDS = 3;

/** The error when too few peers took a snapshot. */
export class ReplicationError extends Error {
  override name = "ReplicationError";
}

/** The reconciler's snapshot store, shared with the cluster. */
export class ClusterSnapshots implements SnapshotStore {
  readonly #book = new SnapshotBook();
  readonly #opt: ClusterSnapshotsOptions;
  #writes: Promise<void> = Promise.resolve();

  /** Seeds the book from the state file. */
  constructor(options: ClusterSnapshotsOptions) {
    this.#opt = options;
    this.#book.seed(
      options.store.snapshots(),
      options.store.snapshotInfo(),
      options.nodeId(),
      options.clock.now(),
    );
  }

  /** @returns every snapshot known here: saved and replicated. */
  snapshots(): Map<string, DnsRecord> {
    return new Map([...this.#opt.store.snapshots(), ...this.#book.live()]);
  }

  /** @inheritdoc */
  putSnapshot(record: DnsRecord): Promise<void> {
    return this.putSnapshots([record]);
  }

  /**
   * Saves the records on disk, enters them in the book and sends it to
   * peers.
   * @throws when the disk write fails, or fewer than `min_peers_agree`
   *   peers accepted the book (the deletes must then not be sent)
   */
  async putSnapshots(records: readonly DnsRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = this.#opt.clock.now();
    const drafts = this.#book.draft(records, this.#opt.nodeId(), now);
    await this.#serial(() =>
      this.#opt.store.putSnapshots(records, versionsOf(drafts))
    );
    this.#book.merge(drafts, now);
    await this.#replicate();
  }

  /** Drops snapshots (the records are back) and tells peers. */
  async dropSnapshots(keys: readonly string[]): Promise<void> {
    await this.#serial(() => this.#opt.store.dropSnapshots(keys));
    this.#book.drop(keys, this.#opt.nodeId(), this.#opt.clock.now());
  }

  /** @returns the book as the next heartbeat carries it. */
  entries(): BookEntry[] {
    return this.#book.entries(this.#opt.clock.now());
  }

  /**
   * Merges a peer's book; resolves once what changed is on disk.
   * @throws when the disk write fails
   */
  async merge(entries: readonly BookEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { stored, dropped } = this.#book.merge(
      entries,
      this.#opt.clock.now(),
    );
    if (stored.length === 0 && dropped.length === 0) return;
    await this.#serial(async () => {
      await this.#opt.store.putSnapshots(
        stored.map((e) => e.record),
        versionsOf(stored),
      );
      await this.#opt.store.dropSnapshots(dropped);
    });
  }

  async #replicate(): Promise<void> {
    const r = this.#opt.replication();
    if (r === null || r.needed === 0) return;
    const reached = new Set<string>();
    for (let i = 0; i < REPLICATION_ROUNDS && reached.size < r.needed; i++) {
      for (const id of await r.send()) reached.add(id);
    }
    if (reached.size < r.needed) {
      throw new ReplicationError(
        `the snapshot reached ${reached.size} of the ${r.needed} peers it must reach first`,
      );
    }
  }

  /** Runs state-file writes one at a time, in order. */
  #serial(write: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(write);
    this.#writes = next.catch(() => {});
    return next;
  }
}

function versionsOf(
  entries: readonly LiveEntry[],
): Map<string, { v: number; by: string }> {
  return new Map(entries.map((e) => [e.key, { v: e.v, by: e.by }]));
}
