/**
 * `goavail status` against a real `goavail monitor` (dry-run, loopback
 * targets only): one plain line per target once the agent has probed them,
 * exit 0; and exit 1 naming the address once the agent is gone. Needs root
 * (the monitor's raw ICMP).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { MonitorProcess, monitorToml } from "../support/monitor_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const isRoot = Deno.uid() === 0;
if (!isRoot) {
  // deno-lint-ignore no-console
  console.error(
    "skipping status_command_test.ts: the monitor's raw ICMP needs root",
  );
}

async function goavailStatus(configPath: string) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "status", "-f", configPath],
    stdin: "null",
    env: { NO_COLOR: "" },
  }).output();
  const dec = new TextDecoder();
  return {
    code: r.code,
    out: dec.decode(r.stdout).trimEnd().split("\n"),
    err: dec.decode(r.stderr),
  };
}

Deno.test({
  name: "goavail status shows a running agent's targets, then says it is gone",
  ignore: !isRoot,
  fn: async () => {
    const m = await MonitorProcess.start((stateDir, statusPort) =>
      monitorToml({ stateDir, statusPort })
    );
    try {
      await m.waitUntil(async () => {
        const s = JSON.parse((await m.get("/status")).text);
        return s.targets.every((t: { lastRttMicros: unknown }) =>
          t.lastRttMicros !== null
        );
      }, "a reply from every target");
      const r = await goavailStatus(m.configPath);
      assertEquals(r.code, 0, r.err);
      assert(r.out[0]!.includes("dry-run"), r.out[0]);
      assert(r.out[1]!.startsWith("POOL "), r.out[1]);
      const rows = r.out.slice(2);
      assertEquals(rows.map((l) => l.split(/\s+/).slice(0, 3)), [
        ["default", "127.0.0.1", "up"],
        ["default", "::1", "up"],
      ]);
      for (const row of rows) {
        assert(/ \d+\.\d\d ms /.test(row), row);
        assert(!row.includes("\x1b"), "no colours when stdout is a pipe");
      }
      m.signal("SIGTERM");
      await m.child.status;
      const gone = await goavailStatus(m.configPath);
      assertEquals(gone.code, 1);
      assert(
        gone.err.includes(`http://127.0.0.1:${m.statusPort}/status`),
        gone.err,
      );
    } finally {
      await m.close();
    }
  },
});
