/**
 * Rule W (lib/write/writer.ts): whatever each agent hears, at most one agent
 * of a cluster is an active writer when `min_peers_agree + 1` is a
 * majority. Checked over every link matrix of three agents and random ones
 * of five, with each agent's `hears` derived from the same matrix.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import fc from "fast-check";
import { decideIntents } from "../../lib/write/decide.ts";
import { compareIds, electWriter } from "../../lib/write/writer.ts";
import type { Vote } from "../../lib/write/types.ts";
import { clusterInput, seeing, vote } from "./fixtures.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}:7947`);

/**
 * @param n agents
 * @param link link[i][j]: i's heartbeats reach j
 * @param writable which agents stand
 * @returns the ids of agents that would write
 */
function activeWriters(
  n: number,
  link: boolean[][],
  writable: boolean[],
): string[] {
  const id = ids(n);
  const needed = Math.floor(n / 2) + 1;
  const hears = (j: number) =>
    id.filter((_, i) => i !== j && link[i]![j] && writable[i]);
  const acked = id.map((_, i) =>
    writable[i]! &&
    1 + id.filter((_, j) =>
            j !== i && link[j]![i] && hears(j).includes(id[i]!)
          ).length >= needed
  );
  const backs = (j: number) =>
    id.filter((_, i) => i !== j && link[i]![j] && acked[i]);
  const active: string[] = [];
  for (let self = 0; self < n; self++) {
    if (!writable[self]) continue;
    const live: Vote[] = [];
    for (let i = 0; i < n; i++) {
      if (i === self || !link[i]![self]) continue;
      live.push(
        vote(id[i]!, seeing(), {
          writable: writable[i],
          hears: hears(i),
          acked: acked[i],
          backs: backs(i),
        }),
      );
    }
    const input = clusterInput({
      self: id[self]!,
      live,
      minPeersAgree: Math.floor(n / 2),
    });
    input.cluster = {
      ...input.cluster!,
      configuredPeers: id.filter((_, i) => i !== self),
    };
    if (decideIntents(input).role.active) active.push(id[self]!);
  }
  return active;
}

function matrix(n: number, bits: number): boolean[][] {
  let k = 0;
  return Array.from(
    { length: n },
    (_, i) =>
      Array.from(
        { length: n },
        (_, j) => i === j ? true : (bits >> k++ & 1) === 1,
      ),
  );
}

Deno.test("electWriter() at most one active writer over every link matrix of 3 agents", () => {
  let withWriter = 0;
  for (let bits = 0; bits < 1 << 6; bits++) {
    for (let w = 0; w < 8; w++) {
      const writable = [0, 1, 2].map((i) => (w >> i & 1) === 1);
      const active = activeWriters(3, matrix(3, bits), writable);
      if (active.length > 1) {
        throw new Error(`two writers: ${active} (${bits}, ${w})`);
      }
      if (active.length === 1) withWriter++;
    }
  }
  // Not vacuous: most connected matrices do elect one.
  if (withWriter < 100) {
    throw new Error(`only ${withWriter} cases had a writer`);
  }
});

Deno.test("electWriter() at most one active writer over random link matrices of 5 agents", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 20 - 1 }),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      (bits, writable) =>
        activeWriters(5, matrix(5, bits), writable).length <= 1,
    ),
    { numRuns: 3000, seed: 9 },
  );
});

Deno.test("electWriter() a fully connected cluster elects its lowest writable id", () => {
  const all = Array.from({ length: 3 }, () => [true, true, true]);
  assertEquals(activeWriters(3, all, [true, true, true]), ["n0:7947"]);
  assertEquals(activeWriters(3, all, [false, true, true]), ["n1:7947"]);
});

Deno.test("electWriter() ignores relayed ids that are not configured peers", () => {
  const e = electWriter(
    vote("b:1", seeing()),
    [vote("c:1", seeing(), { hears: ["a:1", "zz:1"] })],
    ["c:1"],
  );
  assertEquals(e, { writer: "b:1", acks: 1 });
});

Deno.test("compareIds() orders by code units, the same everywhere", () => {
  assertEquals(["b", "B", "a", "10", "9"].sort(compareIds), [
    "10",
    "9",
    "B",
    "a",
    "b",
  ]);
});

Deno.test("electWriter() elects within a connected majority that an unacknowledged lower agent cannot block", () => {
  // link[i][j]: i reaches j. n0→n1 works, n1→n0 does not; n0→n2 does not,
  // n2→n0 does; n1↔n2 work. Nobody acknowledges n0, so n1 and n2 elect n1.
  const link = [
    [true, true, false],
    [false, true, true],
    [true, true, true],
  ];
  assertEquals(activeWriters(3, link, [true, true, true]), [ids(3)[1]]);
});

Deno.test("electWriter() with every link up elects the lowest agent only", () => {
  for (const n of [2, 3, 5]) {
    const all = Array.from({ length: n }, () => Array(n).fill(true));
    assertEquals(activeWriters(n, all, Array(n).fill(true)), [ids(n)[0]]);
  }
});
