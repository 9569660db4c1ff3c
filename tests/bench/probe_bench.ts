/**
 * Probe benchmark: our pinger against fping, in the same network-namespace
 * lab and the same run. One target host holds up to 10,000 IPv6 addresses
 * (2001:db8:100::/64, routed via the host); both tools run in the agent
 * namespace one after the other on the same targets, timed by the same code
 * (probe_bench_runs.ts: wall spawn → exit, CPU of the reaped child, VmHWM).
 *
 * Parts (each alone with its flag; none = all but the soak):
 * - start-up: a 1-probe run of each tool, subtracted from every figure below;
 * - `--capacity-only`: the highest offered rate each tool holds (0 lost,
 *   finished within 1.25× its schedule), doubling then bisecting;
 * - `--cpu-only`: CPU per probe at 1,000 × 1 s, 10,000 × 1 s and
 *   6,000 probes/s, idle CPU with 10 targets, peak RSS;
 * - `--burst-only`: 5,000 probes at once;
 * - `--accuracy-only`: each tool's RTTs against a capture on the switch port
 *   facing the agent, probe by probe (tool − port: p1/p50/p90/p99);
 * - `--soak`: adds 10 minutes at 10,000 targets. `--quick`: 1 repeat, a
 *   shorter search. Root only.
 * Every run thrown away is printed with its reason and counted.
 * @module
 */

import { labUnavailable } from "../support/lab_exec.ts";
import { Lab } from "../support/netns.ts";
import {
  DeadlineError,
  FPING,
  runFping,
  runOurs,
  type RunResult,
  target,
} from "./probe_bench_runs.ts";
import {
  Discards,
  findCapacity,
  missReason,
  perProbe,
  quantile,
  SCHEDULE_SLACK,
} from "./probe_bench_search.ts";

// deno-lint-ignore no-console
const out = (line: string) => console.log(line);

const fmt = (n: number, d = 2) => Number.isFinite(n) ? n.toFixed(d) : "n/a";
const verdict = (ok: boolean) => ok ? "MET" : "MISSED";

/** The two tools. */
type Tool = "ours" | "fping";
const TOOLS: readonly Tool[] = ["ours", "fping"];

/** A probing schedule both tools are given. */
interface Schedule {
  /** Targets, probed round-robin. */
  n: number;
  /** ms between two probes to one target (a round). */
  intervalMs: number;
  rounds: number;
  timeoutMs: number;
}

/** Probes a schedule asks for. */
const scheduled = (s: Schedule) => s.n * s.rounds;
/** ms from the first send to the last (sends spread over each round). */
const scheduleMs = (s: Schedule) =>
  (s.rounds - 1 + (s.n - 1) / s.n) * s.intervalMs;
const offered = (s: Schedule) => (s.n * 1000) / s.intervalMs;

/** Start-up cost of one tool: medians of 1-probe runs. */
interface Startup {
  wallMs: number;
  cpuSeconds: number;
}

/** Shared state of one bench run. */
interface Bench {
  lab: Lab;
  dir: string;
  discards: Discards;
  startup: Record<Tool, Startup>;
  repeats: number;
}

async function targetsFile(b: Bench, n: number): Promise<string> {
  const file = `${b.dir}/targets-${n}.txt`;
  await Deno.writeTextFile(
    file,
    Array.from({ length: n }, (_, i) => target(i)).join("\n") + "\n",
  );
  return file;
}

/**
 * Runs one tool on a schedule. Ours stops after the scheduled count of
 * observations (a hard cap at 3× the schedule + 10 s); fping's `-C` does
 * the same by itself.
 */
async function runSchedule(
  b: Bench,
  tool: Tool,
  s: Schedule,
): Promise<RunResult> {
  const file = await targetsFile(b, s.n);
  const capMs = Math.ceil(3 * scheduleMs(s) + s.timeoutMs + 10_000);
  const deadlineMs = capMs + 10_000;
  if (tool === "ours") {
    return await runOurs(b.lab, [
      "--interval",
      String(s.intervalMs),
      "--timeout",
      String(s.timeoutMs),
      "--count",
      String(scheduled(s)),
      "--duration",
      String(capMs),
      "--targets-file",
      file,
    ], deadlineMs);
  }
  return await runFping(b.lab, [
    "-C",
    String(s.rounds),
    "-q",
    "-p",
    String(s.intervalMs),
    "-i",
    String(s.intervalMs / s.n),
    "-t",
    String(s.timeoutMs),
    "-f",
    file,
  ], deadlineMs);
}

