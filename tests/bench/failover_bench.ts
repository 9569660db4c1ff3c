/**
 * Failover latency, end to end, in network namespaces (root only): real
 * agents (raw ICMP), real targets, the fake Cloudflare API. One lab per
 * mode; each run takes a target's link down, times the DELETE's arrival at
 * the API (its audit `at`) from just before `ip link set down`, then brings
 * the link up and waits for the restore and for every agent to see the
 * target up again.
 *
 * - single node: interval 0.2 s × threshold 3 (floor 600 ms);
 * - cluster: 3 agents, `min_peers_agree = 1`, same probing, heartbeat
 *   0.2 s, compared with the single-node figures of the same run;
 * - API calls per failover event (removal, restore) and per minute in
 *   steady state (`reconcile_interval` 10 s here);
 * - default cadence (interval 1 s, heartbeat 1 s): single node against a
 *   cluster of 3 with `min_peers_agree = 1`, with and without
 *   `retry_interval` (`--cluster-cadence-only` runs only this).
 *
 * Run: `deno run -A tests/bench/failover_bench.ts [--quick]` (as root).
 * @module
 */
import type { AuditEntry } from "../support/fake_cloudflare.ts";
import { AgentLab } from "../support/agent_lab.ts";
import { writeOps } from "../support/lab_audit.ts";
import { labUnavailable } from "../support/lab_exec.ts";

const INTERVAL_S = 0.2;
const THRESHOLD = 3;
const HEARTBEAT_S = 0.2;
const RECONCILE_S = 10;
const FLOOR_MS = Math.round(INTERVAL_S * THRESHOLD * 1000);
const TARGETS = 3;

const encoder = new TextEncoder();
function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One failover run's facts. */
interface RunFacts {
  ip: string;
  /** Just before `ip link set down`. */
  downAt: number;
  /** Just after it returned. */
  downDoneAt: number;
  /** Just before `ip link set up`. */
  upAt: number;
  /** When the next run started (or the end of the last run). */
  endAt: number;
  /** Arrival of the delete at the API; null when none came. */
  deleteAt: number | null;
}

/** API requests in a time span (or their mean per event). */
interface Calls {
  writes: number;
  failed: number;
  reads: number;
}

/** What one mode measured. */
interface ModeResult {
  name: string;
  agents: number;
  latencies: number[];
  /** Runs left out of the latencies, each with the reason. */
  discarded: string[];
  /** Link down → first agent's "down" verdict (its log line), per run. */
  detectMs: number[];
  /** Link down → the verdict that made the quorum (k+1-th agent), per run. */
  quorumMs: number[];
  ipCommandMs: number[];
  /** Per event: writes (failed ones, e.g. a racing 404, also in `failed`). */
  removal: Calls;
  restore: Calls;
  steady: Calls & { windowS: number };
  freezeWarnings: number;
}

/**
 * @param sorted ascending values
 * @param q quantile in [0, 1], nearest rank
 */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

const isRead = (a: AuditEntry) =>
  a.method === "GET" && a.path.startsWith("/client/v4");
const isWrite = (a: AuditEntry) =>
  a.method !== "GET" && a.path.startsWith("/client/v4");

async function allSeeUp(lab: AgentLab, agents: number[], ip: string) {
  for (const i of agents) {
    const s = await lab.status(i).catch(() => null) as
      | { targets?: { ip: string; verdict: string }[] }
      | null;
    if (s?.targets?.find((t) => t.ip === ip)?.verdict !== "up") return false;
  }
  return true;
}

