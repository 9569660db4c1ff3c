/**
 * The same-name swap end to end: the real agent in a namespace, two real
 * targets, the strict fake Cloudflare API on the lab bridge. X dies and is
 * withdrawn; then X comes back while Y dies, so one name gains X and loses
 * Y. At no state the fake's edge passes through (each single change of a
 * batch is one) may www.example.com be without an A record.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";

const WWW = "www.example.com";

Deno.test({
  ...labTest("agent restoring X and withdrawing Y never leaves the name empty"),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({
      agents: 1,
      targets: 2,
      extraToml: "min_records = 1\nmax_removals_fraction = 0.5",
    });
    const [x, y] = [lab.targetIp(0), lab.targetIp(1)];
    try {
      lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await t.step("X down → X withdrawn", async () => {
        await lab.targetDown(0);
        await lab.waitFor(
          async () => !(await lab.published()).includes(x),
          "X withdrawn",
          15_000,
        );
      });
      await t.step("X up, Y down → X restored, then Y withdrawn", async () => {
        await lab.targetUp(0);
        await lab.targetDown(1);
        await lab.waitFor(
          async () => {
            const now = await lab.published();
            return now.includes(x) && !now.includes(y);
          },
          "X restored and Y withdrawn",
          20_000,
        );
      });
      assertEquals(await lab.published(), [x]);
      assertEquals(await lab.api.minRecordsSeen(WWW, "A"), 1);
      assertEquals((await lab.audit()).emptied, []);
      const writes = await lab.writes();
      const restore = writes.find((w) => w.body.includes(`"content":"${x}"`));
      assert(restore, "no restore of X was sent");
      assert(
        !/"deletes":\[\{/.test(restore.body),
        `a delete went out with the restore: ${restore.body}`,
      );
    } finally {
      await lab.destroy();
    }
  },
});