/** Runs, with one retry when the tool itself fails (the failure printed). */
async function tryRun(
  b: Bench,
  what: string,
  go: () => Promise<RunResult>,
): Promise<RunResult | null> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      return await go();
    } catch (e) {
      b.discards.add(
        `${what} (attempt ${attempt})`,
        e instanceof Error ? e.message.split("\n")[0]! : String(e),
        out,
      );
    }
  }
  return null;
}

const median = (xs: number[]) => quantile([...xs].sort((x, y) => x - y), 0.5);

async function measureStartup(b: Bench): Promise<void> {
  out(`\n## Start-up (1 probe to 1 target, median of 3; subtracted below)`);
  out(`| tool | wall spawn → exit ms | CPU ms |`);
  out(`| --- | --- | --- |`);
  for (const tool of TOOLS) {
    const walls: number[] = [], cpus: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await tryRun(
        b,
        `start-up ${tool} #${i + 1}`,
        () =>
          tool === "ours"
            ? runOurs(b.lab, [
              "--count",
              "1",
              "--timeout",
              "1000",
              "--duration",
              "10000",
              target(0),
            ], 20_000)
            : runFping(
              b.lab,
              ["-C", "1", "-q", "-t", "1000", target(0)],
              20_000,
            ),
      );
      if (r) {
        walls.push(r.wallMs);
        cpus.push(r.cpuSeconds);
      }
    }
    b.startup[tool] = { wallMs: median(walls), cpuSeconds: median(cpus) };
    out(
      `| ${tool} | ${fmt(b.startup[tool].wallMs, 1)} | ${
        fmt(b.startup[tool].cpuSeconds * 1000, 1)
      } |`,
    );
  }
}

/** The schedule for an offered rate: ≥ 2 rounds, about 2 s. */
function scheduleFor(rate: number): Schedule {
  const n = Math.min(rate, 10_000);
  const intervalMs = (1000 * n) / rate;
  const rounds = Math.max(2, Math.ceil(2000 / intervalMs));
  return { n, intervalMs, rounds, timeoutMs: Math.min(1000, intervalMs) };
}

async function capacity(
  b: Bench,
  quick: boolean,
): Promise<Record<Tool, number>> {
  out(
    `\n## Capacity: highest offered rate held (0 lost, done within ${SCHEDULE_SLACK}× the schedule)`,
  );
  out(
    `Offered rate R: min(R, 10,000) targets, interval n/R s, ≥ 2 rounds (~2 s); wall time minus the 1-probe start-up.`,
  );
  out(
    `fping's own floor: none as root (-i 0.001 ms and -p 0.5 ms are accepted), so its ceiling is its own loop.`,
  );
  const held: Record<Tool, number> = { ours: 0, fping: 0 };
  for (const tool of TOOLS) {
    out(
      `\n| ${tool}: offered /s | targets × rounds | lost | × schedule | result |`,
    );
    out(`| --- | --- | --- | --- | --- |`);
    const result = await findCapacity(async (rate) => {
      const s = scheduleFor(rate);
      let r: RunResult;
      try {
        r = await runSchedule(b, tool, s);
      } catch (e) {
        const why = e instanceof Error ? e.message.split("\n")[0]! : String(e);
        // A run killed at its deadline is a miss, not a discard.
        if (!(e instanceof DeadlineError)) {
          b.discards.add(`capacity ${tool} ${rate}/s`, why, out);
        }
        out(`| ${rate} | ${s.n} × ${s.rounds} | | | ${why} |`);
        return why;
      }
      const activeMs = r.wallMs - b.startup[tool].wallMs;
      const miss = missReason({
        scheduled: scheduled(s),
        received: r.received,
        lost: r.lost,
        activeMs,
        scheduleMs: scheduleMs(s),
      });
      out(
        `| ${rate} | ${s.n} × ${s.rounds} | ${r.lost} | ${
          fmt(activeMs / scheduleMs(s))
        } | ${miss ?? "held"} |`,
      );
      return miss;
    }, {
      start: 500,
      max: 512_000,
      maxTrials: quick ? 12 : 24,
      budgetMs: quick ? 60_000 : 180_000,
      resolution: quick ? 1.3 : 1.1,
    }, () => performance.now());
    held[tool] = result.held;
    out(
      `${tool}: holds ${result.held}/s${
        result.failed ? `, fails at ${result.failed}/s` : ""
      }${
        result.failedBelow.length
          ? `; also failed below it at ${result.failedBelow.join(", ")}/s`
          : ""
      } (${result.steps.length} trials; a rate fails when 2 runs in a row miss${
        result.cut ? `; search cut short: ${result.cut}` : ""
      })`,
    );
  }
  return held;
}

