/**
 * Socket permissions end to end: the fallback to unprivileged ping sockets,
 * and the error naming the fixes when ICMP is not permitted. The runner is
 * started as nobody (setpriv) inside a namespace whose
 * net.ipv4.ping_group_range the test sets. Root only.
 */
import assert from "node:assert/strict";
import type { Observation } from "../../lib/probe/types.ts";
import { Lab, labTest, run } from "../support/netns.ts";
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

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * A world-readable copy of the sources the runner needs (the checkout may
 * sit under a directory "nobody" cannot enter), a DENO_DIR for nobody, and
 * the argv prefix that drops to nobody.
 */
async function nobodySandbox() {
  const dir = await Deno.makeTempDir({ prefix: "gap-nobody-" });
  for (const part of ["ffi", "lib", "tests/support"]) {
    await Deno.mkdir(`${dir}/${part}`, { recursive: true });
    await run(["cp", "-r", `${ROOT}${part}/.`, `${dir}/${part}/`]);
  }
  await Deno.mkdir(`${dir}/deno_dir`);
  await run(["chmod", "-R", "a+rX", dir]);
  await Deno.chmod(`${dir}/deno_dir`, 0o777);
  return {
    runner: `${dir}/tests/support/probe_runner.ts`,
    prefix: [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "env",
      `DENO_DIR=${dir}/deno_dir`,
      "HOME=/tmp",
    ],
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

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
    const box = await nobodySandbox();
    try {
      const r = new Runner(
        lab,
        "agent",
        [
          "--interval",
          "50",
          "--timeout",
          "500",
          "192.0.2.2",
          "2001:db8::2",
        ],
        box.prefix,
        box.runner,
      );
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
      await box.cleanup();
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
    const box = await nobodySandbox();
    try {
      const r = new Runner(
        lab,
        "agent",
        ["--duration", "10", "127.0.0.1"],
        box.prefix,
        box.runner,
      );
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
      await box.cleanup();
    }
  },
});