/** One failover and recovery of target `t`. */
async function failover(
  lab: AgentLab,
  agents: number[],
  t: number,
  cadence: Cadence,
): Promise<RunFacts> {
  const intervalS = cadence.intervalS;
  const graceMs = 4 * (cadence.heartbeatS ?? HEARTBEAT_S) * 1000 + 200;
  const ip = lab.targetIp(t);
  // Runs start a fixed time after the restore, which follows the probe
  // schedule: a random wait spreads the link-down moment over the probe
  // interval, as a real failure would be.
  await sleep(Math.random() * intervalS * 1000);
  const downAt = Date.now();
  await lab.targetDown(t);
  const downDoneAt = Date.now();
  await lab.waitFor(
    async () => !(await lab.published()).includes(ip),
    `removal of ${ip}`,
    10_000,
  );
  // Let non-preferred writers' grace periods pass (they may read).
  await sleep(graceMs);
  const upAt = Date.now();
  await lab.targetUp(t);
  await lab.waitFor(
    async () => (await lab.published()).includes(ip),
    `restore of ${ip}`,
    10_000,
  );
  await lab.waitFor(() => allSeeUp(lab, agents, ip), "all agents see up");
  await sleep(graceMs);
  return { ip, downAt, downDoneAt, upAt, endAt: Date.now(), deleteAt: null };
}

/**
 * @returns when each agent logged "<ip> is down" within [from, to), sorted
 *   (the agents' log timestamps, ms)
 */
function verdictTimes(
  lab: AgentLab,
  ip: string,
  from: number,
  to: number,
): number[] {
  const times: number[] = [];
  for (const p of lab.procs) {
    for (const line of p?.logs ?? []) {
      if (!line.includes(`"${ip} is down"`)) continue;
      const at = Date.parse(JSON.parse(line).ts);
      if (at >= from && at < to) {
        times.push(at);
        break;
      }
    }
  }
  return times.sort((a, b) => a - b);
}

/** Counts reads and writes of `audit` in [from, to). */
function calls(audit: AuditEntry[], from: number, to: number): Calls {
  const inside = audit.filter((a) => a.at >= from && a.at < to);
  return {
    writes: inside.filter(isWrite).length,
    failed: inside.filter((a) => isWrite(a) && a.status >= 300).length,
    reads: inside.filter(isRead).length,
  };
}

function addCalls(into: Calls, c: Calls): void {
  into.writes += c.writes;
  into.failed += c.failed;
  into.reads += c.reads;
}

function perEvent(c: Calls, n: number): Calls {
  return { writes: c.writes / n, failed: c.failed / n, reads: c.reads / n };
}

/** Probe cadence of a mode. */
interface Cadence {
  intervalS: number;
  /** Extra top-level TOML (retry_interval, probe_timeout). */
  extraToml?: string;
  /** `heartbeat_interval` of a cluster. @default HEARTBEAT_S */
  heartbeatS?: number;
}

async function measureMode(
  name: string,
  agentCount: number,
  runs: number,
  steadyS: number,
  cadence: Cadence = { intervalS: INTERVAL_S },
): Promise<ModeResult> {
  const lab = await AgentLab.create({
    agents: agentCount,
    targets: TARGETS,
    interval: cadence.intervalS,
    ...(cadence.extraToml ? { extraToml: cadence.extraToml } : {}),
    failureThreshold: THRESHOLD,
    heartbeatInterval: cadence.heartbeatS ?? HEARTBEAT_S,
    minPeersAgree: 1,
    reconcileInterval: RECONCILE_S,
  });
  const agents = Array.from({ length: agentCount }, (_, i) => i);
  try {
    await lab.records();
    for (const i of agents) lab.startAgent(i);
    await lab.waitSettled(agents, 30_000);
    // Past start-up passes and warm-up, then a steady window.
    await sleep(2000);
    const steadyFrom = Date.now();
    await sleep(steadyS * 1000);
    const steadyTo = Date.now();
    const facts: RunFacts[] = [];
    for (let r = 0; r < runs; r++) {
      await lab.records(); // learn the current record ids
      facts.push(await failover(lab, agents, r % TARGETS, cadence));
    }
    const audit = (await lab.audit()).audit;
    return summarize(name, agentCount, lab, audit, facts, {
      from: steadyFrom,
      to: steadyTo,
    });
  } finally {
    await lab.destroy();
  }
}