/** One CPU row: both tools, `repeats` times each, the least disturbed kept. */
interface CpuRow {
  label: string;
  s: Schedule;
  /** CPU µs per probe, startup subtracted (min over repeats). */
  cpu: Record<Tool, number>;
  lost: Record<Tool, number>;
  hwmKiB: Record<Tool, number>;
  /** Worst (wall − start-up) / schedule over the repeats. */
  lag: Record<Tool, number>;
}

async function cpuRow(b: Bench, label: string, s: Schedule): Promise<CpuRow> {
  const row: CpuRow = {
    label,
    s,
    cpu: { ours: NaN, fping: NaN },
    lost: { ours: 0, fping: 0 },
    hwmKiB: { ours: 0, fping: 0 },
    lag: { ours: 0, fping: 0 },
  };
  for (let i = 0; i < b.repeats; i++) {
    for (const tool of TOOLS) {
      const r = await tryRun(
        b,
        `${label} ${tool} #${i + 1}`,
        () => runSchedule(b, tool, s),
      );
      if (!r) continue;
      const c = perProbe(r.cpuSeconds, r.sent, b.startup[tool].cpuSeconds) *
        1e6;
      if (!(row.cpu[tool] <= c)) row.cpu[tool] = c;
      row.lost[tool] += r.lost;
      row.hwmKiB[tool] = Math.max(row.hwmKiB[tool], r.hwmKiB);
      row.lag[tool] = Math.max(
        row.lag[tool],
        (r.wallMs - b.startup[tool].wallMs) / scheduleMs(s),
      );
    }
  }
  out(
    `| ${label} | ${fmt(offered(s), 0)} | ${fmt(row.cpu.ours, 1)} | ${
      fmt(row.cpu.fping, 1)
    } | ${fmt(row.cpu.ours / row.cpu.fping)} | ${fmt(row.lag.ours)} / ${
      fmt(row.lag.fping)
    } | ${row.lost.ours} / ${row.lost.fping} | ${
      fmt(row.hwmKiB.ours / 1024, 1)
    } / ${fmt(row.hwmKiB.fping / 1024, 1)} |`,
  );
  return row;
}

async function cpu(b: Bench) {
  out(
    `\n## CPU per probe (startup subtracted: (run − 1-probe run) / (probes − 1); least of ${b.repeats} runs)`,
  );
  out(
    `| schedule | offered /s | ours µs/probe | fping µs/probe | ours/fping | × schedule ours / fping (worst) | lost ours / fping | peak RSS MiB ours / fping |`,
  );
  out(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  const k1 = await cpuRow(b, "1,000 × 1 s, 10 rounds", {
    n: 1000,
    intervalMs: 1000,
    rounds: 10,
    timeoutMs: 1000,
  });
  const k10 = await cpuRow(b, "10,000 × 1 s, 10 rounds", {
    n: 10_000,
    intervalMs: 1000,
    rounds: 10,
    timeoutMs: 1000,
  });
  const r6 = await cpuRow(b, "1,000 × 1/6 s (6,000/s), 60 rounds", {
    n: 1000,
    intervalMs: 1000 / 6,
    rounds: 60,
    timeoutMs: 1000 / 6,
  });
  const idle = await idleCpu(b);
  return { k1, k10, r6, idle };
}

/** CPU share of one core with 10 targets × 1 s for 30 s, startup subtracted. */
async function idleCpu(b: Bench): Promise<Record<Tool, number>> {
  const s: Schedule = { n: 10, intervalMs: 1000, rounds: 30, timeoutMs: 1000 };
  const share: Record<Tool, number> = { ours: NaN, fping: NaN };
  for (const tool of TOOLS) {
    const r = await tryRun(b, `idle ${tool}`, () => runSchedule(b, tool, s));
    if (!r) continue;
    share[tool] = (100 * (r.cpuSeconds - b.startup[tool].cpuSeconds)) /
      (scheduleMs(s) / 1000);
  }
  out(
    `\nIdle (10 targets × 1 s, 30 s, startup subtracted): ours ${
      fmt(share.ours, 3)
    } % of a core, fping ${fmt(share.fping, 3)} %`,
  );
  return share;
}

async function burst(b: Bench) {
  const n = 5000;
  const file = await targetsFile(b, n);
  out(`\n## Burst: ${n} probes at once (timeout 2 s)`);
  const ours = await tryRun(b, "burst ours", () =>
    runOurs(b.lab, [
      "--burst",
      "--interval",
      "60000",
      "--timeout",
      "2000",
      "--count",
      String(n),
      "--duration",
      "5000",
      "--targets-file",
      file,
    ], 30_000));
  const fping = await tryRun(
    b,
    "burst fping",
    () =>
      runFping(
        b.lab,
        ["-C", "1", "-q", "-t", "2000", "-i", "0", "-f", file],
        30_000,
      ),
  );
  out(`| metric | ours | fping |`);
  out(`| --- | --- | --- |`);
  out(`| sent | ${ours?.sent ?? "n/a"} | ${fping?.sent ?? "n/a"} |`);
  out(`| lost | ${ours?.lost ?? "n/a"} | ${fping?.lost ?? "n/a"} |`);
  return ours;
}

const PORT_CAPTURE = new URL("./port_capture.ts", import.meta.url).pathname;

/**
 * Runs `go` while a capture on the switch port facing the agent (p0)
 * records each echo's request and reply; returns the tool's run and the
 * port's RTTs in request order.
 */
async function withPortCapture(
  b: Bench,
  go: () => Promise<RunResult>,
): Promise<{ run: RunResult; port: number[] }> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      b.lab.switchNs,
      Deno.execPath(),
      "run",
      "-A",
      PORT_CAPTURE,
      "p0",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("ready\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("port capture exited before it was ready");
      text += value;
    }
    const run = await go();
    await child.stdin.close();
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      text += value;
    }
    const last = text.trim().split("\n").pop() ?? "";
    const port = (JSON.parse(last) as { rtts: number[] }).rtts;
    return { run, port };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await child.stderr.cancel().catch(() => {});
  }
}

