/**
 * Reload storm: 50 SIGHUPs to a real `goavail monitor` (dry-run, loopback
 * targets), alternating valid configs that change what /status shows and
 * invalid ones, each with a different error. Needs root (raw ICMP).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { parseProm, sampleValue } from "../support/prom_parse.ts";
import {
  type LogRecord,
  MonitorProcess,
  monitorToml,
} from "../support/monitor_process.ts";

const isRoot = Deno.uid() === 0;
if (!isRoot) {
  // deno-lint-ignore no-console
  console.error("skipping reload_test.ts: the monitor's raw ICMP needs root");
}

/** One invalid config: the line that breaks it and what the log must name. */
interface Invalid {
  top: string;
  names: string;
}

/** Each breaks the file differently; `names` is the key the error names. */
const INVALID: Invalid[] = [
  { top: "failure_threshold = 0", names: '"failure_threshold"' },
  { top: 'interval = "fast"', names: '"interval"' },
  { top: "failur_threshold = 3", names: '"failur_threshold"' },
  { top: "recovery_threshold = 1.5", names: '"recovery_threshold"' },
  { top: "probe_timeout = -1", names: '"probe_timeout"' },
  { top: 'min_records = "one"', names: '"min_records"' },
  { top: "max_removals_fraction = 2", names: '"max_removals_fraction"' },
  { top: 'log_level = "loud"', names: '"log_level"' },
  { top: 'probe_type = "udp"', names: '"probe_type"' },
  { top: 'state_dir = ["a"]', names: '"state_dir"' },
  { top: "[cloudflare", names: "TOML syntax error" },
];

/** What a valid config number `k` sets, and /status must then show. */
interface Valid {
  interval: number;
  failureThreshold: number;
  targets: string[];
}

function validConfig(k: number): Valid {
  return {
    interval: [0.2, 0.3, 0.5][k % 3]!,
    failureThreshold: 2 + (k % 4),
    targets: k % 2 === 0 ? ["127.0.0.1"] : ["127.0.0.1", "::1"],
  };
}

interface Status {
  config: { interval: number; failureThreshold: number };
  targets: { ip: string; lastRttMicros: number | null }[];
}

async function status(m: MonitorProcess): Promise<Status> {
  const r = await m.get("/status");
  assertEquals(r.status, 200);
  return JSON.parse(r.text);
}

function assertStatusShows(s: Status, v: Valid, what: string): void {
  assertEquals(s.config.interval, v.interval, `${what}: interval`);
  assertEquals(
    s.config.failureThreshold,
    v.failureThreshold,
    `${what}: failure_threshold`,
  );
  assertEquals(s.targets.map((t) => t.ip), v.targets, `${what}: targets`);
}

