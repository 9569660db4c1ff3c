import assert from "node:assert/strict";
import {
  FileStateStore,
  MemoryStateStore,
  parseStateFile,
} from "../../lib/agent/state_store.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";
import { createLogger } from "../../lib/observe/log.ts";
import { ManualClock } from "../../lib/observe/clock.ts";

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

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "goavail-state-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileStateStore.open() starts empty when there is no file", async () => {
  await withDir(async (dir) => {
    const store = await FileStateStore.open(`${dir}/sub`);
    assert.equal(store.snapshots().size, 0);
    assert.equal(store.verdicts().size, 0);
  });
});

Deno.test("FileStateStore.putSnapshot() persists the record without its id across reopen", async () => {
  await withDir(async (dir) => {
    const a = await FileStateStore.open(dir);
    await a.putSnapshot(RECORD);
    await a.putVerdict("192.0.2.10", { verdict: "down", since: 1234 });
    const b = await FileStateStore.open(dir);
    const { id: _id, ...expected } = RECORD;
    assert.deepEqual(b.snapshots().get(recordKey(RECORD)), expected);
    assert.deepEqual(b.verdicts().get("192.0.2.10"), {
      verdict: "down",
      since: 1234,
    });
    await b.dropSnapshots([recordKey(RECORD)]);
    assert.equal((await FileStateStore.open(dir)).snapshots().size, 0);
  });
});

Deno.test("FileStateStore.putSnapshot() leaves no temp files and a mode 0600 file", async () => {
  await withDir(async (dir) => {
    const store = await FileStateStore.open(dir);
    await Promise.all([
      store.putSnapshot(RECORD),
      store.putSnapshot({ ...RECORD, content: "192.0.2.11" }),
      store.putVerdict("192.0.2.10", { verdict: "up", since: 1 }),
    ]);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["state.json"]);
    assert.equal((await Deno.stat(store.path)).mode! & 0o777, 0o600);
    const parsed = parseStateFile(await Deno.readTextFile(store.path));
    assert.ok(parsed.ok);
    assert.equal(Object.keys(parsed.value.snapshots).length, 2);
  });
});

