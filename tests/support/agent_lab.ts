/**
 * A namespace lab with real goavail agents: target hosts (192.0.2.1…),
 * agent hosts (192.0.2.11…), and an "api" host (192.0.2.250) running the
 * fake Cloudflare API, all on one bridge. Agents run `main.ts monitor
 * --no-dry-run` inside their namespace; the test reads the fake's audit log
 * and the agents' `/status` with curl from inside the lab.
 *
 * ```ts
 * const lab = await AgentLab.create({ agents: 1, targets: 3 });
 * try {
 *   lab.startAgent(0);
 *   await lab.targetDown(1);
 *   await lab.waitFor(async () => !(await lab.published()).includes(lab.targetIp(1)), "removal");
 * } finally {
 *   await lab.destroy();
 * }
 * ```
 *
 * Faults between hosts use iptables: {@linkcode AgentLab.lossy} in a
 * target's namespace (random loss of the echo requests it receives), the
 * others inside one agent's namespace: {@linkcode AgentLab.blind} (the agent stops hearing a target's replies: a
 * silent miss, not a local send error), {@linkcode AgentLab.partition} (the
 * agent hears nothing from its peers), {@linkcode AgentLab.heal};
 * {@linkcode AgentLab.pause}/{@linkcode AgentLab.resume} freeze a process
 * (SIGSTOP/SIGCONT); {@linkcode AgentLab.postFrame} sends a hand-made
 * heartbeat to an agent from any lab host.
 * @module
 */
import { Lab } from "./netns.ts";
import type { AuditEntry, FakeZoneInput } from "./fake_cloudflare.ts";
import type { RecordIds, WriteOp } from "./lab_audit.ts";
import { API_IP, API_PORT, LAB_TOKEN, LabApi, pumpLines } from "./lab_api.ts";
import { agentToml, PEER_PORT } from "./lab_config.ts";

export type { WriteOp } from "./lab_audit.ts";
export { LAB_TOKEN } from "./lab_api.ts";
export { LAB_CRYPTO_KEY } from "./lab_config.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IPTABLES = "/usr/sbin/iptables";

/** Options of {@linkcode AgentLab.create}. */
export interface AgentLabOptions {
  agents: number;
  targets: number;
  /** Seconds between probes. @default 0.5 */
  interval?: number;
  /** @default 3 */
  failureThreshold?: number;
  /** Cluster `min_peers_agree` (agents > 1). @default 1 */
  minPeersAgree?: number;
  /** Seconds between heartbeats. @default 0.5 */
  heartbeatInterval?: number;
  /** Extra top-level TOML lines for every agent. */
  extraToml?: string;
  /** `cloudflare.reconcile_interval`, seconds. @default 60 */
  reconcileInterval?: number;
  /** The token agents send. @default {@linkcode LAB_TOKEN} (the fake's) */
  token?: string;
  /** Zones the fake lists before the lab's active example.com. @default [] */
  zonesBefore?: FakeZoneInput[];
  /** TOML appended to every agent's config (`[[pool]]` tables). */
  tailToml?: string;
  /** More records in example.com beside www's. @default [] */
  extraRecords?: Record<string, unknown>[];
}

/** One running agent process. */
export interface AgentProc {
  child: Deno.ChildProcess;
  /** Its log lines (JSON), as they arrive. */
  logs: string[];
  /** Resolves with the exit code. */
  exited: Promise<number>;
}

/** Agents, targets and the fake Cloudflare API in namespaces. */
export class AgentLab {
  readonly lab: Lab;
  readonly opts: Required<AgentLabOptions>;
  readonly dir: string;
  readonly procs: (AgentProc | null)[];
  #api: LabApi | null = null;
  #frames = 0;

  private constructor(lab: Lab, opts: Required<AgentLabOptions>, dir: string) {
    this.lab = lab;
    this.opts = opts;
    this.dir = dir;
    this.procs = new Array(opts.agents).fill(null);
  }