function summarize(
  name: string,
  agents: number,
  lab: AgentLab,
  audit: AuditEntry[],
  facts: RunFacts[],
  steady: { from: number; to: number },
): ModeResult {
  const latencies: number[] = [];
  const discarded: string[] = [];
  const removal: Calls = { writes: 0, failed: 0, reads: 0 };
  const restore: Calls = { writes: 0, failed: 0, reads: 0 };
  const ops = writeOps(audit.filter(isWrite), lab.recordIds);
  const detectMs: number[] = [];
  const quorumMs: number[] = [];
  for (const f of facts) {
    const downs = verdictTimes(lab, f.ip, f.downAt, f.upAt);
    if (downs[0] !== undefined) detectMs.push(downs[0] - f.downAt);
    const q = downs[Math.min(agents, 2) - 1];
    if (q !== undefined) quorumMs.push(q - f.downAt);
    const del = ops.find((o) =>
      o.at >= f.downAt && o.kind === "delete" && o.ip === f.ip
    );
    f.deleteAt = del?.at ?? null;
    if (f.deleteAt !== null) latencies.push(f.deleteAt - f.downAt);
    else {
      discarded.push(
        `run ${
          facts.indexOf(f) + 1
        } (${f.ip}): no DELETE of it at the API after its link went down`,
      );
    }
    addCalls(removal, calls(audit, f.downAt, f.upAt));
    addCalls(restore, calls(audit, f.upAt, f.endAt));
  }
  const n = Math.max(1, facts.length);
  const freezeWarnings =
    lab.procs.flatMap((p) => p?.logs ?? []).filter((l) =>
      l.includes("did not run for a while")
    ).length;
  return {
    name,
    agents,
    latencies: latencies.sort((a, b) => a - b),
    discarded,
    detectMs: detectMs.sort((a, b) => a - b),
    quorumMs: quorumMs.sort((a, b) => a - b),
    ipCommandMs: facts.map((f) => f.downDoneAt - f.downAt),
    removal: perEvent(removal, n),
    restore: perEvent(restore, n),
    steady: {
      windowS: (steady.to - steady.from) / 1000,
      ...calls(audit, steady.from, steady.to),
    },
    freezeWarnings,
  };
}

const fmt = (x: number, digits = 0) =>
  Number.isNaN(x) ? "-" : x.toFixed(digits);
const pad = (s: string, n: number) => s.padStart(n);

function latencyRow(m: ModeResult): string {
  const l = m.latencies;
  const med = quantile(l, 0.5);
  const p99 = quantile(l, 0.99);
  return [
    m.name.padEnd(22),
    pad(`${l.length}`, 4),
    pad(fmt(med), 7),
    pad(fmt(p99), 7),
    pad(fmt(l[0] ?? NaN), 6),
    pad(fmt(l[l.length - 1] ?? NaN), 6),
    pad(`+${fmt(med - FLOOR_MS)}`, 9),
    pad(`+${fmt(p99 - FLOOR_MS)}`, 9),
    m.agents > 1
      ? "  (goal: vs single, below)"
      : med <= FLOOR_MS + 150 && p99 <= FLOOR_MS + 400
      ? "  met"
      : "  MISSED",
  ].join(" ");
}

function callsText(c: Calls): string {
  return `${fmt(c.writes, 2)}(${fmt(c.failed, 2)})/${fmt(c.reads, 2)}`;
}

