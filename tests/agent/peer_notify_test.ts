import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { PeerNotices } from "../../lib/agent/peer_notify.ts";

Deno.test("PeerNotices.onChange() reports a lost peer and its return, not its first arrival", () => {
  const n = new PeerNotices();
  assertEquals(n.onChange("10.0.0.1:7947", true), null, "first live is news");
  assertEquals(n.onChange("10.0.0.1:7947", false)?.event, "peer_lost");
  assertEquals(n.onChange("10.0.0.2:7947", true), null);
  assertEquals(n.onChange("10.0.0.1:7947", true), {
    event: "peer_recovered",
    detail: "Peer 10.0.0.1:7947 is live again",
  });
  assertEquals(n.onChange("10.0.0.1:7947", true), null);
});
