/**
 * Exit time: how long `goavail monitor` takes from SIGTERM (and SIGINT) to
 * its exit with the state flushed, against the 2 s goal. Tests only bound
 * it loosely (they catch hangs); the goal is measured here.
 * Run: `deno task bench --only shutdown`.
 * @module
 */

import { MonitorProcess, monitorToml } from "../support/monitor_process.ts";

/** The goal: stopped within 2 s of the signal. */
export const EXIT_GOAL_MS = 2000;

const encoder = new TextEncoder();
function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

/** @returns ms from `sig` to the exit of a monitor that has probed once. */
async function exitMs(sig: Deno.Signal): Promise<number | string> {
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
    const t0 = performance.now();
    m.signal(sig);
    const { code } = await m.child.status;
    const ms = performance.now() - t0;
    return code === 0 ? ms : `exit code ${code}`;
  } finally {
    await m.close();
  }
}

/** Runs 5 stops per signal (`--quick`: 2) and prints min/median/max. */
export async function run(): Promise<void> {
  if (Deno.uid() !== 0) {
    out("shutdown bench skipped: the monitor's raw ICMP needs root");
    return;
  }
  const runs = Deno.args.includes("--quick") ? 2 : 5;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await exitMs(sig);
      if (typeof r === "string") out(`${sig} run ${i + 1} discarded: ${r}`);
      else times.push(r);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    if (median === undefined) {
      out(`${sig}: no run finished`);
      continue;
    }
    out(
      `${sig} → exit: min ${times[0]!.toFixed(0)} ms, median ${
        median.toFixed(0)
      } ms, max ${times.at(-1)!.toFixed(0)} ms over ${times.length} runs ` +
        `(goal ≤ ${EXIT_GOAL_MS} ms: ${
          times.at(-1)! <= EXIT_GOAL_MS ? "met" : "MISSED"
        })`,
    );
  }
}

if (import.meta.main) await run();
