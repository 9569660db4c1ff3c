/**
 * FileStateStore writes through an injected file system that misbehaves the
 * way a full disk or a file-size limit does: short writes, ENOSPC, EFBIG,
 * failing directory fsyncs.
 */
import assert from "node:assert/strict";
import { FileStateStore } from "../../lib/agent/state_store.ts";
import {
  denoStateFs,
  parseStateFile,
  type StateFs,
  type StateFsFile,
} from "../../lib/agent/state_file.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import {
  intents,
  IPS,
  JumpClock,
  ScriptProvider,
  SETTINGS,
  WWW,
} from "../dns/reconciler_harness.ts";

const RECORD: DnsRecord = {
  id: "abc123",
  type: "A",
  name: "www.example.com",
  content: "192.0.2.10",
  ttl: 300,
  proxied: true,
  comment: "edge node",
  tags: ["team:ops"],
};

/** How the injected file system treats temp-file writes and directory syncs. */
interface Faults {
  /** Bytes each write takes at most. */
  chunk?: number;
  /** Bytes the file may hold; writes past it take what fits, then 0. */
  limit?: number;
  /** Only this many temp files get `limit` (the rest have room). */
  limitedFiles?: number;
  /** Thrown by a temp-file write. */
  writeError?: Error;
  /** Thrown by the directory fsync. */
  dirSyncError?: Error;
}

