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
import type { Observation } from "../../lib/probe/types.ts";
import { Lab, labTest } from "../support/netns.ts";
import type { Summary } from "../support/probe_runner.ts";

const RUNNER = new URL("../support/probe_runner.ts", import.meta.url).pathname;

/** A probe_runner process inside a lab host, fed commands on stdin. */
class Runner {
  readonly observations: Observation[] = [];
  summary: Summary | null = null;
  stderr = "";
  #child: Deno.ChildProcess;
  #reading: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(lab: Lab, host: string, args: string[], prefix: string[] = []) {
    this.#child = lab.spawn(
      host,
      [...prefix, Deno.execPath(), "run", "-A", RUNNER, "--json", ...args],
      { stdin: "piped" },
    );
    this.#writer = this.#child.stdin.getWriter();
    this.#reading = Promise.all([this.#readStdout(), this.#readStderr()])
      .then(() => {});
  }

  async #readStdout(): Promise<void> {
    let buffer = "";
    const stream = this.#child.stdout.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (msg.type === "observation") {
          const { type: _, ...o } = msg;
          this.observations.push(o);
        }
        if (msg.type === "summary") this.summary = msg;
      }
    }
  }

  async #readStderr(): Promise<void> {
    const stream = this.#child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) this.stderr += chunk;
  }

  /** Sends one command line (`targets ...`, `stop`). */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Waits (bounded, ~15 s) until `pred` holds over the observations. */
  async waitFor(pred: (obs: Observation[]) => boolean): Promise<boolean> {
    for (let i = 0; i < 750; i++) {
      if (pred(this.observations)) return true;
      if (this.summary) return pred(this.observations);
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Stops the runner and waits for its summary and exit. */
  async finish(): Promise<{ code: number; summary: Summary | null }> {
    await this.send("stop").catch(() => {});
    await this.#writer.close().catch(() => {});
    const status = await this.#child.status;
    await this.#reading;
    return { code: status.code, summary: this.summary };
  }
}

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
  ...labTest(
    "openIcmpSockets() falls back to ping sockets when raw sockets are refused",
  ),
  async fn() {
    const lab = await Lab.create({
      hosts: [
        {
          ...HOSTS[0]!,
          sysctls: { "net.ipv4.ping_group_range": "0 2147483647" },
        },
        HOSTS[1]!,
      ],
    });
    const denoDir = await Deno.makeTempDir({ prefix: "gap-deno-" });
    await Deno.chmod(denoDir, 0o777);
    try {
      const r = new Runner(lab, "agent", [
        "--interval",
        "50",
        "--timeout",
        "500",
        "192.0.2.2",
        "2001:db8::2",
      ], [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        `DENO_DIR=${denoDir}`,
        "HOME=/tmp",
      ]);
      assert.ok(
        await r.waitFor((o) =>
          okFor("192.0.2.2")(o) && okFor("2001:db8::2")(o)
        ),
        r.stderr,
      );
      const { summary } = await r.finish();
      assert.deepEqual(summary?.kinds, { v4: "dgram", v6: "dgram" });
    } finally {
      await lab.destroy();
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});

Deno.test({
  ...labTest(
    "openIcmpSockets() names the three fixes when ICMP is not permitted",
  ),
  async fn() {
    const lab = await Lab.create({
      hosts: [{
        name: "agent",
        sysctls: { "net.ipv4.ping_group_range": "1 0" },
      }],
    });
    const denoDir = await Deno.makeTempDir({ prefix: "gap-deno-" });
    await Deno.chmod(denoDir, 0o777);
    try {
      const r = new Runner(lab, "agent", ["--duration", "10", "127.0.0.1"], [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        `DENO_DIR=${denoDir}`,
        "HOME=/tmp",
      ]);
      const { code } = await r.finish();
      assert.notEqual(code, 0);
      assert.match(r.stderr, /ProbeError: Cannot open an IPv4 ICMP socket/);
      for (
        const fix of [
          "run goavail as root",
          "setcap cap_net_raw+ep",
          "ping_group_range",
        ]
      ) {
        assert.ok(r.stderr.includes(fix), fix);
      }
    } finally {
      await lab.destroy();
      await Deno.remove(denoDir, { recursive: true });
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
