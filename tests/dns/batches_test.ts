import assert from "node:assert/strict";
import {
  BATCH_LIMIT,
  holdDeletes,
  planBatches,
} from "../../lib/dns/batches.ts";
import { matchPosts } from "../../lib/dns/cloudflare_match.ts";
import {
  type Change,
  type ChangeOutcome,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";

function rec(spec: string): DnsRecord {
  const [name, content] = spec.split(" ") as [string, string];
  return {
    id: `id-${name}-${content}`,
    type: content.includes(":") ? "AAAA" : "A",
    name,
    content,
    ttl: 1,
    proxied: false,
    comment: null,
    tags: [],
  };
}

/** "+www 192.0.2.1" is a create, "-www 192.0.2.1" a delete. */
function ch(spec: string): Change {
  const record = rec(spec.slice(1));
  return spec.startsWith("+")
    ? { kind: "create", record, fromSnapshot: true }
    : { kind: "delete", record };
}

function show(batches: Change[][]): string[][] {
  return batches.map((b) =>
    b.map((c) =>
      `${c.kind === "create" ? "+" : "-"}${c.record.name} ${c.record.content}`
    )
  );
}

const TABLE: { name: string; changes: string[]; want: string[][] }[] = [
  { name: "nothing", changes: [], want: [] },
  {
    name: "creates and deletes of different names share one batch",
    changes: ["-api 192.0.2.1", "+www 192.0.2.2"],
    want: [["+www 192.0.2.2", "-api 192.0.2.1"]],
  },
  {
    name: "a delete of a name that gets a create waits for a later batch",
    changes: ["-www 192.0.2.1", "+www 192.0.2.2"],
    want: [["+www 192.0.2.2"], ["-www 192.0.2.1"]],
  },
  {
    name: "only the name and type that gets a create is split off",
    changes: [
      "-www 192.0.2.1",
      "-www 2001:db8::1",
      "-api 192.0.2.9",
      "+www 192.0.2.2",
    ],
    want: [
      ["+www 192.0.2.2", "-www 2001:db8::1", "-api 192.0.2.9"],
      ["-www 192.0.2.1"],
    ],
  },
  {
    name: "deletes alone are one batch",
    changes: ["-www 192.0.2.1", "-www 192.0.2.2"],
    want: [["-www 192.0.2.1", "-www 192.0.2.2"]],
  },
];

for (const row of TABLE) {
  Deno.test(`planBatches() ${row.name}`, () => {
    assert.deepEqual(show(planBatches(row.changes.map(ch))), row.want);
  });
}

Deno.test("planBatches() cuts at the limit and keeps dependent deletes after every create batch", () => {
  const creates = Array.from({ length: 5 }, (_, i) => ch(`+www 192.0.2.${i}`));
  const deletes = Array.from(
    { length: 3 },
    (_, i) => ch(`-www 198.51.100.${i}`),
  );
  const batches = planBatches([...deletes, ...creates], 2);
  assert.deepEqual(batches.map((b) => b.length), [2, 2, 1, 2, 1]);
  assert.ok(batches.slice(0, 3).flat().every((c) => c.kind === "create"));
  assert.ok(batches.slice(3).flat().every((c) => c.kind === "delete"));
});

Deno.test("planBatches() keeps one batch per pass up to BATCH_LIMIT operations", () => {
  assert.equal(BATCH_LIMIT, 200);
  const at = Array.from({ length: 200 }, (_, i) => ch(`+h${i} 192.0.2.1`));
  assert.equal(planBatches(at).length, 1);
  const over = [...at, ch("+h200 192.0.2.1")];
  assert.deepEqual(planBatches(over).map((b) => b.length), [200, 1]);
  assert.throws(() => planBatches(at, 0), /integer ≥ 1, got 0/);
});

Deno.test("planBatches() puts every change in exactly one batch", () => {
  const changes = [
    "-www 192.0.2.1",
    "+www 192.0.2.2",
    "-api 192.0.2.3",
    "+api 2001:db8::3",
    "-api 2001:db8::4",
  ].map(ch);
  const flat = planBatches(changes, 1).flat();
  assert.equal(flat.length, changes.length);
  assert.deepEqual(new Set(flat), new Set(changes));
});

function outcome(change: Change, result: string): ChangeOutcome {
  if (result === "failed") {
    const error = new DnsProviderError("bad_request", "HTTP 400 (9000 bad)", {
      status: 400,
      codes: [9000],
    });
    return { change, result: "failed", error };
  }
  return { change, result: result as "done" | "already" };
}

const HOLD: {
  name: string;
  creates: Record<string, string | undefined>;
  sent: boolean;
}[] = [
  { name: "a done create", creates: { "192.0.2.2": "done" }, sent: true },
  {
    name: "an already create",
    creates: { "192.0.2.2": "already" },
    sent: true,
  },
  { name: "a failed create", creates: { "192.0.2.2": "failed" }, sent: false },
  {
    name: "a create not sent",
    creates: { "192.0.2.2": undefined },
    sent: false,
  },
  {
    name: "one of two creates failed",
    creates: { "192.0.2.2": "done", "192.0.2.3": "failed" },
    sent: false,
  },
];

for (const row of HOLD) {
  Deno.test(`holdDeletes() after ${row.name} ${row.sent ? "sends" : "holds"} the delete of that name`, () => {
    const del = ch("-www 192.0.2.1");
    const other = ch("-api 192.0.2.9");
    const creates = Object.keys(row.creates).map((ip) => ch(`+www ${ip}`));
    const known = new Map<Change, ChangeOutcome>();
    for (const c of creates) {
      const r = row.creates[c.record.content];
      if (r) known.set(c, outcome(c, r));
    }
    const { send, held } = holdDeletes(
      [del, other],
      [...creates, del, other],
      known,
    );
    assert.deepEqual(send, row.sent ? [del, other] : [other]);
    assert.equal(held.length, row.sent ? 0 : 1);
    const h = held[0];
    if (h?.result === "failed") {
      assert.match(h.error.message, /Not removing A www 192\.0\.2\.1/);
      assert.match(h.error.message, /next pass retries/);
    }
  });
}

Deno.test("holdDeletes() sends a delete the plan marked needsCreates: false even when the name's create failed", () => {
  const create = ch("+www 192.0.2.2");
  const del: Change = {
    ...ch("-www 192.0.2.1"),
    needsCreates: false,
  } as Change;
  const known = new Map<Change, ChangeOutcome>([
    [create, outcome(create, "failed")],
  ]);
  const { send, held } = holdDeletes([del], [create, del], known);
  assert.deepEqual([send, held], [[del], []]);
  const needs: Change = { ...del, needsCreates: true } as Change;
  assert.deepEqual(
    holdDeletes([needs], [create, needs], known).send,
    [],
    "needsCreates: true waits",
  );
});

Deno.test("matchPosts() pairs created records by name, type and content, not position", () => {
  const creates = [ch("+www 192.0.2.1"), ch("+www 2001:db8::1")];
  const reply = [
    { id: "n2", type: "AAAA", name: "www", content: "2001:DB8:0::1", ttl: 1 },
    { id: "n1", type: "A", name: "www", content: "192.0.2.1", ttl: 1 },
  ];
  const m = matchPosts(creates, reply);
  assert.equal(m.get(creates[0]!)?.id, "n1");
  assert.equal(m.get(creates[1]!)?.id, "n2");
  assert.equal(matchPosts(creates, reply.slice(1)).get(creates[1]!), undefined);
});
