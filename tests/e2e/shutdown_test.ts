/**
 * Shutdown of a real `goavail monitor` (dry-run, loopback targets only):
 * SIGTERM and SIGINT exit 0 (well inside a hang bound; the 2 s goal is
 * measured by `deno task bench --only shutdown`) with the state file written; a
 * webhook that never answers cannot hold the exit up (TCP probes of a closed
 * loopback port make every target fail, which triggers a notification),
 * nor can a Cloudflare API that never answers; a second stop signal
 * more than 0.5 s after the first exits at once. Needs root (raw ICMP).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { parseStateFile } from "../../lib/agent/state_store.ts";
import { freePort } from "../support/free_port.ts";
import { MonitorProcess, monitorToml } from "../support/monitor_process.ts";

const isRoot = Deno.uid() === 0;
if (!isRoot) {
  // deno-lint-ignore no-console
  console.error("skipping shutdown_test.ts: the monitor's raw ICMP needs root");
}

/**
 * A bound that only catches a hang: the 2 s exit goal is measured by
 * `deno task bench --only shutdown`, not asserted here.
 */
const EXIT_WITHIN_MS = 10_000;

/** Sends `sig` and waits for the exit. @returns the code and ms taken. */
async function stopWith(
  m: MonitorProcess,
  sig: Deno.Signal,
): Promise<{ code: number; ms: number }> {
  const t0 = performance.now();
  m.signal(sig);
  const { code } = await m.child.status;
  return { code, ms: performance.now() - t0 };
}

/** @returns the parsed state file; fails when missing or invalid. */
async function readState(m: MonitorProcess) {
  const parsed = parseStateFile(
    await Deno.readTextFile(`${m.stateDir}/state.json`),
  );
  assert(parsed.ok, `state.json does not parse: ${JSON.stringify(parsed)}`);
  return parsed.value;
}

/** Waits until /status shows a reply from every target. */
async function probed(m: MonitorProcess): Promise<void> {
  await m.waitUntil(async () => {
    const s = JSON.parse((await m.get("/status")).text);
    return s.targets.every((t: { lastRttMicros: unknown }) =>
      t.lastRttMicros !== null
    );
  }, "a reply from every target");
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `goavail monitor exits 0 on ${sig} with the state flushed`,
    ignore: !isRoot,
    fn: async () => {
      const m = await MonitorProcess.start((stateDir, statusPort) =>
        monitorToml({ stateDir, statusPort })
      );
      try {
        await probed(m);
        const { code, ms } = await stopWith(m, sig);
        assertEquals(code, 0, m.tail());
        assert(ms <= EXIT_WITHIN_MS, `took ${ms.toFixed(0)} ms`);
        assert(m.records().some((r) => r.msg === "stopped"), m.tail());
        const state = await readState(m);
        assertEquals(Object.keys(state.verdicts).sort(), ["127.0.0.1", "::1"]);
        for (const v of Object.values(state.verdicts)) {
          assertEquals(v.verdict, "up");
        }
        const left = [];
        for await (const e of Deno.readDir(m.stateDir)) left.push(e.name);
        // The lock file stays: unlinking it would let a starting agent lock
        // a new file while another still holds the old one.
        assertEquals(
          left.sort(),
          ["goavail.lock", "state.json"],
          "temp files left in state_dir",
        );
      } finally {
        await m.close();
      }
    },
  });
}

/** An HTTP server on 127.0.0.1 that accepts requests and never answers. */
function startHangingHook() {
  const hang = Promise.withResolvers<void>();
  let received = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      received++;
      await hang.promise;
      return new Response("too late");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received: () => received,
    async close() {
      hang.resolve();
      await server.shutdown();
    },
  };
}

/**
 * Starts a monitor probing TCP on a closed port of 127.0.0.1 and ::1: every
 * target fails at once, the self-isolation guard triggers, and its
 * notification goes to a hook that never answers.
 */
async function startStuckNotification() {
  const hook = startHangingHook();
  const port = freePort();
  let m: MonitorProcess | null = null;
  const close = async () => {
    await m?.close();
    await hook.close();
  };
  try {
    m = await MonitorProcess.start((stateDir, statusPort) =>
      monitorToml({
        stateDir,
        statusPort,
        extraTop: `probe_type = "tcp"\nport = ${port}`,
        extraSections: `[notify]\nwebhook_url = "${hook.url}"`,
      })
    );
    await m.waitFor(
      (r) => String(r.msg).startsWith("Self-isolation"),
      "self-isolation",
    );
    const mon = m;
    await mon.waitUntil(
      () => Promise.resolve(hook.received() > 0),
      "the notification to reach the hook",
    );
    return { m: mon, close };
  } catch (e) {
    await close();
    throw e;
  }
}