  /** The fake Cloudflare API. */
  get api(): LabApi {
    if (!this.#api) throw new Error("the lab's API is not running");
    return this.#api;
  }

  /** Every record id seen at the fake API, with its IP. */
  get recordIds(): RecordIds {
    return this.api.recordIds;
  }

  /** Builds the lab and starts the fake API (agents are started by the test). */
  static async create(options: AgentLabOptions): Promise<AgentLab> {
    const opts: Required<AgentLabOptions> = {
      interval: 0.5,
      failureThreshold: 3,
      minPeersAgree: 1,
      heartbeatInterval: 0.5,
      extraToml: "",
      reconcileInterval: 60,
      token: LAB_TOKEN,
      zonesBefore: [],
      tailToml: "",
      extraRecords: [],
      ...options,
    };
    const hosts = [
      { name: "api", addresses: [`${API_IP}/24`] },
      ...range(opts.targets).map((i) => ({
        name: `t${i}`,
        addresses: [`192.0.2.${i + 1}/24`],
      })),
      ...range(opts.agents).map((i) => ({
        name: `a${i}`,
        addresses: [`192.0.2.${i + 11}/24`],
      })),
    ];
    const lab = await Lab.create({ hosts });
    const dir = await Deno.makeTempDir({ prefix: "goavail-lab-" });
    const self = new AgentLab(lab, opts, dir);
    try {
      const ips = range(opts.targets).map((t) => self.targetIp(t));
      self.#api = await LabApi.start(
        lab,
        dir,
        ips,
        opts.zonesBefore,
        opts.extraRecords,
      );
      for (let i = 0; i < opts.agents; i++) await self.#writeConfig(i);
    } catch (e) {
      await self.destroy();
      throw e;
    }
    return self;
  }

  /** @returns the IP of target `i`. */
  targetIp(i: number): string {
    return `192.0.2.${i + 1}`;
  }

  /** @returns the IP of agent `i`. */
  agentIp(i: number): string {
    return `192.0.2.${i + 11}`;
  }

  /** @returns agent `i`'s node id (its `local_addr`). */
  agentId(i: number): string {
    return `${this.agentIp(i)}:${PEER_PORT}`;
  }

  /** @returns the config path of agent `i`. */
  configPath(i: number): string {
    return `${this.dir}/a${i}.toml`;
  }

  /** @returns the state directory of agent `i`. */
  stateDir(i: number): string {
    return `${this.dir}/state-a${i}`;
  }

