/**
 * One process per state directory. Two agents sharing a `state_dir` would
 * overwrite each other's snapshots and delete each other's temp files, so
 * `goavail monitor` (and `goavail restore --no-dry-run`) hold an exclusive
 * lock on `<state_dir>/goavail.lock` for as long as they run, with their
 * pid written in the file; a second one refuses to start and names the
 * first. The lock itself is `flock(2)` (ffi/file_lock.ts): the kernel drops
 * it when the process ends, however it ends, so it never goes stale.
 * @module
 */

/** A held state directory lock. */
export interface StateDirLock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (also released when the process exits). */
  release(): void;
}

/**
 * Takes the lock of a state directory, creating the directory if needed.
 * @throws {StateDirLockedError} when another process holds it
 * @throws {Error} naming the file when it cannot be opened or locked
 */
export type LockStateDir = (dir: string) => StateDirLock;

/** Name of the lock file inside `state_dir`. */
export const LOCK_FILE = "goavail.lock";

/**
 * @param dir a state directory
 * @returns the path of its lock file
 */
export function lockFilePath(dir: string): string {
  return `${dir.replace(/\/+$/, "")}/${LOCK_FILE}`;
}

/** Another process holds the state directory's lock. */
export class StateDirLockedError extends Error {
  /** The state directory. */
  readonly dir: string;
  /** The holder's pid, as it wrote it in the lock file; null if unknown. */
  readonly pid: number | null;
  /** The holder's command line, when known. */
  readonly command: string | null;

  /**
   * @param dir the state directory
   * @param pid the holder's pid, when the lock file names it
   * @param command the holder's command line, when known
   */
  constructor(dir: string, pid: number | null, command: string | null = null) {
    const who = pid === null
      ? "another process (its pid is not in the lock file yet)"
      : `process ${pid}${command ? ` (${command})` : ""}`;
    super(
      `state_dir "${dir}" is locked by ${who}: two goavail agents must not ` +
        `share a state_dir. Stop the other one, or give this one its own ` +
        `state_dir`,
    );
    this.name = "StateDirLockedError";
    this.dir = dir;
    this.pid = pid;
    this.command = command;
  }

  /** @returns "process 1234 (goavail monitor …)", or a phrase when unknown */
  holder(): string {
    return this.pid === null
      ? "another process"
      : `process ${this.pid}${this.command ? ` (${this.command})` : ""}`;
  }
}

/**
 * Reads who holds a lock, for the error message (best effort).
 * @param path the lock file
 * @returns the pid written in it, and that process's command line
 */
export function lockHolder(
  path: string,
): { pid: number | null; command: string | null } {
  let pid: number | null = null;
  try {
    const n = Number(Deno.readTextFileSync(path).trim());
    if (Number.isInteger(n) && n > 0) pid = n;
  } catch {
    return { pid: null, command: null };
  }
  if (pid === null) return { pid, command: null };
  try {
    const raw = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    const command = raw.split("\0").filter((s) => s !== "").join(" ");
    return {
      pid,
      command: command.length > 160 ? `${command.slice(0, 157)}...` : command,
    };
  } catch {
    return { pid, command: null };
  }
}