/**
 * RTT against a reference that does not share our timestamps: a packet
 * capture on the switch port facing the agent (kernel receive stamps of
 * the request and the reply on p0, another socket in another namespace).
 * Each tool runs alone on one target, 2,000 probes at 10 ms; with nothing
 * lost and one target, the i-th RTT of the tool and the i-th echo on the
 * port are the same probe. The port RTT leaves out the agent's own veth
 * (twice), so a tool's RTT minus it is a small positive number when the
 * tool is accurate; the two tools are compared against the same reference.
 */
async function accuracy(b: Bench) {
  const count = 2000;
  out(
    `\n## RTT minus the wire RTT on the switch port (p0), one target, ${count} probes at 10 ms, each tool alone`,
  );
  out(`| tool − port µs | p1 | p50 | p90 | p99 | paired |`);
  out(`| --- | --- | --- | --- | --- | --- |`);
  const result: Partial<Record<Tool, number[]>> = {};
  for (const tool of TOOLS) {
    const go = () =>
      tool === "ours"
        ? runOurs(b.lab, [
          "--interval",
          "10",
          "--timeout",
          "1000",
          "--count",
          String(count),
          "--duration",
          "60000",
          "--rtt-list",
          target(0),
        ], 90_000)
        : runFping(b.lab, [
          "-C",
          String(count),
          "-q",
          "-p",
          "10",
          "-t",
          "1000",
          target(0),
        ], 90_000);
    let r: { run: RunResult; port: number[] } | null = null;
    try {
      r = await withPortCapture(b, go);
    } catch (e) {
      b.discards.add(
        `accuracy ${tool}`,
        e instanceof Error ? e.message : String(e),
        out,
      );
      continue;
    }
    const { run, port } = r;
    if (run.lost > 0 || run.rtts.length !== port.length) {
      b.discards.add(
        `accuracy ${tool}`,
        `cannot pair: ${run.rtts.length} RTTs, ${port.length} on the port, ${run.lost} lost`,
        out,
      );
      continue;
    }
    const diffs = run.rtts.map((v, i) => v - port[i]!).sort((x, y) => x - y);
    const qs = [0.01, 0.5, 0.9, 0.99].map((q) => quantile(diffs, q));
    result[tool] = qs;
    out(
      `| ${tool} | ${qs.map((v) => fmt(v, 1)).join(" | ")} | ${diffs.length} |`,
    );
  }
  out(
    `(ours: kernel TX stamp → kernel RX stamp; fping 5.1: its own clock around its socket calls, printed in ms with 3 decimals = 1 µs steps)`,
  );
  return result;
}

