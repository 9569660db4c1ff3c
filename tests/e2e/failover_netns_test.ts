/**
 * Single-agent failover, end to end: the real agent (raw ICMP through FFI)
 * in a namespace, real targets in others, the fake Cloudflare API on the
 * lab bridge, `--no-dry-run`, interval 0.5 s, threshold 3.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";

const FLOOR_MS = 3 * 500;

Deno.test({
  ...labTest("agent removes a dead target's record and restores it unchanged"),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({ agents: 1, targets: 3 });
    try {
      lab.startAgent(0);
      const original = await lab.records();
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await t.step(
        "link down → record removed within threshold × interval + 2 s",
        async () => {
          const downAt = Date.now();
          await lab.targetDown(1);
          await lab.waitFor(
            async () => !(await lab.published()).includes(lab.targetIp(1)),
            "removal",
            15_000,
          );
          const deletes = (await lab.writes()).filter((w) =>
            w.method !== "GET"
          );
          assertEquals(deletes.length, 1, "one write per failover");
          const tookMs = deletes[0]!.at - downAt;
          assert(tookMs <= FLOOR_MS + 2000, `removal took ${tookMs} ms`);
        },
      );
      await t.step(
        "link up → record restored with identical ttl/proxied/comment/tags",
        async () => {
          await lab.targetUp(1);
          await lab.waitFor(
            async () => (await lab.published()).includes(lab.targetIp(1)),
            "restore",
            15_000,
          );
          const now = await lab.records();
          const pick = (rs: Record<string, unknown>[]) =>
            rs.filter((r) => r.content === lab.targetIp(1)).map((
              r,
            ) => [r.ttl, r.proxied, r.comment, r.tags]);
          assertEquals(pick(now), pick(original));
        },
      );
      const audit = await lab.audit();
      assertEquals(audit.emptied, []);
    } finally {
      await lab.destroy();
    }
  },
});
