/**
 * The real ICMP engine end to end: the pinger runs inside a network
 * namespace (tests/support/probe_runner.ts spawned with `ip netns exec`)
 * against hosts on a lab bridge. Root only.
 */
import assert from "node:assert/strict";
import { openIcmpSockets } from "../../ffi/icmp_socket.ts";
import { systemClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { Pinger } from "../../lib/probe/pinger.ts";
import { runProbeCommand } from "../../lib/probe/probe_command.ts";
import type { Observation } from "../../lib/probe/types.ts";
import { Lab, labTest } from "../support/netns.ts";
import { Runner } from "../support/probe_runner_client.ts";

const HOSTS = [
  {
    name: "agent",
    addresses: ["192.0.2.1/24", "2001:db8::1/64"],
    routes: [["add", "unreachable", "203.0.113.0/24"]],
  },
  { name: "target", addresses: ["192.0.2.2/24", "2001:db8::2/64"] },
  { name: "other", addresses: ["192.0.2.3/24", "2001:db8::3/64"] },
];

const okFor = (ip: string) => (obs: Observation[]) =>
  obs.some((o) => o.ip === ip && o.ok);

Deno.test({
  ...labTest(
    "Pinger() in a namespace gets replies with plausible RTTs over IPv4 and IPv6",
  ),
  async fn() {
    const lab = await Lab.create({ hosts: HOSTS });
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "50",
        "--timeout",
        "500",
        "192.0.2.2",
        "2001:db8::2",
      ]);
      const both = (obs: Observation[]) =>
        obs.filter((o) => o.ip === "192.0.2.2" && o.ok).length >= 3 &&
        obs.filter((o) => o.ip === "2001:db8::2" && o.ok).length >= 3;
      assert.ok(await r.waitFor(both), r.stderr);
      const { code, summary } = await r.finish();
      assert.equal(code, 0, r.stderr);
      assert.deepEqual(summary?.kinds, { v4: "raw", v6: "raw" });
      for (const o of r.observations.filter((o) => o.ok)) {
        assert.ok(
          o.rttMicros !== null && o.rttMicros > 0 && o.rttMicros < 500_000,
          `${o.rttMicros}`,
        );
      }
      assert.equal(summary?.stats.localFaults, 0);
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest("Pinger() in a namespace times out a target whose link went down"),
  async fn() {
    const lab = await Lab.create({ hosts: HOSTS });
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "50",
        "--timeout",
        "200",
        "192.0.2.2",
        "2001:db8::2",
      ]);
      assert.ok(
        await r.waitFor((o) =>
          okFor("192.0.2.2")(o) && okFor("2001:db8::2")(o)
        ),
        r.stderr,
      );
      await lab.linkDown("target");
      const mark = r.observations.length;
      const timedOut = (ip: string) => (obs: Observation[]) =>
        obs.slice(mark).filter((o) => o.ip === ip && o.fault === "timeout")
          .length >= 3;
      assert.ok(
        await r.waitFor((o) =>
          timedOut("192.0.2.2")(o) && timedOut("2001:db8::2")(o)
        ),
      );
      const later = r.observations.slice(mark + 4);
      assert.ok(
        later.length > 0 && later.every((o) => !o.ok && o.fault === "timeout"),
      );
      await r.finish();
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "Pinger() in a namespace with adaptive timing waits 50 ms on a fast path, backing off when the link goes down",
  ),
  async fn() {
    const lab = await Lab.create({ hosts: HOSTS });
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "200",
        "--timeout",
        "200",
        "--adaptive",
        "192.0.2.2",
        "2001:db8::2",
      ]);
      const ips = ["192.0.2.2", "2001:db8::2"];
      type Timed = Observation & { timeoutMicros: number | null };
      const of = (ip: string, from = 0) =>
        (r.observations as Timed[]).slice(from).filter((o) => o.ip === ip);
      const warm = () =>
        ips.every((ip) => of(ip).filter((o) => o.ok).length >= 4);
      assert.ok(await r.waitFor(warm), r.stderr);
      for (const ip of ips) {
        // Sub-millisecond RTTs: the estimate sits at its 50 ms floor.
        const last = of(ip).filter((o) => o.ok).at(-1)!;
        assert.equal(last.timeoutMicros, 50_000, `${ip} ${last.rttMicros} µs`);
      }
      await lab.linkDown("target");
      const mark = r.observations.length;
      const misses = (ip: string) =>
        of(ip, mark).filter((o) => o.fault === "timeout");
      assert.ok(
        await r.waitFor(() => ips.every((ip) => misses(ip).length >= 3)),
      );
      for (const ip of ips) {
        // Each miss doubles the timeout, up to the interval.
        assert.deepEqual(
          misses(ip).slice(0, 3).map((o) => o.timeoutMicros),
          [100_000, 200_000, 200_000],
          ip,
        );
      }
      await r.finish();
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest(
    "Pinger() in a namespace reports a route to nowhere as a local fault",
  ),
  async fn() {
    const lab = await Lab.create({ hosts: HOSTS });
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "50",
        "--timeout",
        "200",
        "203.0.113.7",
      ]);
      assert.ok(await r.waitFor((o) => o.length >= 2), r.stderr);
      const { summary } = await r.finish();
      assert.ok(
        r.observations.every((o) =>
          o.fault === "local" && o.detail === "EHOSTUNREACH"
        ),
      );
      assert.equal(summary?.stats.timeouts, 0);
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest("Pinger() in a namespace adds and removes targets at run time"),
  async fn() {
    const lab = await Lab.create({ hosts: HOSTS });
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "50",
        "--timeout",
        "300",
        "192.0.2.2",
      ]);
      assert.ok(await r.waitFor(okFor("192.0.2.2")), r.stderr);
      await r.send("targets 192.0.2.3 2001:db8::3");
      assert.ok(
        await r.waitFor((o) =>
          okFor("192.0.2.3")(o) && okFor("2001:db8::3")(o)
        ),
      );
      const mark = r.observations.length;
      assert.ok(await r.waitFor((o) => o.length >= mark + 6));
      await r.finish();
      // Allow the probe in flight at the switch, nothing after it.
      const after = r.observations.slice(mark + 1);
      assert.ok(
        after.every((o) => o.ip !== "192.0.2.2"),
        JSON.stringify(after),
      );
    } finally {
      await lab.destroy();
    }
  },
});