function report(modes: ModeResult[]): void {
  out(
    `failover latency: link down → DELETE at the API; interval ${INTERVAL_S} s × threshold ${THRESHOLD}, floor ${FLOOR_MS} ms; heartbeat ${HEARTBEAT_S} s`,
  );
  out(
    `${
      "mode".padEnd(22)
    } runs  median     p99    min    max  med-floor  p99-floor  goal (single: median ≤ floor+150, p99 ≤ floor+400)`,
  );
  for (const m of modes) out(latencyRow(m));
  const single = modes.find((m) => m.agents === 1);
  const cluster = modes.find((m) => m.agents > 1);
  if (single && cluster) {
    const d = quantile(cluster.latencies, 0.5) -
      quantile(single.latencies, 0.5);
    const d99 = quantile(cluster.latencies, 0.99) -
      quantile(single.latencies, 0.99);
    const ratio = quantile(cluster.latencies, 0.5) /
      quantile(single.latencies, 0.5);
    out(
      `cluster vs single: median ${d >= 0 ? "+" : ""}${fmt(d)} ms (×${
        fmt(ratio, 2)
      }, ${fmt(d / (HEARTBEAT_S * 1000), 2)} heartbeats), p99 ${
        d99 >= 0 ? "+" : ""
      }${fmt(d99)} ms; goal ≤ +1 heartbeat (${HEARTBEAT_S * 1000} ms): ${
        d <= HEARTBEAT_S * 1000 ? "met" : "MISSED"
      }`,
    );
  }
  out("");
  out(
    `${
      "API calls".padEnd(22)
    } removal w(fail)/r  restore w(fail)/r  steady writes/min  reads/min  reads/agent/reconcile (${RECONCILE_S} s)`,
  );
  for (const m of modes) {
    const perMin = 60 / m.steady.windowS;
    const perInterval = m.steady.reads / m.agents /
      (m.steady.windowS / RECONCILE_S);
    out([
      m.name.padEnd(22),
      pad(callsText(m.removal), 18),
      pad(callsText(m.restore), 18),
      pad(fmt(m.steady.writes * perMin, 1), 19),
      pad(fmt(m.steady.reads * perMin, 1), 10),
      pad(fmt(perInterval, 2), 10),
    ].join(" "));
  }
  out("");
  out(
    "where the time goes (medians, ms from link down): first verdict → quorum verdict → DELETE at API",
  );
  for (const m of modes) {
    const det = quantile(m.detectMs, 0.5);
    const quo = quantile(m.quorumMs, 0.5);
    const del = quantile(m.latencies, 0.5);
    out(
      `${m.name.padEnd(22)} ${pad(fmt(det), 6)} → ${pad(fmt(quo), 6)} → ${
        pad(fmt(del), 6)
      }   (verdict − floor ${fmt(det - FLOOR_MS)}, DNS pass after quorum ${
        fmt(del - quo)
      })`,
    );
  }
  for (const m of modes) {
    const ip = [...m.ipCommandMs].sort((a, b) => a - b);
    out(
      `${m.name}: latencies (ms) ${
        m.latencies.join(" ")
      }; \`ip link set down\` took median ${
        fmt(quantile(ip, 0.5))
      } ms (included); freeze-guard warnings ${m.freezeWarnings}`,
    );
    out(`${m.name}: ${m.discarded.length} runs discarded`);
    for (const d of m.discarded) out(`${m.name}: discarded ${d}`);
  }
}

/**
 * Runs both modes and prints the tables; prints a reason and returns when
 * not root. `--quick`: 5 runs per mode and a 10 s steady window;
 * `--cadence-only`: only the default-cadence table.
 */
export async function run(): Promise<void> {
  if (labUnavailable) {
    out(`failover bench skipped: ${labUnavailable}`);
    return;
  }
  const quick = Deno.args.includes("--quick");
  const runs = quick ? 5 : 20;
  if (Deno.args.includes("--cadence-only")) return await defaultCadence(runs);
  if (Deno.args.includes("--cluster-cadence-only")) {
    return await clusterCadence(runs);
  }
  const steadyS = quick ? 10 : 30;
  const single = await measureMode("single node", 1, runs, steadyS);
  const cluster = await measureMode(
    "cluster 3, k=1",
    3,
    runs,
    steadyS,
  );
  report([single, cluster]);
  await defaultCadence(runs);
  await clusterCadence(runs);
}

/**
 * At the default cadence (interval 1 s, threshold 3): the fixed 1 s probe
 * timeout against the adaptive one (`probe_timeout` unset), each with and
 * without `retry_interval = 0.2`: link down → DELETE, single node,
 * measured in the same run.
 */
