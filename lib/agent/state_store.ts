/**
 * Durable agent state: record snapshots (taken before a delete, used to
 * restore it exactly) and the last verdict per IP, so a restart resumes.
 *
 * {@linkcode FileStateStore} keeps one JSON file in `state_dir`, written
 * atomically (temp file in the same directory, fsync, rename, fsync of the
 * directory). {@linkcode MemoryStateStore} is the test double.
 * @module
 */

import { type DnsRecord, recordKey } from "../dns/provider.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import { type Clock, systemClock } from "../observe/clock.ts";

/** A verdict as persisted: what it was and since when (ms epoch). */
export interface StoredVerdict {
  verdict: "up" | "down" | "unknown";
  since: number;
}

/** Where snapshots and verdicts live. Writes resolve once durable. */
export interface StateStore {
  /** @returns every snapshot, keyed by {@linkcode recordKey}. */
  snapshots(): Map<string, DnsRecord>;
  /** Saves a record (without its id) under its key; durable on resolve. */
  putSnapshot(record: DnsRecord): Promise<void>;
  /** Saves several records in one durable write. */
  putSnapshots(records: readonly DnsRecord[]): Promise<void>;
  /** Drops snapshots by key; unknown keys are ignored. */
  dropSnapshots(keys: readonly string[]): Promise<void>;
  /** @returns the last verdict per IP. */
  verdicts(): Map<string, StoredVerdict>;
  /** Saves the last verdict of an IP. */
  putVerdict(ip: string, verdict: StoredVerdict): Promise<void>;
  /** Saves many verdicts with at most one write (the shutdown flush). */
  putVerdicts(verdicts: ReadonlyMap<string, StoredVerdict>): Promise<void>;
}

interface StateFile {
  version: 1;
  snapshots: Record<string, DnsRecord>;
  verdicts: Record<string, StoredVerdict>;
}

/** State held in memory only; for tests and `--dry-run` without a state dir. */
export class MemoryStateStore implements StateStore {
  /** Current contents; tests may read them directly. */
  protected data: StateFile = { version: 1, snapshots: {}, verdicts: {} };
  /** Number of completed writes (for tests). */
  writes = 0;

  /** @returns a copy of every snapshot. */
  snapshots(): Map<string, DnsRecord> {
    return new Map(
      Object.entries(this.data.snapshots).map((
        [k, v],
      ) => [k, structuredClone(v)]),
    );
  }

  /** Saves `record` (id removed) under its key. */
  putSnapshot(record: DnsRecord): Promise<void> {
    return this.putSnapshots([record]);
  }

  /** Saves each record (id removed) under its key, in one write. */
  async putSnapshots(records: readonly DnsRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const record of records) {
      const { id: _id, ...rest } = record;
      this.data.snapshots[recordKey(record)] = structuredClone(rest);
    }
    await this.persist();
  }

  /** Drops the given snapshot keys; writes only when something changed. */
  async dropSnapshots(keys: readonly string[]): Promise<void> {
    const known = keys.filter((k) => k in this.data.snapshots);
    if (known.length === 0) return;
    for (const k of known) delete this.data.snapshots[k];
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

  /** Makes the current contents durable; the memory store only counts. */
  protected persist(): Promise<void> {
    this.writes++;
    return Promise.resolve();
  }
}

/** Options of {@linkcode FileStateStore.open}. */
export interface FileStateStoreOptions {
  logger?: Logger;
  clock?: Clock;
}

/** State in `<dir>/state.json`, written atomically on every change. */
export class FileStateStore extends MemoryStateStore {
  /** Path of the state file. */
  readonly path: string;
  #dir: string;
  #chain: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    super();
    this.#dir = dir;
    this.path = `${dir.replace(/\/+$/, "")}/state.json`;
  }

  /**
   * Opens (creating the directory if needed) and loads the state. A corrupt
   * file is renamed to `state.json.corrupt-<ms>` and the store starts empty,
   * with a warning that names both files.
   * @param dir the state directory
   * @param options logger and clock
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
    const store = new FileStateStore(dir);
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

  /** Writes the whole state atomically; writes are serialized. */
  protected override persist(): Promise<void> {
    const text = JSON.stringify(this.data, null, 2) + "\n";
    const next = this.#chain.then(() => this.#write(text));
    this.#chain = next.catch(() => {});
    this.writes++;
    return next;
  }

  async #write(text: string): Promise<void> {
    const tmp = `${this.path}.tmp-${Deno.pid}`;
    const file = await Deno.open(tmp, {
      write: true,
      create: true,
      truncate: true,
      mode: 0o600,
    });
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, this.path);
    try {
      const dir = await Deno.open(this.#dir, { read: true });
      try {
        await dir.sync();
      } finally {
        dir.close();
      }
    } catch {
      // fsync of a directory is not supported everywhere; the rename stands.
    }
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

/**
 * Parses the state file's text.
 * @returns the state, or why it is not valid
 */
export function parseStateFile(
  text: string,
): { ok: true; value: StateFile } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (typeof raw !== "object" || raw === null) {
    return { ok: false, error: "not a JSON object" };
  }
  const obj = raw as Record<string, unknown>;
  if (obj.version !== 1) {
    return {
      ok: false,
      error: `unknown version ${JSON.stringify(obj.version)}`,
    };
  }
  const snapshots = obj.snapshots ?? {};
  const verdicts = obj.verdicts ?? {};
  if (typeof snapshots !== "object" || typeof verdicts !== "object") {
    return { ok: false, error: '"snapshots" and "verdicts" must be objects' };
  }
  for (const [k, r] of Object.entries(snapshots as Record<string, unknown>)) {
    if (!isRecord(r)) return { ok: false, error: `bad snapshot "${k}"` };
  }
  for (const [k, v] of Object.entries(verdicts as Record<string, unknown>)) {
    const sv = v as Partial<StoredVerdict> | null;
    if (
      typeof sv !== "object" || sv === null || typeof sv.since !== "number" ||
      !["up", "down", "unknown"].includes(String(sv.verdict))
    ) {
      return { ok: false, error: `bad verdict "${k}"` };
    }
  }
  return {
    ok: true,
    value: {
      version: 1,
      snapshots: snapshots as Record<string, DnsRecord>,
      verdicts: verdicts as Record<string, StoredVerdict>,
    },
  };
}

function isRecord(r: unknown): r is DnsRecord {
  if (typeof r !== "object" || r === null) return false;
  const x = r as Record<string, unknown>;
  return (x.type === "A" || x.type === "AAAA") &&
    typeof x.name === "string" && typeof x.content === "string" &&
    typeof x.ttl === "number" && typeof x.proxied === "boolean" &&
    (x.comment === null || typeof x.comment === "string") &&
    Array.isArray(x.tags) && x.tags.every((t) => typeof t === "string");
}