  /**
   * Starts agent `i` (inside its namespace).
   * @param extraArgs more command-line arguments
   * @param options `writes: false` leaves out `--no-dry-run`, so the agent
   *   runs in its default mode @default { writes: true }
   */
  startAgent(
    i: number,
    extraArgs: string[] = [],
    options: { writes?: boolean } = {},
  ): AgentProc {
    const child = this.lab.spawn(`a${i}`, [
      "env",
      `CLOUDFLARE_API_TOKEN=${this.opts.token}`,
      "NO_COLOR=1",
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}main.ts`,
      "monitor",
      "-f",
      this.configPath(i),
      ...(options.writes === false ? [] : ["--no-dry-run"]),
      "--log-format",
      "json",
      ...extraArgs,
    ], { stdout: "null", stderr: "piped" });
    const logs: string[] = [];
    const pump = pumpLines(child.stderr, logs);
    const exited = child.status.then(async (s) => {
      await pump;
      return s.code;
    });
    const proc = { child, logs, exited };
    this.procs[i] = proc;
    return proc;
  }

  /** Sends `signal` to agent `i` and waits for it to exit. */
  async stopAgent(i: number, signal: Deno.Signal = "SIGTERM"): Promise<number> {
    const p = this.procs[i];
    if (!p) return 0;
    try {
      p.child.kill(signal);
    } catch { /* already gone */ }
    const code = await p.exited;
    this.procs[i] = null;
    return code;
  }

  /** Takes target `i` off the network. */
  targetDown(i: number): Promise<void> {
    return this.lab.linkDown(`t${i}`);
  }

  /** Puts target `i` back. */
  targetUp(i: number): Promise<void> {
    return this.lab.linkUp(`t${i}`);
  }

  /** @returns the fake API's audit log. */
  audit(): Promise<{ audit: AuditEntry[]; emptied: string[] }> {
    return this.api.audit();
  }

  /** @returns the write requests the fake API received. */
  writes(): Promise<AuditEntry[]> {
    return this.api.writes();
  }

  /** @returns every write as record operations ({@linkcode LabApi.writeOps}). */
  writeOps(): Promise<WriteOp[]> {
    return this.api.writeOps();
  }

  /** @returns the API's GET requests (reads), oldest first. */
  reads(): Promise<AuditEntry[]> {
    return this.api.reads();
  }

  /** @returns full A records of `name` at the fake API. */
  records(name = "www.example.com"): Promise<Record<string, unknown>[]> {
    return this.api.records(undefined, name);
  }

  /** @returns the IPs published under www.example.com. */
  published(): Promise<string[]> {
    return this.api.published();
  }

  /** Scripts faults at the fake API. */
  faults(faults: unknown): Promise<void> {
    return this.api.faults(faults);
  }

  /** @returns agent `i`'s `/status` document. */
  async status(i: number): Promise<Record<string, unknown>> {
    const r = await this.lab.exec(`a${i}`, [
      "curl",
      "-s",
      "-m",
      "2",
      "http://127.0.0.1:8000/status",
    ]);
    return JSON.parse(r.stdout);
  }

  /** @returns agent `i`'s `/metrics` text. */
  async metrics(i: number): Promise<string> {
    const r = await this.lab.exec(`a${i}`, [
      "curl",
      "-s",
      "-m",
      "2",
      "http://127.0.0.1:8000/metrics",
    ]);
    if (r.code !== 0) throw new Error(`curl /metrics failed: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Waits until each of `agents` runs, sees every target up, is not
   * isolated, has every other agent of `agents` live as a peer, and they
   * agree on one writer, which (when it is one of them) may write: its
   * start-up warm-up and handover are over.
   */
  async waitSettled(agents: number[], ms = 30_000): Promise<void> {
    const ids = agents.map((j) => this.agentId(j));
    await this.waitFor(
      async () => {
        const writers = new Set<string | null>();
        for (const i of agents) {
          const s = await this.status(i).catch(() => null) as StatusDoc | null;
          if (!s || s.guards?.isolated !== false) return false;
          if (!s.targets?.every((t) => t.verdict === "up")) return false;
          const live = new Set(
            (s.peers ?? []).filter((p) => p.live).map((p) => p.addr),
          );
          if (!ids.every((id) => id === this.agentId(i) || live.has(id))) {
            return false;
          }
          const w = s.writer;
          if (!w || (w.node === this.agentId(i) && !w.active)) return false;
          writers.add(w.node);
        }
        return writers.size === 1 && !writers.has(null);
      },
      `agents ${agents.join(",")} to settle`,
      ms,
    );
  }

  /**
   * Agent `i` stops hearing target `t`'s replies (INPUT DROP in its
   * namespace): its probes time out silently, nobody else is affected.
   */
  blind(i: number, t: number): Promise<void> {
    return this.#iptables(`a${i}`, [
      "-A",
      "INPUT",
      "-s",
      this.targetIp(t),
      "-j",
      "DROP",
    ]);
  }

  /**
   * Target `t` drops each echo request it receives with probability `p`
   * (iptables `statistic --mode random` in its namespace): independent
   * random loss on every path to it; {@linkcode AgentLab.dropped} counts.
   */
  async lossy(t: number, p: number): Promise<void> {
    await this.lab.exec(`t${t}`, [
      IPTABLES,
      "-w",
      "-A",
      "INPUT",
      "-p",
      "icmp",
      "--icmp-type",
      "echo-request",
      "-m",
      "statistic",
      "--mode",
      "random",
      "--probability",
      String(p),
      "-j",
      "DROP",
    ], { check: true });
  }

  /**
   * @returns the packets target `t`'s {@linkcode AgentLab.lossy} rule has
   *   dropped so far
   */
  async dropped(t: number): Promise<number> {
    const r = await this.lab.exec(`t${t}`, [
      IPTABLES,
      "-w",
      "-L",
      "INPUT",
      "-v",
      "-x",
      "-n",
    ], { check: true });
    let n = 0;
    for (const line of r.stdout.split("\n")) {
      if (!line.includes("DROP") || !line.includes("statistic")) continue;
      n += Number(line.trim().split(/\s+/)[0]) || 0;
    }
    return n;
  }

