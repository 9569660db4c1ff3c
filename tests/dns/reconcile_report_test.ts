/**
 * The reconciler's pure helpers (lib/dns/reconcile_report.ts): snapshots
 * before deletes (a delete whose snapshot is not saved is never sent), error
 * severity, log fields and retry defaults.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type Change,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import {
  outcomeFields,
  resolveOptions,
  snapshotDeletes,
  type SnapshotStore,
  worse,
} from "../../lib/dns/reconcile_report.ts";

function rec(content: string): DnsRecord {
  return {
    id: `id-${content}`,
    type: "A",
    name: "www.example.com",
    content,
    ttl: 1,
    proxied: true,
    comment: null,
    tags: [],
  };
}

const DEL_1: Change = { kind: "delete", record: rec("192.0.2.1") };
const DEL_2: Change = { kind: "delete", record: rec("192.0.2.2") };
const CREATE: Change = {
  kind: "create",
  record: rec("192.0.2.3"),
  fromSnapshot: false,
};

/** A store that records its calls and fails the ways it is told to. */
function store(fail: { one?: boolean; many?: boolean; batch?: boolean }) {
  const calls: string[] = [];
  const s: SnapshotStore = {
    snapshots: () => new Map(),
    putSnapshot: (r) => {
      calls.push(`one ${r.content}`);
      return fail.one
        ? Promise.reject(new Error("disk full"))
        : Promise.resolve();
    },
    dropSnapshots: () => Promise.resolve(),
  };
  if (fail.batch !== false) {
    s.putSnapshots = (rs) => {
      calls.push(`many ${rs.map((r) => r.content).join(",")}`);
      return fail.many
        ? Promise.reject(new Error("disk full"))
        : Promise.resolve();
    };
  }
  return { store: s, calls };
}

async function run(
  fail: { one?: boolean; many?: boolean; batch?: boolean },
  changes: Change[],
) {
  const { store: s, calls } = store(fail);
  const failed: string[] = [];
  const ready = await snapshotDeletes(s, changes, (c, e) => {
    failed.push(`${c.record.content} ${(e as Error).message}`);
  });
  return {
    ready: ready.map((c) => `${c.kind} ${c.record.content}`),
    calls,
    failed,
  };
}

Deno.test("snapshotDeletes() saves one delete's snapshot alone and keeps every change", async () => {
  assertEquals(await run({}, [CREATE, DEL_1]), {
    ready: ["create 192.0.2.3", "delete 192.0.2.1"],
    calls: ["one 192.0.2.1"],
    failed: [],
  });
});

Deno.test("snapshotDeletes() drops a delete whose snapshot cannot be saved", async () => {
  assertEquals(await run({ one: true }, [CREATE, DEL_1]), {
    ready: ["create 192.0.2.3"],
    calls: ["one 192.0.2.1"],
    failed: ["192.0.2.1 disk full"],
  });
});

Deno.test("snapshotDeletes() saves several deletes in one batch write", async () => {
  assertEquals(await run({}, [CREATE, DEL_1, DEL_2]), {
    ready: ["create 192.0.2.3", "delete 192.0.2.1", "delete 192.0.2.2"],
    calls: ["many 192.0.2.1,192.0.2.2"],
    failed: [],
  });
});

Deno.test("snapshotDeletes() drops every delete of a failed batch and keeps the creates", async () => {
  assertEquals(await run({ many: true }, [CREATE, DEL_1, DEL_2]), {
    ready: ["create 192.0.2.3"],
    calls: ["many 192.0.2.1,192.0.2.2"],
    failed: ["192.0.2.1 disk full", "192.0.2.2 disk full"],
  });
});

Deno.test("snapshotDeletes() saves one by one when the store has no batch write", async () => {
  assertEquals(await run({ batch: false, one: true }, [DEL_1, CREATE, DEL_2]), {
    ready: ["create 192.0.2.3"],
    calls: ["one 192.0.2.1", "one 192.0.2.2"],
    failed: ["192.0.2.1 disk full", "192.0.2.2 disk full"],
  });
});

Deno.test("worse() picks auth over 429 over 5xx over 4xx, the first on a tie", () => {
  const e = (kind: DnsProviderError["kind"], tag: string = kind) =>
    new DnsProviderError(kind, tag);
  const rows: [DnsProviderError | undefined, DnsProviderError, string][] = [
    [undefined, e("server"), "server"],
    [e("auth"), e("rate_limited"), "auth"],
    [e("rate_limited"), e("auth"), "auth"],
    [e("server"), e("rate_limited"), "rate_limited"],
    [e("conflict"), e("server"), "server"],
    [e("server", "first"), e("server", "second"), "first"],
  ];
  for (const [a, b, expected] of rows) {
    assertEquals(worse(a, b).message, expected);
  }
});

Deno.test("outcomeFields() names removes and restores, with from_snapshot only on creates", () => {
  assertEquals(outcomeFields({ change: DEL_1, result: "done" }), {
    action: "remove",
    type: "A",
    name: "www.example.com",
    content: "192.0.2.1",
    result: "done",
  });
  assertEquals(outcomeFields({ change: CREATE, result: "already" }), {
    action: "restore",
    type: "A",
    name: "www.example.com",
    content: "192.0.2.3",
    result: "already",
    from_snapshot: false,
  });
});

Deno.test("resolveOptions() fills the defaults and keeps what is given", () => {
  assertEquals(resolveOptions({}), {
    maxAttempts: 4,
    backoffMs: 500,
    maxBackoffMs: 8000,
    maxInlineWaitMs: 10_000,
    authRetryMs: 60_000,
    authLogIntervalMs: 60_000,
    maxPlanAgeMs: 3000,
  });
  assertEquals(
    resolveOptions({ maxAttempts: 0, maxInlineWaitMs: 5 }).maxAttempts,
    1,
  );
  assertEquals(resolveOptions({ maxInlineWaitMs: 5 }).maxInlineWaitMs, 5);
});