async function defaultCadence(runs: number): Promise<void> {
  const modes: [string, Cadence][] = [
    ["fixed 1 s", { intervalS: 1, extraToml: "probe_timeout = 1" }],
    ["fixed + retry", {
      intervalS: 1,
      extraToml: "probe_timeout = 1\nretry_interval = 0.2",
    }],
    ["adaptive", { intervalS: 1 }],
    ["adaptive + retry", { intervalS: 1, extraToml: "retry_interval = 0.2" }],
  ];
  out("");
  out(
    `default cadence (interval 1 s × ${THRESHOLD}), single node: link down → DELETE, ${runs} runs each`,
  );
  out("mode             runs  median     p99    min    max");
  for (const [name, cadence] of modes) {
    const m = await measureMode(name, 1, runs, 2, cadence);
    const l = m.latencies;
    out(
      [
        name.padEnd(16),
        pad(`${l.length}`, 4),
        pad(fmt(quantile(l, 0.5)), 7),
        pad(fmt(quantile(l, 0.99)), 7),
        pad(fmt(l[0] ?? NaN), 6),
        pad(fmt(l[l.length - 1] ?? NaN), 6),
      ].join(" "),
    );
    for (const d of m.discarded) out(`${name}: discarded ${d}`);
  }
  out(
    "goal (issue): with retry_interval 0.2, median ≤ 1500 ms and p99 ≤ 2000 ms",
  );
}

if (import.meta.main) await run();

/**
 * At the default cadence (interval 1 s, threshold 3, heartbeat 1 s,
 * adaptive timeout): a single node against a cluster of 3 with
 * `min_peers_agree = 1`, without and with `retry_interval = 0.2`, in the
 * same run. Goal (issue 12): cluster median ≤ single-node median + 150 ms.
 */
async function clusterCadence(runs: number): Promise<void> {
  const pairs: [string, string][] = [["default", ""], [
    "retry 0.2",
    "retry_interval = 0.2",
  ]];
  out("");
  out(
    `default cadence (interval 1 s × ${THRESHOLD}, heartbeat 1 s, adaptive timeout): single node vs cluster of 3, min_peers_agree = 1; link down → DELETE, ${runs} runs each`,
  );
  out(
    "mode                      runs  median     p99    min    max  first verdict → quorum verdict (medians)",
  );
  for (const [label, extraToml] of pairs) {
    const cadence: Cadence = { intervalS: 1, extraToml, heartbeatS: 1 };
    const single = await measureMode(`${label}, single`, 1, runs, 2, cadence);
    const cluster = await measureMode(
      `${label}, cluster 3 k=1`,
      3,
      runs,
      2,
      cadence,
    );
    for (const m of [single, cluster]) {
      const l = m.latencies;
      out(
        [
          m.name.padEnd(25),
          pad(`${l.length}`, 4),
          pad(fmt(quantile(l, 0.5)), 7),
          pad(fmt(quantile(l, 0.99)), 7),
          pad(fmt(l[0] ?? NaN), 6),
          pad(fmt(l[l.length - 1] ?? NaN), 6),
          `  ${fmt(quantile(m.detectMs, 0.5))} → ${
            fmt(quantile(m.quorumMs, 0.5))
          }`,
        ].join(" "),
      );
      for (const d of m.discarded) out(`${m.name}: discarded ${d}`);
    }
    const d = quantile(cluster.latencies, 0.5) -
      quantile(single.latencies, 0.5);
    const d99 = quantile(cluster.latencies, 0.99) -
      quantile(single.latencies, 0.99);
    out(
      `${label}: cluster − single: median ${d >= 0 ? "+" : ""}${
        fmt(d)
      } ms, p99 ${d99 >= 0 ? "+" : ""}${fmt(d99)} ms; goal median ≤ +150 ms: ${
        d <= 150 ? "met" : "MISSED"
      }`,
    );
  }
}
