/**
 * TCP probes end to end: the real agent probing `ip:port` with connects, in
 * a namespace, against listeners on the targets and the fake Cloudflare API.
 * A target whose firewall answers with an ICMP reject is the target's
 * failure (removed); a connect that never leaves the agent (no usable route)
 * is the agent's own (it abstains).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab, type StatusDoc } from "../support/agent_lab.ts";
import { Lab, labTest } from "../support/netns.ts";
import { serveTcpOnTargets } from "../support/tcp_targets.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PORT = 8081;
const IPTABLES = "/usr/sbin/iptables";

async function tcpLab(): Promise<AgentLab> {
  const lab = await AgentLab.create({
    agents: 1,
    targets: 3,
    extraToml: `probe_type = "tcp"\nport = ${PORT}`,
  });
  try {
    await serveTcpOnTargets(lab, PORT);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

async function statusOf(lab: AgentLab): Promise<StatusDoc | null> {
  return await lab.status(0).catch(() => null) as StatusDoc | null;
}

function localFaults(metrics: string): number {
  const m = /^goavail_probe_local_faults_total(?:\{[^}]*\})? (\d+)/m.exec(
    metrics,
  );
  return m ? Number(m[1]) : NaN;
}

Deno.test({
  ...labTest(
    "TCP target rejecting with icmp-host-prohibited is removed and the agent does not isolate",
  ),
  sanitizeResources: false,
  fn: async () => {
    const lab = await tcpLab();
    try {
      lab.startAgent(0);
      await lab.waitFor(
        async () =>
          (await statusOf(lab))?.targets?.every((t) => t.verdict === "up") ===
            true,
        "every TCP target up",
        30_000,
      );
      await lab.lab.exec("t1", [
        IPTABLES,
        "-w",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        String(PORT),
        "-j",
        "REJECT",
        "--reject-with",
        "icmp-host-prohibited",
      ], { check: true });
      let everIsolated = false;
      await lab.waitFor(
        async () => {
          const s = await statusOf(lab);
          if (s?.guards?.isolated) everIsolated = true;
          return !(await lab.published()).includes(lab.targetIp(1));
        },
        "the rejecting target's removal",
        20_000,
      );
      const s = await statusOf(lab);
      assertEquals(s?.guards?.isolated, false);
      assert(!everIsolated, "the agent suspected itself");
      assertEquals(localFaults(await lab.metrics(0)), 0);
      assertEquals(
        (await lab.published()).sort(),
        [lab.targetIp(0), lab.targetIp(2)],
      );
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "TCP connect without a usable route is a local fault: the agent abstains",
  ),
  sanitizeResources: false,
  fn: async () => {
    const lab = await tcpLab();
    try {
      lab.startAgent(0);
      await lab.waitFor(
        async () =>
          (await statusOf(lab))?.targets?.every((t) => t.verdict === "up") ===
            true,
        "every TCP target up",
        30_000,
      );
      await lab.lab.ip("a0", [
        "route",
        "add",
        "unreachable",
        `${lab.targetIp(2)}/32`,
      ]);
      await lab.waitFor(
        async () => (await statusOf(lab))?.guards?.isolated === true,
        "self-isolation",
        20_000,
      );
      assert(localFaults(await lab.metrics(0)) > 0, "no local fault counted");
      const t2 = (await statusOf(lab))?.targets?.find((t) =>
        t.ip === lab.targetIp(2)
      );
      assert(t2?.verdict !== "down", "a local fault counted against it");
      assert((await lab.published()).includes(lab.targetIp(2)));
      assertEquals(await lab.writes(), []);
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "hasRoute() finds no route for unreachable, prohibit, blackhole and unrouted addresses",
  ),
  fn: async () => {
    const lab = await Lab.create({
      hosts: [{
        name: "h",
        addresses: ["192.0.2.11/24"],
        routes: [
          ["add", "unreachable", "203.0.113.1"],
          ["add", "prohibit", "203.0.113.2"],
          ["add", "blackhole", "203.0.113.3"],
          ["add", "198.51.100.0/24", "via", "192.0.2.1"],
        ],
      }],
    });
    try {
      const ips = [
        "192.0.2.1",
        "192.0.2.99",
        "198.51.100.7",
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "2001:db8::1",
        "::1",
      ];
      const r = await lab.exec("h", [
        Deno.execPath(),
        "eval",
        `import { hasRoute } from "${ROOT}ffi/route_lookup.ts";` +
        `console.log(JSON.stringify(Deno.args.map(hasRoute)));`,
        "--",
        ...ips,
      ], { check: true });
      assertEquals(
        Object.fromEntries(ips.map((ip, i) => [ip, JSON.parse(r.stdout)[i]])),
        {
          "192.0.2.1": true, // on-link
          "192.0.2.99": true, // on-link, no neighbour: still a route
          "198.51.100.7": true, // via a gateway
          "203.0.113.1": false,
          "203.0.113.2": false,
          "203.0.113.3": false,
          "203.0.113.4": false, // no route at all
          "2001:db8::1": false, // no IPv6 address or route
          "::1": true,
        },
      );
    } finally {
      await lab.destroy();
    }
  },
});
