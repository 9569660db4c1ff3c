import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { guardEvents, guardKey } from "../../lib/agent/guard_notify.ts";
import type { GuardNote } from "../../lib/write/guards.ts";

const BLAST: GuardNote = {
  guard: "blast_radius",
  type: "A",
  name: "www.example.com",
  ips: ["192.0.2.3"],
};
const ALL_DOWN: GuardNote = {
  guard: "all_down",
  type: "AAAA",
  name: "www.example.com",
  ips: ["2001:db8::1", "2001:db8::2"],
};

Deno.test("guardEvents() notifies once when a guard starts holding records back", () => {
  const first = guardEvents(new Set(), [BLAST, ALL_DOWN]);
  assertEquals(first.events.map((e) => [e.event, e.hostname, e.ip]), [
    ["guard_triggered", "www.example.com", "192.0.2.3"],
    ["guard_triggered", "www.example.com", null],
  ]);
  assertEquals(
    first.events[1]!.detail,
    'Guard "all_down" kept AAAA www.example.com 2001:db8::1, 2001:db8::2 ' +
      "published: every IP is down, so none is removed",
  );
  const again = guardEvents(first.held, [
    { ...BLAST, ips: ["192.0.2.2"] },
    ALL_DOWN,
  ]);
  assertEquals(again.events, [], "repeated while the guards keep holding");
  assertEquals(again.held, first.held);
});

Deno.test("guardEvents() notifies once when a guard stops holding", () => {
  const held = new Set([guardKey(BLAST), guardKey(ALL_DOWN)]);
  const r = guardEvents(held, [ALL_DOWN]);
  assertEquals(r.events, [{
    event: "guard_cleared",
    hostname: "www.example.com",
    detail: 'Guard "blast_radius" no longer holds A www.example.com back',
  }]);
  assertEquals(r.held, new Set([guardKey(ALL_DOWN)]));
  assertEquals(guardEvents(r.held, [ALL_DOWN]).events, []);
});