async function soak(b: Bench) {
  out(`\n## Soak: 10,000 targets for 10 minutes`);
  const s: Schedule = {
    n: 10_000,
    intervalMs: 1000,
    rounds: 600,
    timeoutMs: 1000,
  };
  const r = await tryRun(b, "soak ours", () => runSchedule(b, "ours", s));
  if (!r) return;
  out(
    `| sent | ${r.sent} | lost | ${r.lost} | peak RSS MiB | ${
      fmt(r.hwmKiB / 1024, 1)
    } |`,
  );
}

/**
 * Runs the probe benchmark and prints Markdown tables with ratios against
 * fping and the goals met or missed. Needs root and /usr/bin/fping.
 * @param args the flags in the module doc
 */
export async function run(args: string[] = Deno.args): Promise<void> {
  if (labUnavailable) {
    out(`probe bench skipped: ${labUnavailable}`);
    return;
  }
  const lab = await Lab.create({
    hosts: [
      { name: "agent", addresses: ["2001:db8::1/64"] },
      {
        name: "target",
        addresses: ["2001:db8::2/64"],
        sysctls: {
          "net.ipv6.icmp.ratelimit": "0",
          "net.ipv4.icmp_ratelimit": "0",
        },
      },
    ],
  });
  const dir = await Deno.makeTempDir({ prefix: "gap-bench-" });
  const quick = args.includes("--quick");
  const b: Bench = {
    lab,
    dir,
    discards: new Discards(),
    startup: {
      ours: { wallMs: NaN, cpuSeconds: NaN },
      fping: { wallMs: NaN, cpuSeconds: NaN },
    },
    repeats: quick ? 1 : 3,
  };
  const only = [
    "--capacity-only",
    "--cpu-only",
    "--burst-only",
    "--accuracy-only",
  ]
    .find((f) => args.includes(f));
  const part = (flag: string) => only === undefined || only === flag;
  try {
    await lab.ip("agent", [
      "-6",
      "route",
      "add",
      "2001:db8:100::/64",
      "via",
      "2001:db8::2",
    ]);
    await lab.addAddresses(
      "target",
      Array.from({ length: 10_000 }, (_, i) => `${target(i)}/128`),
      "lo",
    );
    out(`# Probe benchmark (ours vs fping ${FPING}), lab ${lab.id}`);
    out(`load before: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
    // Warm the module cache so the first start-up run is not a compile.
    await tryRun(
      b,
      "warm-up",
      () =>
        runOurs(
          lab,
          ["--count", "1", "--duration", "5000", target(0)],
          120_000,
        ),
    );
    await measureStartup(b);
    const cap = part("--capacity-only") ? await capacity(b, quick) : null;
    const c = part("--cpu-only") ? await cpu(b) : null;
    const br = part("--burst-only") ? await burst(b) : null;
    const acc = part("--accuracy-only") ? await accuracy(b) : null;
    if (args.includes("--soak")) await soak(b);
    out(`\n## Goals (issue 12)`);
    out(`| goal | measured | |`);
    out(`| --- | --- | --- |`);
    if (cap) {
      out(
        `| capacity ≥ 80,000 probes/s, 0 lost | ours ${cap.ours}/s, fping ${cap.fping}/s | ${
          verdict(cap.ours >= 80_000)
        } |`,
      );
    }
    if (c) {
      for (const row of [c.k1, c.k10, c.r6]) {
        const ratio = row.cpu.ours / row.cpu.fping;
        out(
          `| CPU/probe ≤ 0.5× fping, ${row.label} | ${fmt(ratio)}× | ${
            verdict(ratio <= 0.5)
          } |`,
        );
      }
      out(
        `| idle CPU ≤ 0.3 % of a core (10 targets) | ${
          fmt(c.idle.ours, 3)
        } % | ${verdict(c.idle.ours <= 0.3)} |`,
      );
      out(
        `| peak RSS ≤ 48 MiB at 1,000 targets | ${
          fmt(c.k1.hwmKiB.ours / 1024, 1)
        } MiB | ${verdict(c.k1.hwmKiB.ours <= 48 * 1024)} |`,
      );
    }
    if (br) {
      out(
        `| burst of 5,000: 0 lost | ${br.lost} lost | ${
          verdict(br.lost === 0)
        } |`,
      );
    }
    if (acc) {
      for (const tool of TOOLS) {
        const q = acc[tool];
        out(
          `| RTT ${tool} − port, p50 / p99 µs (no goal; closer to 0 is closer to the wire) | ${
            q ? `${fmt(q[1]!, 1)} / ${fmt(q[3]!, 1)}` : "n/a"
          } | |`,
        );
      }
    }
    out(`load after: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
    out(`discarded runs: ${b.discards.count}`);
  } finally {
    await lab.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await run();
