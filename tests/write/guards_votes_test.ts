/**
 * The guards' choice by the cluster's votes, from an adversarial review of
 * the first version (raw down votes only): one vote's wobble must not swap
 * two dead IPs on every pass, and blast radius must not keep a dead IP in
 * DNS (or re-create it) while one nobody sees down stays out.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decideWrites } from "../../lib/write/decide.ts";
import { applyGuards } from "../../lib/write/guards.ts";
import type { WriteInput } from "../../lib/write/types.ts";
import { B, C, clusterInput, listing, viewOf, vote, X, Y } from "./fixtures.ts";

const Z = "192.0.2.3";

function pass(
  a: Record<string, "up" | "down">,
  b: Record<string, "up" | "down">,
  c: Record<string, "up" | "down">,
  listed: string[],
) {
  const base = clusterInput({
    view: viewOf(a),
    live: [
      vote(B, viewOf(b), { hears: [A_, C] }),
      vote(C, viewOf(c), { hears: [A_, B] }),
    ],
  });
  const input: WriteInput = {
    ...base,
    settings: {
      ...base.settings,
      ips: [X, Y, Z],
      guards: { minRecords: 2, maxRemovalsFraction: 1 },
    },
  };
  return decideWrites(input, listing(listed), new Map()).plan.changes.map((
    c,
  ) => [c.kind, c.record.content]);
}
const A_ = "198.51.100.1:7947";

Deno.test("churn: two cluster-down IPs whose down votes cross by one swap on every crossing", () => {
  // Pass 1: X down for 3, Y down for 2 (C sees Y up). X is listed, Y is out.
  const p1 = pass(
    { [X]: "down", [Y]: "down", [Z]: "up" },
    { [X]: "down", [Y]: "down", [Z]: "up" },
    { [X]: "down", [Y]: "up", [Z]: "up" },
    [X, Z],
  );
  // Both X and Y have a down quorum; min_records must keep one. Keeping the
  // listed one (X) needs no write; ranking by raw votes swapped: create Y, delete X.
  assertEquals(p1, []);
});

Deno.test("churn: ... and swaps back when C's view flips (one vote each way)", () => {
  // Pass 2 (after the swap of pass 1): C now sees X up and Y down.
  const p2 = pass(
    { [X]: "down", [Y]: "down", [Z]: "up" },
    { [X]: "down", [Y]: "down", [Z]: "up" },
    { [X]: "up", [Y]: "down", [Z]: "up" },
    [Y, Z],
  );
  assertEquals(p2, []); // raw votes: create X, delete Y
});

Deno.test("blast radius ignores down votes: keeps a cluster-down IP in DNS while one nobody sees down stays out", () => {
  // 1 is out and held (no quorum either way, 0 down votes); 2 is listed and
  // down for 3 agents. Cap floor(0.25 * 4) = 1: blast radius keeps the
  // removal already made (1) and keeps the dead 2 published.
  const out = applyGuards({
    name: "www.example.com",
    type: "A",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    present: new Set(["192.0.2.2", "192.0.2.3", "192.0.2.4"]),
    wantAbsent: new Set(["192.0.2.1", "192.0.2.2"]),
    down: new Set(["192.0.2.2"]),
    downVotes: new Map([["192.0.2.1", 0], ["192.0.2.2", 3]]),
  }, { minRecords: 1, maxRemovalsFraction: 0.25 });
  assertEquals([...out.absent], ["192.0.2.2"]);
});

Deno.test("blast radius re-creates a cluster-down IP while one nobody sees down stays out (sim I3)", () => {
  // Both out already (e.g. after fraction was lowered, or a reload added
  // 192.0.2.1 unsettled and unlisted). 2 is down for 3 agents, 1 for none.
  const out = applyGuards({
    name: "www.example.com",
    type: "A",
    ips: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
    present: new Set(["192.0.2.3", "192.0.2.4"]),
    wantAbsent: new Set(["192.0.2.1", "192.0.2.2"]),
    down: new Set(["192.0.2.2"]),
    downVotes: new Map([["192.0.2.1", 0], ["192.0.2.2", 3]]),
  }, { minRecords: 1, maxRemovalsFraction: 0.25 });
  // before: absent [1] -> create 2 (down quorum, family not down)
  assertEquals([...out.absent], ["192.0.2.2"]);
});

Deno.test("IPv6: downVotes keys in any form reach min_records", () => {
  const v6 = ["2001:db8::1", "2001:db8::2", "2001:db8::3"];
  const out = applyGuards({
    name: "www.example.com",
    type: "AAAA",
    ips: v6,
    present: new Set(["2001:db8::3"]),
    wantAbsent: new Set(["2001:db8::1", "2001:db8::2"]),
    down: new Set(["2001:db8::2"]),
    downVotes: new Map([["2001:db8::1", 0], ["2001:db8::2", 3]]),
  }, { minRecords: 2, maxRemovalsFraction: 1 });
  assertEquals([...out.absent], ["2001:db8::2"]);
});