Deno.test({
  ...labTest("Pinger() probes 127.0.0.1 and ::1 from the root namespace"),
  async fn() {
    const sockets = openIcmpSockets();
    const obs: Observation[] = [];
    const pinger = new Pinger(sockets, {
      clock: systemClock,
      logger: silentLogger,
      onObservation: (o) => obs.push(o),
      timing: { intervalMs: 20, timeoutMs: 500 },
    });
    try {
      pinger.setTargets(["127.0.0.1", "::1"]);
      pinger.start();
      for (let i = 0; i < 500 && obs.filter((o) => o.ok).length < 6; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await pinger.stop();
      assert.ok(obs.filter((o) => o.ip === "127.0.0.1" && o.ok).length >= 2);
      assert.ok(obs.filter((o) => o.ip === "::1" && o.ok).length >= 2);
      assert.ok(
        obs.every((o) => o.ok && o.rttMicros !== null && o.rttMicros < 500_000),
      );
    } finally {
      await pinger.stop();
      sockets.v4?.close();
      sockets.v6?.close();
    }
  },
});

Deno.test({
  ...labTest("runProbeCommand() prints fping-like lines for 127.0.0.1 and ::1"),
  async fn() {
    const lines: string[] = [];
    const code = await runProbeCommand({
      targets: ["127.0.0.1", "::1"],
      count: 3,
      intervalMs: 20,
      timeoutMs: 1000,
      openSockets: () => openIcmpSockets(),
      write: (l) => lines.push(l),
    });
    assert.equal(code, 0);
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /^127\.0\.0\.1 : xmt\/rcv\/%loss = 3\/3\/0%, min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+$/,
    );
    assert.match(lines[1]!, /^::1 {7}: xmt\/rcv\/%loss = 3\/3\/0%/);
  },
});
