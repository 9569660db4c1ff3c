/**
 * Rule Q (lib/write/quorum.ts): with a majority quorum, two agents that
 * hear different subsets of the same cluster never want opposite changes.
 * Checked exhaustively over every verdict assignment of 3 and 5 agents
 * and every pair of heard subsets.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { intentOf, tally } from "../../lib/write/quorum.ts";
import type { Vote } from "../../lib/write/types.ts";
import { vote, X } from "./fixtures.ts";

type Seen = "up" | "down" | "none" | "isolated";
const KINDS: Seen[] = ["up", "down", "none", "isolated"];

function votesOf(seen: Seen[]): Vote[] {
  return seen.map((s, i) =>
    vote(
      `n${i}`,
      s === "up" || s === "down"
        ? { [X]: { verdict: s, since: 0, consecutive: 5 } }
        : {},
      { isolated: s === "isolated" },
    )
  );
}

function* assignments(n: number): Generator<Seen[]> {
  for (let k = 0; k < KINDS.length ** n; k++) {
    yield Array.from(
      { length: n },
      (_, i) => KINDS[Math.floor(k / KINDS.length ** i) % 4]!,
    );
  }
}

Deno.test("intentOf() never gives opposite intents to two views of one cluster", () => {
  for (const n of [3, 5]) {
    const needed = Math.floor(n / 2) + 1;
    for (const seen of assignments(n)) {
      const votes = votesOf(seen);
      const intents = new Set<string>();
      for (let mask = 1; mask < 1 << n; mask++) {
        const heard = votes.filter((_, i) => (mask >> i & 1) === 1);
        intents.add(intentOf(tally(X, heard), needed));
      }
      if (intents.has("absent") && intents.has("present")) {
        throw new Error(`opposite intents for ${seen.join(",")}`);
      }
    }
  }
});

Deno.test("tally() counts settled verdicts of agents that do not suspect themselves", () => {
  assertEquals(tally(X, votesOf(["down", "down", "up", "isolated", "none"])), {
    down: 2,
    up: 1,
  });
});

Deno.test("intentOf() needs the quorum in both directions", () => {
  assertEquals(intentOf({ down: 2, up: 0 }, 2), "absent");
  assertEquals(intentOf({ down: 1, up: 1 }, 2), "hold");
  assertEquals(intentOf({ down: 0, up: 2 }, 2), "present");
  assertEquals(intentOf({ down: 0, up: 1 }, 1), "present");
});