  /**
   * Cuts agent `i` off from every other agent, both ways (DROP from and to
   * their IPs in its namespace); targets and the API stay reachable.
   */
  async partition(i: number): Promise<void> {
    for (let j = 0; j < this.opts.agents; j++) {
      if (j === i) continue;
      const ip = this.agentIp(j);
      await this.#iptables(`a${i}`, ["-A", "INPUT", "-s", ip, "-j", "DROP"]);
      await this.#iptables(`a${i}`, ["-A", "OUTPUT", "-d", ip, "-j", "DROP"]);
    }
  }

  /**
   * Cuts agents `i` and `j` off from each other only, both ways (rules in
   * `i`'s namespace); each still hears every other agent.
   */
  async cut(i: number, j: number): Promise<void> {
    const ip = this.agentIp(j);
    await this.#iptables(`a${i}`, ["-A", "INPUT", "-s", ip, "-j", "DROP"]);
    await this.#iptables(`a${i}`, ["-A", "OUTPUT", "-d", ip, "-j", "DROP"]);
  }

  /** Removes every iptables rule from agent `i`'s namespace. */
  async heal(i: number): Promise<void> {
    await this.#iptables(`a${i}`, ["-F", "INPUT"]);
    await this.#iptables(`a${i}`, ["-F", "OUTPUT"]);
  }

  /** Freezes agent `i` (SIGSTOP): it neither probes, sends nor answers. */
  pause(i: number): void {
    this.#proc(i).child.kill("SIGSTOP");
  }

  /** Thaws agent `i` (SIGCONT). */
  resume(i: number): void {
    this.#proc(i).child.kill("SIGCONT");
  }

  /**
   * POSTs a hand-made heartbeat frame to agent `to`'s peer server, from
   * inside host `host`'s namespace (so from that host's IP).
   * @param host lab host name, e.g. "a2" or "api"
   * @param to agent index
   * @param frame the body
   * @param from the `x-goavail-from` header
   * @returns the HTTP status (0 when no reply)
   */
  async postFrame(
    host: string,
    to: number,
    frame: Uint8Array,
    from: string,
  ): Promise<number> {
    const file = `${this.dir}/frame-${this.#frames++}.bin`;
    await Deno.writeFile(file, frame);
    const r = await this.lab.exec(host, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-m",
      "3",
      "-H",
      "content-type: application/octet-stream",
      "-H",
      `x-goavail-from: ${from}`,
      "--data-binary",
      `@${file}`,
      `http://${this.agentIp(to)}:${PEER_PORT}/v1/heartbeat`,
    ]);
    return Number(r.stdout.trim()) || 0;
  }

  /** Polls `check` every 100 ms until it holds or `ms` passes. */
  async waitFor(
    check: () => Promise<boolean> | boolean,
    what: string,
    ms = 20_000,
  ): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops agents, the API and the namespaces; removes files. */
  async destroy(): Promise<void> {
    for (let i = 0; i < this.procs.length; i++) {
      if (this.procs[i]) await this.stopAgent(i, "SIGKILL").catch(() => {});
    }
    await this.lab.destroy();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  #proc(i: number): AgentProc {
    const p = this.procs[i];
    if (!p) throw new Error(`agent ${i} is not running`);
    return p;
  }

  async #iptables(host: string, args: string[]): Promise<void> {
    await this.lab.exec(host, [IPTABLES, "-w", ...args], { check: true });
  }

  async #writeConfig(i: number): Promise<void> {
    const ids = range(this.opts.agents).map((j) => this.agentId(j));
    await Deno.writeTextFile(
      this.configPath(i),
      agentToml(this.opts, {
        self: i,
        agentIds: ids,
        targetIps: range(this.opts.targets).map((t) => this.targetIp(t)),
        stateDir: this.stateDir(i),
        apiUrl: `http://${API_IP}:${API_PORT}/client/v4`,
      }),
    );
  }
}

/** The parts of an agent's `/status` document the lab reads. */
export interface StatusDoc {
  targets?: {
    ip: string;
    verdict: string;
    clusterDown: boolean;
    votesDown: number;
  }[];
  peers?: { addr: string; live: boolean; lastSeen: string | null }[];
  guards?: { isolated: boolean; reason: string | null };
  writer?: { node: string | null; active: boolean; reason: string | null };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