Deno.test("FileStateStore.open() moves a corrupt file aside and warns naming it", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/state.json`, '{"version":1,"snapshots":');
    const lines: string[] = [];
    const { logger } = createLogger({ sink: (l) => lines.push(l) });
    const clock = new ManualClock(1_700_000_000_000);
    const store = await FileStateStore.open(dir, { logger, clock });
    assert.equal(store.snapshots().size, 0);
    const aside = `${dir}/state.json.corrupt-1700000000000`;
    assert.equal(await Deno.readTextFile(aside), '{"version":1,"snapshots":');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /level=warn/);
    assert.ok(lines[0]!.includes(`${dir}/state.json`));
    // Starting again works and writes a fresh file.
    await store.putSnapshot(RECORD);
    assert.equal(
      (await FileStateStore.open(dir, { logger })).snapshots().size,
      1,
    );
    assert.equal(lines.length, 1);
  });
});

Deno.test("parseStateFile() rejects wrong versions and malformed entries", () => {
  assert.equal(parseStateFile("[]").ok, false);
  assert.equal(parseStateFile('{"version":2}').ok, false);
  assert.equal(
    parseStateFile('{"version":1,"snapshots":{"k":{"type":"MX"}}}').ok,
    false,
  );
  assert.equal(
    parseStateFile(
      '{"version":1,"verdicts":{"1.2.3.4":{"verdict":"maybe","since":1}}}',
    ).ok,
    false,
  );
  assert.equal(parseStateFile('{"version":1}').ok, true);
});

Deno.test("MemoryStateStore.putVerdict() writes only on change", async () => {
  const store = new MemoryStateStore();
  await store.putVerdict("192.0.2.1", { verdict: "up", since: 5 });
  await store.putVerdict("192.0.2.1", { verdict: "up", since: 5 });
  await store.dropSnapshots(["missing"]);
  assert.equal(store.writes, 1);
});

Deno.test("MemoryStateStore.snapshots() returns copies callers cannot mutate", async () => {
  const store = new MemoryStateStore();
  await store.putSnapshot(RECORD);
  store.snapshots().get(recordKey(RECORD))!.tags.push("x");
  assert.deepEqual(store.snapshots().get(recordKey(RECORD))!.tags, [
    "team:ops",
  ]);
});

Deno.test("FileStateStore.open() ignores and removes a temp file left by a crash mid-write", async () => {
  await withDir(async (dir) => {
    const a = await FileStateStore.open(dir);
    await a.putSnapshot(RECORD);
    // A crash between write and rename leaves a partial temp file behind.
    await Deno.writeTextFile(
      `${dir}/state.json.tmp-99999`,
      '{"version":1,"snap',
    );
    const b = await FileStateStore.open(dir);
    assert.equal(b.snapshots().size, 1);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["state.json"]);
  });
});

Deno.test("MemoryStateStore.putSnapshots() saves several records in one write", async () => {
  const store = new MemoryStateStore();
  await store.putSnapshots([RECORD, { ...RECORD, content: "192.0.2.11" }]);
  await store.putSnapshots([]);
  assert.equal(store.writes, 1);
  assert.equal(store.snapshots().size, 2);
});

Deno.test("parseStateFile() reads files without snapshot details and drops malformed ones", () => {
  const snapshot = JSON.stringify({ ...RECORD, id: undefined });
  const old = parseStateFile(
    `{"version":1,"snapshots":{"k":${snapshot}},"verdicts":{}}`,
  );
  assert.ok(old.ok);
  assert.deepEqual(old.value.saved, {});
  const mixed = parseStateFile(
    `{"version":1,"snapshots":{"k":${snapshot}},"saved":{` +
      `"k":{"at":5,"by":"edge-1","zone":"example.com"},` +
      `"gone":{"at":6,"by":null,"zone":null}}}`,
  );
  assert.ok(mixed.ok);
  assert.deepEqual(mixed.value.saved, {
    k: { at: 5, by: "edge-1", zone: "example.com" },
  });
  const bad = parseStateFile(
    `{"version":1,"snapshots":{"k":${snapshot}},"saved":{"k":{"at":"x"}}}`,
  );
  assert.ok(bad.ok, "a bad detail made the file corrupt");
  assert.deepEqual(bad.value.saved, {});
});

Deno.test("FileStateStore.putSnapshots() records when, by whom and in which zone", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock(1_700_000_000_000);
    const a = await FileStateStore.open(dir, { clock });
    a.setOrigin({ by: "edge-1", zone: "example.com" });
    await a.putSnapshot(RECORD);
    const b = await FileStateStore.open(dir);
    assert.deepEqual(b.snapshotInfo().get(recordKey(RECORD)), {
      at: 1_700_000_000_000,
      by: "edge-1",
      zone: "example.com",
    });
    await b.dropSnapshots([recordKey(RECORD)]);
    assert.equal((await FileStateStore.open(dir)).snapshotInfo().size, 0);
  });
});

Deno.test("FileStateStore keeps a snapshot's settings and private_routing across reopen, and loads files without them", async () => {
  await withDir(async (dir) => {
    const withSettings: DnsRecord = {
      ...RECORD,
      settings: { ipv4_only: true },
      privateRouting: true,
    };
    const a = await FileStateStore.open(dir);
    await a.putSnapshot(withSettings);
    const b = await FileStateStore.open(dir);
    const got = b.snapshots().get(recordKey(RECORD));
    assert.deepEqual(got?.settings, { ipv4_only: true });
    assert.equal(got?.privateRouting, true);
  });
  const { id: _id, ...old } = RECORD;
  const file = (record: unknown) =>
    JSON.stringify({ version: 1, snapshots: { k: record }, verdicts: {} });
  assert.ok(parseStateFile(file(old)).ok, "a file from before the fields");
  assert.equal(parseStateFile(file({ ...old, settings: "x" })).ok, false);
  assert.equal(parseStateFile(file({ ...old, privateRouting: 1 })).ok, false);
});
