/**
 * Durable agent state: record snapshots (taken before a delete, used to
 * restore it exactly), where and by whom each was taken, and the last
 * verdict per IP, so a restart resumes.
 *
 * {@linkcode FileStateStore} keeps one JSON file in `state_dir`, written
 * completely and atomically or not at all (see `state_file.ts`): a write
 * that fails rejects, and the snapshots it carried are taken back out of
 * memory, so what the store says it holds is what is on disk.
 * {@linkcode MemoryStateStore} is the test double.
 * @module
 */

import { type DnsRecord, recordKey } from "../dns/provider.ts";
import type { DrainEntry } from "../cluster/drain_book.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import { type Clock, systemClock } from "../observe/clock.ts";
import {
  denoStateFs,
  emptyStateFile,
  parseStateFile,
  type SnapshotInfo,
  type StateFile,
  stateFilePath,
  type StateFs,
  type StoredVerdict,
  writeFileDurably,
} from "./state_file.ts";

export { parseStateFile } from "./state_file.ts";
export type { SnapshotInfo, StoredVerdict } from "./state_file.ts";

/** Who takes snapshots, and in which zone; recorded with each snapshot. */
export interface SnapshotOrigin {
  /** The agent (node id, or host name on a single node). */
  by: string | null;
  /** The zone (`dns_domain`) in force. */
  zone: string | null;
  /**
   * Every zone the pools use, when several: a record is recorded with the
   * longest one its name is in (else `zone`).
   */
  zones?: readonly string[];
}

/**
 * @param name a fully qualified name
 * @param zones candidate zones
 * @returns the longest of `zones` that `name` is in, or null
 */
function zoneOfName(
  name: string,
  zones: readonly string[] | undefined,
): string | null {
  const n = name.toLowerCase();
  const within = (zones ?? []).filter((z) => n === z || n.endsWith(`.${z}`));
  return within.sort((a, b) => b.length - a.length)[0] ?? null;
}

/** Where snapshots and verdicts live. Writes resolve once durable. */
export interface StateStore {
  /** The state file, for messages; absent for stores in memory. */
  readonly path?: string;
  /** @returns every snapshot, keyed by {@linkcode recordKey}. */
  snapshots(): Map<string, DnsRecord>;
  /** @returns when, by whom and in which zone each snapshot was saved. */
  snapshotInfo(): Map<string, SnapshotInfo>;
  /** Sets who and which zone the next snapshots are recorded with. */
  setOrigin(origin: SnapshotOrigin): void;
  /** Saves a record (without its id) under its key; durable on resolve. */
  putSnapshot(record: DnsRecord): Promise<void>;
  /**
   * Saves several records in one durable write. On rejection none of them
   * is saved, in memory or on disk.
   * @param versions per record key: the book version, and the agent that
   *   made it when it is another one (replicated snapshots)
   */
  putSnapshots(
    records: readonly DnsRecord[],
    versions?: ReadonlyMap<string, { v: number; by: string }>,
  ): Promise<void>;
  /** Drops snapshots by key; unknown keys are ignored. */
  dropSnapshots(keys: readonly string[]): Promise<void>;
  /** @returns the last verdict per IP. */
  verdicts(): Map<string, StoredVerdict>;
  /** Saves the last verdict of an IP. */
  putVerdict(ip: string, verdict: StoredVerdict): Promise<void>;
  /** Saves many verdicts with at most one write (the shutdown flush). */
  putVerdicts(verdicts: ReadonlyMap<string, StoredVerdict>): Promise<void>;
  /** @returns the drain book as last saved. */
  drains(): DrainEntry[];
  /**
   * Replaces the saved drain book; durable on resolve. On rejection the
   * previous book stays, in memory and on disk.
   */
  putDrains(entries: readonly DrainEntry[]): Promise<void>;
}

/** Options of {@linkcode MemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** Stamps snapshots. @default systemClock */
  clock?: Clock;
}

/** State held in memory only; for tests and `--dry-run` without a state dir. */
export class MemoryStateStore implements StateStore {
  /** Current contents; tests may read them directly. */
  protected data: StateFile = emptyStateFile();
  /** Number of completed writes (for tests). */
  writes = 0;
  #clock: Clock;
  #origin: SnapshotOrigin = { by: null, zone: null };

