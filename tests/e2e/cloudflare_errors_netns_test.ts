/**
 * Cloudflare refusals, end to end: the real agent in a namespace against the
 * fake API on the lab bridge, `--no-dry-run`. A malformed token (400, 6003
 * [6111]) blocks writes at about one API call a minute, and the log,
 * `/status` and `/metrics` say the credentials were rejected; a pending zone
 * of the same name, listed before the active one, is never written.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";

const API = "/client/v4";
/** How long the blocked agent is watched. */
const WATCH_MS = 20_000;

const rejected = (logs: string[]) =>
  logs.filter((l) =>
    l.includes('"level":"error"') && l.includes("rejected the API token")
  );

Deno.test({
  ...labTest(
    "agent with a malformed token makes about one API call a minute and says credentials rejected",
  ),
  sanitizeResources: false,
  fn: async () => {
    const token = "not a well-formed token";
    const lab = await AgentLab.create({ agents: 1, targets: 2, token });
    try {
      const agent = lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await lab.waitFor(() => rejected(agent.logs).length > 0, "the error");
      await lab.targetDown(1);
      await new Promise((r) => setTimeout(r, WATCH_MS));
      const calls = (await lab.audit()).audit.filter((a) =>
        a.path.startsWith(API)
      );
      assert(
        calls.length >= 1 && calls.length <= 2,
        `${calls.length} API calls in ${WATCH_MS} ms: ${
          calls.map((c) => `${c.status} ${c.method} ${c.path}`).join(", ")
        }`,
      );
      assert(calls.every((c) => c.status === 400 && c.method === "GET"));
      assertEquals(rejected(agent.logs).length, 1, agent.logs.join("\n"));
      assert(rejected(agent.logs)[0]!.includes("CLOUDFLARE_API_TOKEN"));
      assert(!agent.logs.some((l) => l.includes(token)), "token in the log");
      const status = await lab.status(0) as {
        dns: { writesPaused: string | null };
        targets: { ip: string; verdict: string; hold: string | null }[];
      };
      assert(
        status.dns.writesPaused?.startsWith(
          "DNS writes blocked: credentials rejected",
        ),
        String(status.dns.writesPaused),
      );
      const dead = status.targets.find((t) => t.ip === lab.targetIp(1));
      assertEquals([dead?.verdict, dead?.hold], ["down", "dns_blocked"]);
      assert(
        (await lab.metrics(0)).includes("goavail_dns_credentials_rejected 1"),
      );
      assert((await lab.published()).includes(lab.targetIp(1)));
      assertEquals(await lab.writes(), []);
    } finally {
      await lab.destroy();
    }
  },
});

const PENDING_ID = "ab0000000000000000000000000000ff";

Deno.test({
  ...labTest(
    "agent never writes to a pending zone of the same name listed before the active one",
  ),
  sanitizeResources: false,
  fn: async () => {
    const targets = ["192.0.2.1", "192.0.2.2", "192.0.2.3"];
    const lab = await AgentLab.create({
      agents: 1,
      targets: 3,
      zonesBefore: [{
        id: PENDING_ID,
        name: "example.com",
        status: "pending",
        account: { id: "ab0000000000000000000000000000aa", name: "Old" },
        records: targets.map((ip) => ({
          type: "A",
          name: "www.example.com",
          content: ip,
        })),
      }],
    });
    try {
      lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      await lab.targetDown(1);
      await lab.waitFor(
        async () => !(await lab.published()).includes(lab.targetIp(1)),
        "removal from the active zone",
        15_000,
      );
      await lab.targetUp(1);
      await lab.waitFor(
        async () => (await lab.published()).includes(lab.targetIp(1)),
        "restore to the active zone",
        15_000,
      );
      const writes = await lab.writes();
      assert(writes.length >= 2, `${writes.length} writes`);
      for (const w of writes) {
        assert(
          w.path.includes("/zones/ab000000000000000000000000000001/"),
          w.path,
        );
      }
      const reads = (await lab.audit()).audit.filter((a) =>
        a.path.includes(PENDING_ID)
      );
      assertEquals(reads, [], "the pending zone was used");
      assertEquals(
        (await lab.api.records(PENDING_ID)).map((r) => r.content).sort(),
        targets,
      );
    } finally {
      await lab.destroy();
    }
  },
});
