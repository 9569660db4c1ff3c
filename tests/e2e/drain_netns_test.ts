/**
 * Drain end to end: the real agent (raw ICMP) in a namespace, three real
 * targets, the fake Cloudflare API through the real SDK, `--no-dry-run`.
 * `goavail drain` (run from the root namespace, through the agent's control
 * socket in its state_dir) withdraws a healthy target's record; the drain
 * survives a restart; `goavail undrain` restores the record exactly
 * (ttl/proxied/comment/tags).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";
import { goavail } from "../support/goavail_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

type Target = { ip: string; hold: string | null; drained: unknown };

Deno.test({
  ...labTest(
    "goavail drain withdraws a healthy IP, across a restart, and undrain restores it exactly",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({ agents: 1, targets: 3 });
    try {
      const ip = lab.targetIp(1);
      const target = async () =>
        ((await lab.status(0)).targets as Target[]).find((x) => x.ip === ip);
      const original = await lab.records();
      lab.startAgent(0);
      await lab.waitFor(
        async () => (await target().catch(() => null))?.hold === "in_sync",
        "the agent in sync",
        15_000,
      );
      await t.step(
        "drain → the record is withdrawn, with its reason shown",
        async () => {
          const r = await goavail(
            "drain",
            "-f",
            lab.configPath(0),
            ip,
            "--reason",
            "kernel upgrade",
          );
          assertEquals(r.code, 0, r.err);
          assert(r.out.includes(`${ip} drained in pool "default"`), r.out);
          await lab.waitFor(
            async () => !(await lab.published()).includes(ip),
            "withdrawal",
            15_000,
          );
          await lab.waitFor(
            async () => (await target())?.hold === "drained",
            "hold drained",
          );
          assertEquals(
            ((await target())?.drained as { reason: string }).reason,
            "kernel upgrade",
          );
          // The status server listens on the agent's loopback: ask from there.
          const child = lab.lab.spawn("a0", [
            "env",
            "NO_COLOR=1",
            Deno.execPath(),
            "run",
            "--allow-all",
            MAIN,
            "status",
            "-f",
            lab.configPath(0),
          ]);
          const o = await child.output();
          const s = {
            code: o.code,
            out: new TextDecoder().decode(o.stdout),
            err: new TextDecoder().decode(o.stderr),
          };
          assertEquals(s.code, 0, s.err);
          assert(
            s.out.split("\n").some((l) =>
              l.includes(ip) && l.includes("drained: kernel upgrade")
            ),
            s.out,
          );
        },
      );
      await t.step("restart → still drained, still out", async () => {
        assertEquals(await lab.stopAgent(0), 0);
        lab.startAgent(0);
        await lab.waitFor(
          async () => (await target().catch(() => null))?.hold === "drained",
          "the restarted agent keeping the drain",
          15_000,
        );
        assertEquals((await lab.published()).includes(ip), false);
      });
      await t.step(
        "undrain → the record is back with identical ttl/proxied/comment/tags",
        async () => {
          const r = await goavail("undrain", "-f", lab.configPath(0), ip);
          assertEquals(r.code, 0, r.err);
          await lab.waitFor(
            async () => (await lab.published()).includes(ip),
            "restore",
            15_000,
          );
          const pick = (rs: Record<string, unknown>[]) =>
            rs.filter((x) => x.content === ip).map((
              x,
            ) => [x.ttl, x.proxied, x.comment, x.tags]);
          assertEquals(pick(await lab.records()), pick(original));
          assertEquals((await target())?.drained, null);
        },
      );
      const audit = await lab.audit();
      assertEquals(audit.emptied, [], "no name was ever emptied");
    } finally {
      await lab.destroy();
    }
  },
});
