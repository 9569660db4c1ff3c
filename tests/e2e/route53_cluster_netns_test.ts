/**
 * A three-agent cluster on Route 53, end to end: real agents (raw ICMP,
 * encrypted heartbeats) in namespaces, `monitor --dns-provider route53
 * --no-dry-run`, the real AWS SDK against the fake Route 53 API. One writer
 * withdraws a dead IP; when that writer is lost, another restores it.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { labTest } from "../support/netns.ts";
import { LAB_SECRET, LAB_SESSION, Route53Lab } from "../support/route53_lab.ts";

const WWW = "www.example.com";
const SET_TTL = 77;
const AGENTS = [0, 1, 2];

interface Status {
  targets?: { verdict: string }[];
  peers?: { addr: string; live: boolean }[];
  writer?: { node: string | null; active: boolean };
}

function toml(lab: Route53Lab, i: number): string {
  const ips = [0, 1, 2].map((t) => `"${lab.targetIp(t)}"`).join(", ");
  const peers = AGENTS.filter((j) => j !== i).map((j) =>
    `"${lab.agentIp(j)}:7947"`
  ).join(", ");
  return `failure_threshold = 3
interval = 0.5
state_dir = "${lab.dir}/state-a${i}"

[members]
peers = [${peers}]
local_addr = "${lab.agentIp(i)}:7947"
min_peers_agree = 1
crypto_key = "r53-lab-crypto-key-0123456789abcdef"
heartbeat_interval = 0.5

[route53]
aws_domain = "example.com"
hostnames = ["www"]
ip_addresses = [${ips}]
ttl = 30
`;
}

/** Every agent in `agents` sees all targets up and names `writer` active. */
async function settled(
  lab: Route53Lab,
  agents: number[],
  writer: number,
): Promise<boolean> {
  for (const i of agents) {
    const s = await lab.status(i) as Status | null;
    if (!s?.targets?.every((t) => t.verdict === "up")) return false;
    if (s.writer?.node !== `${lab.agentIp(writer)}:7947`) return false;
    if (i === writer && !s.writer.active) return false;
  }
  return true;
}

Deno.test({
  ...labTest(
    "a Route 53 cluster withdraws a dead IP once, and a surviving agent restores it after the writer is lost",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await Route53Lab.create(3, [
      {
        Name: WWW,
        Type: "A",
        TTL: SET_TTL,
        ResourceRecords: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
      },
      {
        Name: "api.example.com",
        Type: "A",
        TTL: 60,
        ResourceRecords: ["192.0.2.2"],
      },
    ], AGENTS.length);
    const posts = async () =>
      (await lab.audit()).audit.filter((a) => a.method === "POST");
    try {
      for (const i of AGENTS) await lab.startAgent(toml(lab, i), i);
      await lab.waitFor(
        () => settled(lab, AGENTS, 0),
        "the cluster to settle",
        40_000,
      );
      await t.step(
        "target down → one DELETE + CREATE by the one writer",
        async () => {
          await lab.targetDown(1);
          await lab.waitFor(
            async () =>
              !(await lab.set(WWW))?.ResourceRecords?.includes("192.0.2.2"),
            "the withdrawal",
          );
          await new Promise((r) => setTimeout(r, 3000));
          assertEquals((await posts()).length, 1, "no fight, no second writer");
          assertEquals((await lab.set(WWW))?.TTL, SET_TTL);
        },
      );
      await t.step(
        "writer lost, target back → another agent restores it",
        async () => {
          await lab.killAgent(0);
          await lab.targetUp(1);
          await lab.waitFor(
            async () => (await lab.set(WWW))?.ResourceRecords?.length === 3,
            "the restore by a surviving agent",
            40_000,
          );
          const set = await lab.set(WWW);
          assertEquals([...set!.ResourceRecords!].sort(), [
            "192.0.2.1",
            "192.0.2.2",
            "192.0.2.3",
          ]);
          assertEquals(set?.TTL, SET_TTL);
          assertEquals((await posts()).length, 2);
        },
      );
      assertEquals((await lab.audit()).emptied, []);
      assertEquals((await lab.set("api.example.com"))?.ResourceRecords, [
        "192.0.2.2",
      ]);
      for (const line of lab.allLogs()) {
        assert(
          !line.includes(LAB_SECRET) && !line.includes(LAB_SESSION),
          `secret leaked: ${line}`,
        );
      }
    } finally {
      await lab.destroy();
    }
  },
});