  /** @param options the clock that stamps snapshots */
  constructor(options: MemoryStateStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** @returns a copy of every snapshot. */
  snapshots(): Map<string, DnsRecord> {
    return new Map(
      Object.entries(this.data.snapshots).map((
        [k, v],
      ) => [k, structuredClone(v)]),
    );
  }

  /** @returns a copy of every snapshot's details. */
  snapshotInfo(): Map<string, SnapshotInfo> {
    return new Map(
      Object.entries(this.data.saved).map(([k, v]) => [k, { ...v }]),
    );
  }

  /** Sets the agent and zone recorded with the next snapshots. */
  setOrigin(origin: SnapshotOrigin): void {
    this.#origin = { ...origin };
  }

  /** Saves `record` (id removed) under its key. */
  putSnapshot(record: DnsRecord): Promise<void> {
    return this.putSnapshots([record]);
  }

  /**
   * Saves each record (id removed) under its key, in one write; when the
   * write fails, the previous snapshots of those keys are put back.
   */
  async putSnapshots(
    records: readonly DnsRecord[],
    versions?: ReadonlyMap<string, { v: number; by: string }>,
  ): Promise<void> {
    if (records.length === 0) return;
    const before = new Map<string, [DnsRecord?, SnapshotInfo?]>();
    const { zones, ...origin } = this.#origin;
    for (const record of records) {
      const info = {
        at: this.#clock.now(),
        ...origin,
        zone: zoneOfName(record.name, zones) ?? origin.zone,
      };
      const key = recordKey(record);
      if (!before.has(key)) {
        before.set(key, [this.data.snapshots[key], this.data.saved[key]]);
      }
      const { id: _id, ...rest } = record;
      this.data.snapshots[key] = structuredClone(rest);
      const version = versions?.get(key);
      this.data.saved[key] = version ? { ...info, ...version } : { ...info };
    }
    await this.persist(() => {
      for (const [key, [snapshot, saved]] of before) {
        if (snapshot) this.data.snapshots[key] = snapshot;
        else delete this.data.snapshots[key];
        if (saved) this.data.saved[key] = saved;
        else delete this.data.saved[key];
      }
    });
  }

  /** Drops the given snapshot keys; writes only when something changed. */
  async dropSnapshots(keys: readonly string[]): Promise<void> {
    const known = keys.filter((k) => k in this.data.snapshots);
    if (known.length === 0) return;
    for (const k of known) {
      delete this.data.snapshots[k];
      delete this.data.saved[k];
    }
    await this.persist();
  }

  /** @returns a copy of the last verdict per IP. */
  verdicts(): Map<string, StoredVerdict> {
    return new Map(
      Object.entries(this.data.verdicts).map(([k, v]) => [k, { ...v }]),
    );
  }

  /** Saves the last verdict of `ip`; writes only when it changed. */
  async putVerdict(ip: string, verdict: StoredVerdict): Promise<void> {
    const old = this.data.verdicts[ip];
    if (old?.verdict === verdict.verdict && old.since === verdict.since) return;
    this.data.verdicts[ip] = { ...verdict };
    await this.persist();
  }

  /** Saves every verdict in `verdicts`; one write, and only on change. */
  async putVerdicts(
    verdicts: ReadonlyMap<string, StoredVerdict>,
  ): Promise<void> {
    let changed = false;
    for (const [ip, v] of verdicts) {
      const old = this.data.verdicts[ip];
      if (old?.verdict === v.verdict && old.since === v.since) continue;
      this.data.verdicts[ip] = { ...v };
      changed = true;
    }
    if (changed) await this.persist();
  }

  /** @returns a copy of the saved drain book. */
  drains(): DrainEntry[] {
    return (this.data.drains ?? []).map((e) => ({ ...e }));
  }

  /** Replaces the drain book in one write; put back when it fails. */
  async putDrains(entries: readonly DrainEntry[]): Promise<void> {
    const before = this.data.drains;
    this.data.drains = entries.map((e) => ({ ...e }));
    await this.persist(() => {
      if (before) this.data.drains = before;
      else delete this.data.drains;
    });
  }

  /**
   * Makes the current contents durable; the memory store only counts.
   * @param _undo run when the write fails, before any later write starts
   */
  protected persist(_undo?: () => void): Promise<void> {
    this.writes++;
    return Promise.resolve();
  }
}

/** Options of {@linkcode FileStateStore.open}. */
export interface FileStateStoreOptions {
  logger?: Logger;
  clock?: Clock;
  /** The file system writes go through. @default denoStateFs */
  fs?: StateFs;
}

/** State in `<dir>/state.json`, written atomically on every change. */
export class FileStateStore extends MemoryStateStore {
  /** Path of the state file. */
  readonly path: string;
  #dir: string;
  #fs: StateFs;
  #chain: Promise<void> = Promise.resolve();

  private constructor(dir: string, clock: Clock, fs: StateFs) {
    super({ clock });
    this.#dir = dir;
    this.#fs = fs;
    this.path = stateFilePath(dir);
  }

  /**
   * Opens (creating the directory if needed) and loads the state. A corrupt
   * file is renamed to `state.json.corrupt-<ms>` and the store starts empty,
   * with a warning that names both files. Call it only while holding the
   * state directory's lock: it removes temp files left by a crash.
   * @param dir the state directory
   * @param options logger, clock and file system
   * @returns the loaded store
   * @throws {Error} when the directory cannot be created or read
   */
  static async open(
    dir: string,
    options: FileStateStoreOptions = {},
  ): Promise<FileStateStore> {
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? systemClock;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileStateStore(dir, clock, options.fs ?? denoStateFs);
    await removeStaleTemps(dir);
    let text: string | null = null;
    try {
      text = await Deno.readTextFile(store.path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new Error(`Cannot read state file "${store.path}"`, { cause: e });
      }
    }
    if (text === null) return store;
    const parsed = parseStateFile(text);
    if (parsed.ok) {
      store.data = parsed.value;
      return store;
    }
    const aside = `${store.path}.corrupt-${clock.now()}`;
    await Deno.rename(store.path, aside);
    logger.warn(
      `State file "${store.path}" is unreadable (${parsed.error}); moved it to "${aside}" and starting with empty state`,
      { path: store.path, moved_to: aside },
    );
    return store;
  }

  /**
   * Writes the whole state atomically. Writes are serialized and each
   * writes the contents of its turn; a failed write runs `undo` before the
   * next one starts, so what it carried is not written by the next either.
   */
  protected override persist(undo?: () => void): Promise<void> {
    const next = this.#chain.then(async () => {
      const text = JSON.stringify(this.data, null, 2) + "\n";
      try {
        await writeFileDurably(this.#fs, this.#dir, this.path, text);
      } catch (e) {
        undo?.();
        throw e;
      }
    });
    this.#chain = next.catch(() => {});
    this.writes++;
    return next;
  }
}

/** Removes temp files a crash left between write and rename. */
async function removeStaleTemps(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.startsWith("state.json.tmp-")) {
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}
