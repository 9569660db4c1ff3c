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
        // How fast is measured by `deno task bench --only failover`; the
        // wait below only bounds a hang.
        "link down → record removed with one write",
        async () => {
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

Deno.test({
  ...labTest(
    "agent never leaves a hostname without records when every target dies",
  ),
  sanitizeResources: false,
  fn: async () => {
    const lab = await AgentLab.create({ agents: 1, targets: 3 });
    try {
      const agent = lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await lab.targetDown(0);
      await lab.waitFor(
        async () => (await lab.published()).length === 2,
        "first removal",
      );
      await lab.targetDown(1);
      await lab.targetDown(2);
      await lab.waitFor(
        () => agent.logs.some((l) => l.includes("Self-isolation")),
        "self-isolation",
        10_000,
      );
      await new Promise((r) => setTimeout(r, 3000));
      const audit = await lab.audit();
      assertEquals(audit.emptied, [], "a name went empty");
      assert((await lab.published()).length >= 1);
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "agent killed right after a delete still restores the record after restart",
  ),
  sanitizeResources: false,
  fn: async () => {
    const lab = await AgentLab.create({ agents: 1, targets: 2 });
    try {
      lab.startAgent(0);
      const original = (await lab.records()).find((r) =>
        r.content === lab.targetIp(1)
      );
      await lab.targetDown(1);
      await lab.waitFor(
        async () => !(await lab.published()).includes(lab.targetIp(1)),
        "removal",
      );
      assertEquals(await lab.stopAgent(0, "SIGKILL"), 137);
      await lab.targetUp(1);
      lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.published()).includes(lab.targetIp(1)),
        "restore after restart",
      );
      const restored = (await lab.records()).find((r) =>
        r.content === lab.targetIp(1)
      );
      for (const k of ["ttl", "proxied", "comment", "tags"]) {
        assertEquals(
          restored?.[k],
          original?.[k],
          `${k} lost across the restart`,
        );
      }
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "agent honours retry-after on 429 and converges without duplicates after 5xx",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({ agents: 1, targets: 3 });
    try {
      lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await t.step(
        "429 with retry-after 3: nothing sent before it",
        async () => {
          await lab.faults({
            kind: "status",
            status: 429,
            retryAfter: "3",
            match: { path: "dns_records" },
            times: 1,
          });
          await lab.targetDown(1);
          await lab.waitFor(
            async () => !(await lab.published()).includes(lab.targetIp(1)),
            "removal",
            20_000,
          );
          const api = (await lab.audit()).audit.filter((a) =>
            a.path.startsWith("/client/v4")
          );
          const limited = api.findIndex((a) => a.status === 429);
          assert(limited >= 0, "no 429 was served");
          const next = api[limited + 1];
          assert(next, "nothing after the 429");
          assert(
            next.at - api[limited]!.at >= 2900,
            `request ${next.at - api[limited]!.at} ms after the 429`,
          );
        },
      );
      await t.step("500s: converges, one record per IP", async () => {
        await lab.faults({
          kind: "status",
          status: 500,
          match: { method: "POST" },
          times: 2,
        });
        await lab.targetUp(1);
        await lab.waitFor(
          async () => (await lab.published()).includes(lab.targetIp(1)),
          "restore",
          30_000,
        );
        await new Promise((r) => setTimeout(r, 1500));
        const ips = await lab.published();
        assertEquals(ips, [...new Set(ips)], "duplicate records");
        assertEquals(ips.length, 3);
      });
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "agent in dry-run (the default) writes nothing and logs what it would do",
  ),
  sanitizeResources: false,
  fn: async () => {
    const lab = await AgentLab.create({ agents: 1, targets: 2 });
    try {
      // No dry-run flag and no `dry_run` key: the default must be dry-run.
      const agent = lab.startAgent(0, [], { writes: false });
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await lab.targetDown(1);
      await lab.waitFor(
        () =>
          agent.logs.some((l) =>
            l.includes(`would remove A www.example.com ${lab.targetIp(1)}`)
          ),
        "the would-remove log line",
        15_000,
      );
      assertEquals(await lab.writes(), []);
      assertEquals(
        (await lab.audit()).audit.length,
        0,
        "dry-run called the API",
      );
    } finally {
      await lab.destroy();
    }
  },
});
