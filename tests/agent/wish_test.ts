import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  computeWish,
  type IntentClock,
  type WishInput,
} from "../../lib/agent/wish.ts";
import type { AgentView } from "../../lib/cluster/decide.ts";

const view = (
  id: string,
  verdicts: Record<string, "up" | "down">,
): AgentView => ({
  nodeId: id,
  isolated: false,
  view: Object.fromEntries(
    Object.entries(verdicts).map((
      [ip, verdict],
    ) => [ip, { verdict, since: 0, consecutive: 3 }]),
  ),
});

function input(over: Partial<WishInput>): WishInput {
  return {
    ips: ["192.0.2.1", "192.0.2.2"],
    self: view("a", { "192.0.2.1": "up", "192.0.2.2": "down" }),
    livePeers: [],
    minPeersAgree: 0,
    graceMs: 1000,
    isolated: false,
    unsettled: new Set(),
    now: 10_000,
    ...over,
  };
}

Deno.test("computeWish() single node: own verdict decides", () => {
  const { wish } = computeWish(input({}), new Map());
  assertEquals([...wish.intents], [["192.0.2.1", "present"], [
    "192.0.2.2",
    "absent",
  ]]);
  assertEquals([...wish.down], ["192.0.2.2"]);
  assertEquals(wish.abstain, false);
});

Deno.test("computeWish() holds unsettled IPs and passes isolation through", () => {
  const { wish } = computeWish(
    input({ unsettled: new Set(["192.0.2.2"]), isolated: true }),
    new Map(),
  );
  assertEquals(wish.intents.get("192.0.2.2"), "hold");
  assertEquals(wish.abstain, true);
});

Deno.test("computeWish() cluster: removal needs min_peers_agree + 1 votes", () => {
  const lone = computeWish(
    input({ minPeersAgree: 1, livePeers: [view("b", { "192.0.2.2": "up" })] }),
    new Map(),
  );
  assertEquals(lone.wish.intents.get("192.0.2.2"), "hold");
  const agreed = computeWish(
    input({
      minPeersAgree: 1,
      livePeers: [view("b", { "192.0.2.2": "down" })],
    }),
    new Map(),
  );
  assertEquals(agreed.wish.intents.get("192.0.2.2"), "absent");
});

Deno.test("computeWish() a non-preferred writer waits its grace, then acts", () => {
  const since: IntentClock = new Map();
  const peers = [view("0-first", { "192.0.2.1": "up", "192.0.2.2": "down" })];
  const first = computeWish(
    input({
      self: view("b", { "192.0.2.1": "up", "192.0.2.2": "down" }),
      minPeersAgree: 1,
      livePeers: peers,
    }),
    since,
  );
  assertEquals(first.wish.intents.get("192.0.2.2"), "hold");
  assertEquals(first.wish.wakeAtMs, 11_000);
  const later = computeWish(
    input({
      self: view("b", { "192.0.2.1": "up", "192.0.2.2": "down" }),
      minPeersAgree: 1,
      livePeers: peers,
      now: 11_000,
    }),
    since,
  );
  assertEquals(later.wish.intents.get("192.0.2.2"), "absent");
});