/** @returns `text` with top-level `line` replacing its key's line, or added. */
function withTopLine(text: string, line: string): string {
  const key = line.split("=")[0]!.trim();
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${key} =`));
  if (at >= 0) lines[at] = line;
  else lines.splice(lines.indexOf("[cloudflare]"), 0, line);
  return lines.join("\n");
}

const isOutcome = (r: LogRecord) =>
  r.msg === "config reloaded" ||
  (typeof r.msg === "string" && r.msg.startsWith("Reload rejected"));

/** Rewrites the file, sends SIGHUP, waits for the one outcome line. */
async function hup(m: MonitorProcess, text: string): Promise<LogRecord> {
  const from = m.records().length;
  await Deno.writeTextFile(m.configPath, text);
  m.signal("SIGHUP");
  return await m.waitFor(isOutcome, "the reload outcome", 10_000, from);
}

Deno.test({
  name:
    "goavail monitor survives 50 SIGHUPs alternating valid and invalid configs",
  ignore: !isRoot,
  fn: async () => {
    const first = validConfig(1);
    let stateDir = "";
    let port = 0;
    const toml = (v: Valid) =>
      monitorToml({
        statusPort: port,
        stateDir,
        interval: v.interval,
        failureThreshold: v.failureThreshold,
        targets: v.targets,
      });
    const m = await MonitorProcess.start((dir, p) => {
      stateDir = dir;
      port = p;
      return toml(first);
    });
    try {
      let inForce = first;
      assertStatusShows(await status(m), inForce, "at start");
      for (let i = 0; i < 50; i++) {
        if (i % 2 === 0) {
          const v = validConfig(i / 2 + 2);
          const r = await hup(m, toml(v));
          assertEquals(r.msg, "config reloaded", `SIGHUP ${i}: ${r.errors}`);
          assertStatusShows(await status(m), v, `after SIGHUP ${i}`);
          inForce = v;
        } else {
          const bad = INVALID[((i - 1) / 2) % INVALID.length]!;
          const r = await hup(m, withTopLine(toml(inForce), bad.top));
          assertEquals(r.level, "error", `SIGHUP ${i}`);
          assert(
            String(r.msg).startsWith("Reload rejected"),
            `SIGHUP ${i} (${bad.top}) was applied`,
          );
          assert(
            String(r.errors).includes(bad.names),
            `SIGHUP ${i}: the error does not name ${bad.names}: ${r.errors}`,
          );
          assertStatusShows(await status(m), inForce, `after SIGHUP ${i}`);
        }
      }
      assertEquals(m.exit, null, `the monitor died:\n${m.tail()}`);
      assertEquals((await m.get("/healthz")).status, 200);
      await m.waitUntil(async () => {
        const s = await status(m);
        return s.targets.every((t) => t.lastRttMicros !== null);
      }, "every target probed after the storm");
      const stray = m.lines.filter((l) => l !== "" && !l.startsWith("{"));
      assertEquals(stray, [], "non-log output (a crash?) on stderr");
      const metrics = parseProm((await m.get("/metrics")).text);
      const reloads = (result: string) =>
        sampleValue(metrics, "goavail_config_reloads_total", { result });
      assertEquals(reloads("ok"), 25);
      assertEquals(reloads("error"), 25);
      m.signal("SIGTERM");
      assertEquals((await m.child.status).code, 0, m.tail());
    } finally {
      await m.close();
    }
  },
});

Deno.test({
  name: "goavail monitor applies the last file after a burst of SIGHUPs",
  ignore: !isRoot,
  fn: async () => {
    let stateDir = "";
    let port = 0;
    const toml = (v: Valid) =>
      monitorToml({
        statusPort: port,
        stateDir,
        interval: v.interval,
        failureThreshold: v.failureThreshold,
        targets: v.targets,
      });
    const m = await MonitorProcess.start((dir, p) => {
      stateDir = dir;
      port = p;
      return toml(validConfig(0));
    });
    try {
      // 20 signals without waiting: the kernel may merge some, and reloads
      // are serialized, but the file in place at the end must win.
      for (let i = 1; i <= 20; i++) {
        const text = toml(validConfig(i));
        await Deno.writeTextFile(
          m.configPath,
          i % 3 === 0 ? withTopLine(text, "failure_threshold = 0") : text,
        );
        m.signal("SIGHUP");
        await new Promise((r) => setTimeout(r, 2));
      }
      const last = validConfig(20);
      await m.waitUntil(async () => {
        const s = await status(m);
        return s.config.failureThreshold === last.failureThreshold &&
          s.config.interval === last.interval &&
          s.targets.length === last.targets.length;
      }, "the last file applied");
      // Signals after the last write may still be reloading: let them end.
      await m.waitUntil(async () => {
        const metrics = parseProm((await m.get("/metrics")).text);
        const n = (result: string) =>
          sampleValue(metrics, "goavail_config_reloads_total", { result }) ??
            0;
        const done = m.records().filter(isOutcome).length;
        return n("ok") + n("error") === done &&
          m.records().filter((r) => r.msg === "SIGHUP: reloading config")
              .length === done;
      }, "every reload finished");
      assertStatusShows(await status(m), last, "after the burst");
      assertEquals(m.exit, null, `the monitor died:\n${m.tail()}`);
      assertEquals((await m.get("/healthz")).status, 200);
    } finally {
      await m.close();
    }
  },
});