Deno.test({
  name: "goavail monitor exits 0 on SIGTERM while a notification hangs",
  ignore: !isRoot,
  fn: async () => {
    const { m, close } = await startStuckNotification();
    try {
      for (const ip of ["127.0.0.1", "::1"]) {
        await m.waitFor((r) => r.msg === `${ip} is down`, `${ip} down`);
      }
      const { code, ms } = await stopWith(m, "SIGTERM");
      assertEquals(code, 0, m.tail());
      assert(ms <= EXIT_WITHIN_MS, `took ${ms.toFixed(0)} ms`);
      const state = await readState(m);
      assertEquals(state.verdicts["::1"]?.verdict, "down");
      assertEquals(state.verdicts["127.0.0.1"]?.verdict, "down");
    } finally {
      await close();
    }
  },
});

Deno.test({
  name: "goavail monitor exits 0 on SIGTERM while a Cloudflare API call hangs",
  ignore: !isRoot,
  fn: async () => {
    const api = startHangingHook();
    let m: MonitorProcess | null = null;
    try {
      m = await MonitorProcess.start(
        (stateDir, statusPort) =>
          // With a zone_id, nothing is looked up before the agent starts.
          monitorToml({ stateDir, statusPort }).replace(
            'dns_domain = "example.com"',
            'dns_domain = "example.com"\nzone_id = "' + "0".repeat(32) + '"',
          ),
        ["--log-format", "json", "--no-dry-run"],
        {
          CLOUDFLARE_BASE_URL: api.url.replace("/hook", "/client/v4"),
          CLOUDFLARE_API_TOKEN: "test-token-not-secret",
        },
      );
      const mon = m;
      await mon.waitUntil(
        () => Promise.resolve(api.received() > 0),
        "the first (hanging) Cloudflare request",
      );
      const { code, ms } = await stopWith(mon, "SIGTERM");
      assertEquals(code, 0, mon.tail());
      assert(ms <= EXIT_WITHIN_MS, `took ${ms.toFixed(0)} ms`);
      const state = await readState(mon);
      assertEquals(Object.keys(state.verdicts).sort(), ["127.0.0.1", "::1"]);
    } finally {
      await m?.close();
      await api.close();
    }
  },
});

Deno.test({
  name:
    "goavail monitor exits at once on a second stop signal more than 0.5 s after the first",
  ignore: !isRoot,
  fn: async () => {
    const { m, close } = await startStuckNotification();
    try {
      m.signal("SIGTERM");
      await m.waitFor((r) => r.msg === "stopping", "stopping");
      // Stopping takes about 1 s here: the notifier waits for the hook.
      await new Promise((r) => setTimeout(r, 600));
      assertEquals(m.exit, null, "stopped before the second signal");
      const { code, ms } = await stopWith(m, "SIGTERM");
      assertEquals(code, 1, m.tail());
      assert(ms <= EXIT_WITHIN_MS, `took ${ms.toFixed(0)} ms`);
      assert(
        m.records().some((r) => r.msg === "second stop signal: exiting now"),
        m.tail(),
      );
    } finally {
      await close();
    }
  },
});

Deno.test({
  name: "goavail monitor ignores SIGHUP while stopping and still exits 0",
  ignore: !isRoot,
  fn: async () => {
    const { m, close } = await startStuckNotification();
    try {
      m.signal("SIGTERM");
      await m.waitFor((r) => r.msg === "stopping", "stopping");
      m.signal("SIGHUP");
      const { code, signal } = await m.child.status;
      assertEquals([code, signal], [0, null], m.tail());
      assert(m.records().some((r) => r.msg === "SIGHUP ignored: stopping"));
    } finally {
      await close();
    }
  },
});

Deno.test({
  name: "goavail monitor survives a SIGHUP while it is still starting",
  ignore: !isRoot,
  fn: async () => {
    const m = await MonitorProcess.spawn((stateDir, statusPort) =>
      monitorToml({ stateDir, statusPort })
    );
    try {
      // "config loaded" comes before the sockets, the state store and the
      // agent exist: a SIGHUP here used to find no listener and kill it.
      await m.waitFor(
        (r) => r.msg === "config loaded",
        "config loaded",
        15_000,
      );
      m.signal("SIGHUP");
      await m.waitFor(
        (r) => r.msg === "agent started",
        "agent started",
        15_000,
      );
      const { code, ms } = await stopWith(m, "SIGTERM");
      assertEquals(code, 0, m.tail());
      assert(ms <= EXIT_WITHIN_MS, `exit took ${ms} ms`);
    } finally {
      await m.close();
    }
  },
});
