/**
 * The state directory lock through `flock(2)`: an exclusive, non-blocking
 * lock on `<state_dir>/goavail.lock`, held on an fd opened with O_CLOEXEC
 * (children never inherit it) until `release()` or the process's end. The
 * holder writes its pid into the file so a refused second process can name
 * it. `flock` locks belong to the open file description, so even two opens
 * in one process exclude each other.
 * @module
 */
import {
  LOCK_FILE,
  lockHolder,
  type StateDirLock,
  StateDirLockedError,
} from "../lib/agent/state_lock.ts";
import { C, errno, errnoName, libc, strerror } from "./libc.ts";

const encoder = new TextEncoder();

/**
 * Takes the lock of `dir` (created 0700 when missing).
 * @param dir the state directory
 * @returns the held lock
 * @throws {StateDirLockedError} when another process (or another open in
 *   this one) holds it
 * @throws {Error} naming the lock file when it cannot be opened or locked
 */
export function lockStateDir(dir: string): StateDirLock {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = `${dir.replace(/\/+$/, "")}/${LOCK_FILE}`;
  const c = libc();
  const fd = c.open(
    encoder.encode(path + "\0"),
    C.O_RDWR | C.O_CREAT | C.O_CLOEXEC,
    0o600,
  );
  if (fd < 0) throw lockError("open", path, errno());
  if (c.flock(fd, C.LOCK_EX | C.LOCK_NB) !== 0) {
    const code = errno();
    c.close(fd);
    if (code === C.EWOULDBLOCK) {
      const { pid, command } = lockHolder(path);
      throw new StateDirLockedError(dir, pid, command);
    }
    throw lockError("lock", path, code);
  }
  // The pid only serves the message of a refused second process: a full
  // disk that keeps it out does not make the lock any less held.
  const pid = encoder.encode(`${Deno.pid}\n`);
  if (c.ftruncate(fd, 0n) === 0) c.pwrite(fd, pid, BigInt(pid.length), 0n);
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      c.close(fd);
    },
  };
}

function lockError(what: string, path: string, code: number): Error {
  return new Error(
    `Cannot ${what} the state_dir lock file "${path}": ${strerror(code)} (${
      errnoName(code)
    })`,
  );
}
