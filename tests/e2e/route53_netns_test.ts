/**
 * Route 53 failover, end to end: the original goavail.toml layout with a
 * `[Route53]` section, `goavail monitor --dns-provider route53
 * --no-dry-run` with real ICMP in a namespace, the real AWS SDK talking to
 * the fake Route 53 API on the lab bridge.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { labTest } from "../support/netns.ts";
import { LAB_SECRET, LAB_SESSION, Route53Lab } from "../support/route53_lab.ts";

const WWW = "www.example.com";
/** The set's TTL in the zone; the config says 30, which must not win. */
const SET_TTL = 77;

function originalToml(lab: Route53Lab): string {
  const ips = [0, 1, 2].map((i) => `"${lab.targetIp(i)}"`).join(", ");
  return `failure_threshold = 3
interval = 0.5
state_dir = "${lab.dir}/state"

[Cloudflare]
dns_proxied = false
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = [${ips}]

[Route53]
aws_domain = "example.com"
hostnames = ["www"]
ip_addresses = [${ips}]
ttl = 30
aws_zoneid = "Z0R53LAB"
aws_region = "us-west-2"
`;
}

Deno.test({
  ...labTest(
    "goavail monitor --dns-provider route53 withdraws a dead IP from the set and restores it with the TTL unchanged",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await Route53Lab.create(3, [
      {
        Name: "example.com",
        Type: "A",
        TTL: 600,
        ResourceRecords: ["198.51.100.1"],
      },
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
    ]);
    try {
      await lab.startAgent(originalToml(lab));
      await lab.waitFor(
        async () => (await lab.status()) !== null,
        "the agent's status server",
      );
      await t.step(
        "target down → one DELETE of the set as listed + CREATE without its value, TTL kept",
        async () => {
          await lab.targetDown(1);
          await lab.waitFor(
            async () =>
              !(await lab.set(WWW))?.ResourceRecords?.includes("192.0.2.2"),
            "the withdrawal",
          );
          const set = await lab.set(WWW);
          assertEquals(set?.ResourceRecords, ["192.0.2.1", "192.0.2.3"]);
          assertEquals(set?.TTL, SET_TTL);
          const writes = (await lab.audit()).audit.filter((a) =>
            a.method === "POST"
          );
          assertEquals(writes.length, 1);
          assert(
            /<Action>DELETE<\/Action>.*<Action>CREATE<\/Action>/s.test(
              writes[0]!.body,
            ) && !writes[0]!.body.includes("UPSERT"),
            writes[0]!.body,
          );
          assert(
            lab.allLogs().some((l) =>
              l.includes("Route 53 change submitted") && l.includes("C0000")
            ),
            "the change id is logged",
          );
        },
      );
      await t.step("every target down → the set is never emptied", async () => {
        await lab.targetDown(0);
        await lab.targetDown(2);
        await new Promise((r) => setTimeout(r, 4000));
        const set = await lab.set(WWW);
        assert((set?.ResourceRecords?.length ?? 0) >= 1, JSON.stringify(set));
      });
      await t.step(
        "targets back → the value returns, TTL unchanged",
        async () => {
          for (const i of [0, 1, 2]) await lab.targetUp(i);
          await lab.waitFor(
            async () => (await lab.set(WWW))?.ResourceRecords?.length === 3,
            "the restore",
            30_000,
          );
          const set = await lab.set(WWW);
          assertEquals([...set!.ResourceRecords!].sort(), [
            "192.0.2.1",
            "192.0.2.2",
            "192.0.2.3",
          ]);
          assertEquals(set?.TTL, SET_TTL);
        },
      );
      const audit = await lab.audit();
      assertEquals(audit.emptied, [], "a set disappeared");
      assertEquals((await lab.set("api.example.com"))?.ResourceRecords, [
        "192.0.2.2",
      ]);
      assertEquals((await lab.set("example.com"))?.ResourceRecords, [
        "198.51.100.1",
      ]);
      assert(
        audit.audit.every((a) => a.path.startsWith("/2013-04-01/")),
        "only the SDK's REST paths",
      );
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
