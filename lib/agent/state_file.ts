/**
 * The state file on disk: its JSON shape, its parser, and the one way it is
 * written — completely or not at all.
 *
 * A write goes to a temp file in the same directory, loops until
 * `FsFile.write` has taken every byte (it may take fewer: a full disk or the
 * file-size limit cut it short), fsyncs, renames over the state file and
 * fsyncs the directory. Any error — a short write that makes no progress,
 * ENOSPC, EFBIG, a failed fsync — fails the write and leaves the old state
 * file in place: renaming a truncated file over it would make the next
 * start move it aside as corrupt and lose every snapshot. Only a directory
 * fsync the file system does not support (EINVAL, ENOTSUP) is tolerated,
 * since the rename itself stands.
 * @module
 */

import { type DnsRecord, validOptionalFields } from "../dns/provider.ts";
import { type DrainEntry, parseDrainEntries } from "../cluster/drain_book.ts";

/** A verdict as persisted: what it was and since when (ms epoch). */
export interface StoredVerdict {
  verdict: "up" | "down" | "unknown";
  since: number;
}

/** Where and when a snapshot was taken, for `goavail snapshots`. */
export interface SnapshotInfo {
  /** Wall-clock ms when it was saved. */
  at: number;
  /** The agent that saved it (its node id, or its host name). */
  by: string | null;
  /** The zone the record was in (`dns_domain` at the time). */
  zone: string | null;
  /**
   * Its version in the cluster's snapshot book (lib/cluster/
   * snapshot_book.ts); absent in files of older versions (then 0).
   */
  v?: number;
}

/** The JSON document in `state.json`. */
export interface StateFile {
  version: 1;
  snapshots: Record<string, DnsRecord>;
  verdicts: Record<string, StoredVerdict>;
  /** Per snapshot key; absent in files written before it existed. */
  saved: Record<string, SnapshotInfo>;
  /**
   * The drain book (lib/cluster/drain_book.ts), lifted drains included;
   * absent in files written before drains existed.
   */
  drains?: DrainEntry[];
}

/** An open file, as far as the state store uses one. */
export interface StateFsFile {
  /** @returns how many bytes were written (may be fewer than given). */
  write(p: Uint8Array): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}

/** The file-system calls a state write makes; {@linkcode denoStateFs} by default. */
export interface StateFs {
  open(path: string, options: Deno.OpenOptions): Promise<StateFsFile>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/** The real file system. */
export const denoStateFs: StateFs = {
  open: (path, options) => Deno.open(path, options),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
};

/** @returns an empty state document. */
export function emptyStateFile(): StateFile {
  return { version: 1, snapshots: {}, verdicts: {}, saved: {} };
}

/**
 * Writes `text` to `path` durably and atomically, through a temp file in
 * `dir` (the directory of `path`).
 * @param fs the file system
 * @param dir the directory to fsync after the rename
 * @param path the file to replace
 * @param text its new contents
 * @throws {Error} naming the file, when any byte or any fsync did not make
 *   it; the old file is then untouched and the temp file removed
 */
export async function writeFileDurably(
  fs: StateFs,
  dir: string,
  path: string,
  text: string,
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    const file = await fs.open(tmp, {
      write: true,
      create: true,
      truncate: true,
      mode: 0o600,
    });
    try {
      await writeAll(file, new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.remove(tmp).catch(() => {});
    throw new Error(`Cannot write state file "${path}": ${reason(e)}`, {
      cause: e,
    });
  }
  try {
    const d = await fs.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch (e) {
    if (unsupported(e)) return;
    throw new Error(
      `Cannot fsync state directory "${dir}" after writing "${path}": ${
        reason(e)
      }`,
      { cause: e },
    );
  }
}

/** Writes every byte of `bytes`, however many calls it takes. */
async function writeAll(file: StateFsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = await file.write(bytes.subarray(done));
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(
        `short write: ${done} of ${bytes.length} bytes written, then ${n}`,
      );
    }
    done += n;
  }
}

/**
 * Whether an fsync error says the file system cannot sync a directory (as
 * opposed to a failure to make data durable: EIO, ENOSPC, EDQUOT).
 */
function unsupported(e: unknown): boolean {
  if (e instanceof Deno.errors.NotSupported) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "EINVAL" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
    return true;
  }
  // Deno names only some errno values; the message keeps the number.
  return /\(os error (22|95)\)/.test(String((e as Error | null)?.message));
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Parses the state file's text. Snapshots and verdicts must be well formed
 * (or the file is corrupt); snapshot details (`saved`) that are not are
 * dropped, since they only describe.
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
  const drains = parseDrainEntries(obj.drains);
  if (!drains.ok) return drains;
  const records = snapshots as Record<string, DnsRecord>;
  return {
    ok: true,
    value: {
      version: 1,
      snapshots: records,
      verdicts: verdicts as Record<string, StoredVerdict>,
      saved: parseSaved(obj.saved, records),
      ...(drains.value.length > 0 ? { drains: drains.value } : {}),
    },
  };
}

function parseSaved(
  raw: unknown,
  snapshots: Record<string, DnsRecord>,
): Record<string, SnapshotInfo> {
  const out: Record<string, SnapshotInfo> = {};
  if (typeof raw !== "object" || raw === null) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const i = v as Partial<SnapshotInfo> | null;
    if (
      k in snapshots && typeof i === "object" && i !== null &&
      typeof i.at === "number" && nullableString(i.by) &&
      nullableString(i.zone)
    ) {
      out[k] = { at: i.at, by: i.by ?? null, zone: i.zone ?? null };
      if (Number.isSafeInteger(i.v) && i.v! >= 0) out[k].v = i.v;
    }
  }
  return out;
}

function nullableString(x: unknown): boolean {
  return x === undefined || x === null || typeof x === "string";
}

function isRecord(r: unknown): r is DnsRecord {
  if (typeof r !== "object" || r === null) return false;
  const x = r as Record<string, unknown>;
  return (x.type === "A" || x.type === "AAAA") &&
    typeof x.name === "string" && typeof x.content === "string" &&
    typeof x.ttl === "number" && typeof x.proxied === "boolean" &&
    (x.comment === null || typeof x.comment === "string") &&
    Array.isArray(x.tags) && x.tags.every((t) => typeof t === "string") &&
    validOptionalFields(x);
}

/**
 * Reads and parses a state file without changing anything on disk (for the
 * commands that only look).
 * @param path the state file
 * @returns the state; an empty one when the file does not exist
 * @throws {Error} naming the file when it cannot be read or is not valid
 */
export async function readStateFile(path: string): Promise<StateFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyStateFile();
    throw new Error(`Cannot read state file "${path}": ${reason(e)}`, {
      cause: e,
    });
  }
  const parsed = parseStateFile(text);
  if (!parsed.ok) {
    throw new Error(`State file "${path}" is not valid: ${parsed.error}`);
  }
  return parsed.value;
}

/**
 * @param dir a state directory
 * @returns the path of its state file
 */
export function stateFilePath(dir: string): string {
  return `${dir.replace(/\/+$/, "")}/state.json`;
}
