/**
 * Drain over a cluster end to end: three real agents in namespaces with
 * encrypted heartbeats, the fake Cloudflare API through the real SDK. A
 * drain issued on an agent that does not write travels in heartbeats: every
 * agent shows it and the writer withdraws the record; an undrain issued on
 * a third agent brings the record back exactly.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { describeOps } from "../support/lab_audit.ts";
import { labTest } from "../support/netns.ts";
import { goavail } from "../support/goavail_cli.ts";
import { step, waitStatus, withCluster } from "../support/cluster_scenario.ts";

type Row = { ip: string; drained: { by: string } | null; hold: string | null };
const rowOf = (s: { targets?: unknown[] }, ip: string) =>
  (s.targets as Row[] | undefined)?.find((t) => t.ip === ip);

const fields = (rs: Record<string, unknown>[], ip: string) =>
  rs.filter((r) => r.content === ip).map((r) => [
    r.ttl,
    r.proxied,
    r.comment,
    r.tags,
  ]);

Deno.test({
  ...labTest(
    "a drain issued on one agent of three is honoured by all, and an undrain on another restores exactly",
  ),
  sanitizeResources: false,
  fn: (t) =>
    withCluster(async (lab) => {
      const ip = lab.targetIp(1);
      const original = await lab.records();
      await step(t, "drain on agent 2 → shown by all, withdrawn", async () => {
        const r = await goavail("drain", "-f", lab.configPath(2), ip);
        assertEquals(r.code, 0, r.err);
        for (const i of [0, 1, 2]) {
          await waitStatus(
            lab,
            i,
            (s) => rowOf(s, ip)?.drained?.by === lab.agentId(2),
            "the drain from agent 2",
          );
        }
        await lab.waitFor(
          async () => !(await lab.published()).includes(ip),
          "the writer withdrawing the drained IP",
          15_000,
        );
        await waitStatus(
          lab,
          0,
          (s) => rowOf(s, ip)?.hold === "drained",
          "hold drained on the writer",
        );
      });
      await step(t, "undrain on agent 1 → restored exactly", async () => {
        const r = await goavail("undrain", "-f", lab.configPath(1), ip);
        assertEquals(r.code, 0, r.err);
        await lab.waitFor(
          async () => (await lab.published()).includes(ip),
          "the record back",
          15_000,
        );
        assertEquals(fields(await lab.records(), ip), fields(original, ip));
        for (const i of [0, 1, 2]) {
          await waitStatus(
            lab,
            i,
            (s) => rowOf(s, ip)?.drained === null,
            "the drain lifted",
          );
        }
      });
      // One writer acted, once each way: no agent undid another.
      assertEquals(
        describeOps((await lab.writeOps()).filter((o) => o.status < 300)),
        [`delete ${ip}`, `create ${ip}`],
      );
    }),
});