/** Deno's file system, with the faults applied; counts write calls. */
function faultyFs(f: Faults): StateFs & { writeCalls: number } {
  const fs = {
    writeCalls: 0,
    async open(path: string, options: Deno.OpenOptions): Promise<StateFsFile> {
      const file = await denoStateFs.open(path, options);
      if (!options.write) {
        return {
          sync: () =>
            f.dirSyncError ? Promise.reject(f.dirSyncError) : file.sync(),
          write: (p) => file.write(p),
          close: () => file.close(),
        };
      }
      let size = 0;
      const limited = (f.limitedFiles ?? Infinity) > 0;
      f.limitedFiles = (f.limitedFiles ?? Infinity) - 1;
      const limit = limited ? f.limit ?? Infinity : Infinity;
      return {
        write: async (p: Uint8Array) => {
          fs.writeCalls++;
          if (f.writeError) throw f.writeError;
          const room = Math.max(0, limit - size);
          const n = Math.min(p.length, f.chunk ?? Infinity, room);
          if (n === 0) return 0;
          const written = await file.write(p.subarray(0, n));
          size += written;
          return written;
        },
        sync: () => file.sync(),
        close: () => file.close(),
      };
    },
    rename: denoStateFs.rename,
    remove: denoStateFs.remove,
  };
  return fs;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "goavail-state-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** Opens a store, writes one verdict for real, then opens it on `fs`. */
async function storeWithOldFile(
  dir: string,
  fs: StateFs,
): Promise<{ store: FileStateStore; old: string }> {
  const plain = await FileStateStore.open(dir);
  await plain.putVerdict("192.0.2.10", { verdict: "up", since: 1 });
  const old = await Deno.readTextFile(plain.path);
  return { store: await FileStateStore.open(dir, { fs }), old };
}

Deno.test("FileStateStore.putSnapshot() writes every byte when the file system takes a few at a time", async () => {
  await withDir(async (dir) => {
    const fs = faultyFs({ chunk: 7 });
    const store = await FileStateStore.open(dir, { fs });
    await store.putSnapshot(RECORD);
    assert.ok(fs.writeCalls > 10, `only ${fs.writeCalls} write calls`);
    const parsed = parseStateFile(await Deno.readTextFile(store.path));
    assert.ok(parsed.ok, "the state file is truncated");
    assert.equal(
      parsed.value.snapshots[recordKey(RECORD)]?.comment,
      "edge node",
    );
  });
});

Deno.test("FileStateStore.putSnapshot() fails on a short write and keeps the old file", async () => {
  await withDir(async (dir) => {
    const { store, old } = await storeWithOldFile(dir, faultyFs({ limit: 64 }));
    await assert.rejects(
      store.putSnapshot(RECORD),
      (e: Error) =>
        e.message.includes(store.path) && /short write/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(store.path), old);
    assert.deepEqual(await names(dir), ["state.json"], "temp file left");
    assert.equal(
      store.snapshots().size,
      0,
      "the failed snapshot stayed in memory",
    );
    assert.equal(store.snapshotInfo().size, 0);
  });
});

Deno.test("FileStateStore.putSnapshots() fails on ENOSPC and EFBIG and keeps the old file", async () => {
  const errors = [
    Object.assign(new Error("No space left on device (os error 28)"), {
      code: "ENOSPC",
    }),
    // Deno gives EFBIG no code: only the message says it.
    new Error("File too large (os error 27)"),
  ];
  for (const writeError of errors) {
    await withDir(async (dir) => {
      const { store, old } = await storeWithOldFile(
        dir,
        faultyFs({ writeError }),
      );
      await assert.rejects(
        store.putSnapshots([RECORD, { ...RECORD, content: "192.0.2.11" }]),
        (e: Error) => e.message.includes(writeError.message),
      );
      assert.equal(await Deno.readTextFile(store.path), old);
      assert.deepEqual(await names(dir), ["state.json"]);
      assert.equal(store.snapshots().size, 0);
    });
  }
});

Deno.test("FileStateStore.putSnapshot() fails when the directory fsync fails, but not when it is unsupported", async () => {
  await withDir(async (dir) => {
    const eio = Object.assign(new Error("Input/output error (os error 5)"), {
      code: "EIO",
    });
    const store = await FileStateStore.open(dir, {
      fs: faultyFs({ dirSyncError: eio }),
    });
    await assert.rejects(
      store.putSnapshot(RECORD),
      (e: Error) =>
        e.message.includes(`directory "${dir}"`) &&
        e.message.includes("os error 5"),
    );
    assert.equal(store.snapshots().size, 0);
  });
  const unsupported = [
    new Deno.errors.NotSupported("Operation not supported (os error 95)"),
    Object.assign(new Error("Invalid argument (os error 22)"), {
      code: "EINVAL",
    }),
  ];
  for (const dirSyncError of unsupported) {
    await withDir(async (dir) => {
      const store = await FileStateStore.open(dir, {
        fs: faultyFs({ dirSyncError }),
      });
      await store.putSnapshot(RECORD);
      assert.equal((await FileStateStore.open(dir)).snapshots().size, 1);
    });
  }
});

Deno.test("FileStateStore: a write after a failed one does not carry the failed snapshot", async () => {
  await withDir(async (dir) => {
    // The disk has room again by the time the queued write runs.
    const fs = faultyFs({ limit: 64, limitedFiles: 1 });
    const store = await FileStateStore.open(dir, { fs });
    const failed = store.putSnapshot(RECORD);
    const queued = store.putVerdict("192.0.2.10", {
      verdict: "down",
      since: 2,
    });
    await assert.rejects(failed);
    await queued;
    const reopened = await FileStateStore.open(dir);
    assert.equal(reopened.snapshots().size, 0);
    assert.equal(reopened.verdicts().get("192.0.2.10")?.verdict, "down");
  });
});

Deno.test("DnsReconciler over a FileStateStore that cannot write sends no delete, and the pass is not ok", async () => {
  await withDir(async (dir) => {
    const clock = new JumpClock();
    const provider = new ScriptProvider(clock, [WWW], IPS);
    // 192.0.2.1 is missing (to restore); 192.0.2.2 is to be withdrawn.
    provider.records.set(
      WWW,
      provider.records.get(WWW)!.filter((r) => r.content !== "192.0.2.1"),
    );
    const store = await FileStateStore.open(dir, {
      fs: faultyFs({ limit: 64 }),
    });
    const rec = new DnsReconciler(provider, store, {
      ...SETTINGS,
      hostnames: ["www"],
    }, { clock, maxAttempts: 1 });
    const report = await rec.reconcile(
      intents(["192.0.2.2"]),
      new Set(["192.0.2.2"]),
    );
    assert.notEqual(report.status, "ok");
    const sent = provider.calls.flatMap((c) => c.changes ?? []);
    assert.deepEqual(sent.filter((c) => c.kind === "delete"), []);
    assert.deepEqual(provider.contents(), IPS, "the restore still went out");
    assert.ok(report.writes.failed >= 1);
  });
});
