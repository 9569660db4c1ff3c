/**
 * The state directory lock: flock through FFI, the holder's pid in the file.
 */
import assert from "node:assert/strict";
import { lockStateDir } from "../../ffi/file_lock.ts";
import {
  lockFilePath,
  StateDirLockedError,
} from "../../lib/agent/state_lock.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "goavail-lock-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("lockStateDir() refuses a second open of the same dir, naming the dir and this pid", async () => {
  await withDir((dir) => {
    const first = lockStateDir(`${dir}/state`);
    try {
      assert.equal(
        Deno.readTextFileSync(lockFilePath(`${dir}/state`)),
        `${Deno.pid}\n`,
      );
      assert.throws(
        () => lockStateDir(`${dir}/state`),
        (e: unknown) =>
          e instanceof StateDirLockedError && e.pid === Deno.pid &&
          e.message.includes(`"${dir}/state"`) &&
          e.message.includes(`process ${Deno.pid}`),
      );
    } finally {
      first.release();
    }
    // Released: the next one gets it.
    lockStateDir(`${dir}/state`).release();
    return Promise.resolve();
  });
});

Deno.test("lockStateDir() refuses while another process holds the lock, and takes it once that process is gone", async () => {
  await withDir(async (dir) => {
    const script = `
      import { lockStateDir } from ${
      JSON.stringify(new URL("../../ffi/file_lock.ts", import.meta.url).href)
    };
      lockStateDir(${JSON.stringify(dir)});
      console.log("locked");
      await new Promise(() => setInterval(() => {}, 1000));
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    try {
      const first = await reader.read();
      assert.equal(first.value?.trim(), "locked");
      assert.throws(
        () => lockStateDir(dir),
        (e: unknown) =>
          e instanceof StateDirLockedError && e.pid === child.pid &&
          e.message.includes(`process ${child.pid} (`) &&
          e.message.includes(dir),
      );
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    }
    // The kernel dropped the dead holder's lock; the stale pid is overwritten.
    const lock = lockStateDir(dir);
    assert.equal(Deno.readTextFileSync(lock.path), `${Deno.pid}\n`);
    lock.release();
  });
});
