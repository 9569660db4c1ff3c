/**
 * A `goavail monitor` child process for e2e tests: spawned from main.ts on a
 * temp config (dry-run, loopback targets only, status on a free 127.0.0.1
 * port), with its JSON log lines collected as they arrive. Every wait is
 * bounded; `close()` kills, reaps and deletes whatever is left.
 * @module
 */

import { freePort } from "./free_port.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/** One parsed JSON log line. */
export type LogRecord = Record<string, unknown>;

/** Settings of {@linkcode monitorToml}. */
export interface MonitorTomlOptions {
  /** Status server port on 127.0.0.1. */
  statusPort: number;
  stateDir: string;
  /** @default 0.2 */
  interval?: number;
  /** @default 2 */
  failureThreshold?: number;
  /** @default ["127.0.0.1", "::1"] */
  targets?: string[];
  /** Extra top-level keys (TOML lines), placed before the first section. */
  extraTop?: string;
  /** Extra sections appended at the end. */
  extraSections?: string;
}

/** @returns a valid dry-run config watching only loopback addresses. */
export function monitorToml(o: MonitorTomlOptions): string {
  const targets = o.targets ?? ["127.0.0.1", "::1"];
  return [
    `interval = ${o.interval ?? 0.2}`,
    `failure_threshold = ${o.failureThreshold ?? 2}`,
    "dry_run = true",
    `state_dir = ${JSON.stringify(o.stateDir)}`,
    o.extraTop ?? "",
    "[cloudflare]",
    'dns_domain = "example.com"',
    'hostnames = ["www"]',
    `ip_addresses = ${JSON.stringify(targets)}`,
    "[status]",
    `listen = "127.0.0.1:${o.statusPort}"`,
    o.extraSections ?? "",
    "",
  ].join("\n");
}

/** A running `goavail monitor`. */
export class MonitorProcess {
  /** The temp directory holding the config and the state dir. */
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  readonly statusPort: number;
  /** Raw stderr lines, in order. */
  readonly lines: string[] = [];
  readonly child: Deno.ChildProcess;
  /** Exit status, once the process has ended. */
  exit: Deno.CommandStatus | null = null;
  #pump: Promise<void>;

  private constructor(
    dir: string,
    statusPort: number,
    args: string[],
    env: Record<string, string>,
  ) {
    this.dir = dir;
    this.configPath = `${dir}/goavail.toml`;
    this.stateDir = `${dir}/state`;
    this.statusPort = statusPort;
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "monitor",
        "-f",
        this.configPath,
        ...args,
      ],
      cwd: ROOT,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.child.status.then((s) => (this.exit = s));
    this.#pump = this.#readLines();
  }

  /**
   * Writes the config made by `toml` (given the state dir and a free status
   * port) and spawns the monitor (with `args`, and `env` added to this
   * process's environment) without waiting for anything.
   */
  static async spawn(
    toml: (stateDir: string, statusPort: number) => string,
    args: string[] = ["--log-format", "json"],
    env: Record<string, string> = {},
  ): Promise<MonitorProcess> {
    const dir = await Deno.makeTempDir({ prefix: "goavail-e2e-" });
    const port = freePort();
    await Deno.writeTextFile(`${dir}/goavail.toml`, toml(`${dir}/state`, port));
    return new MonitorProcess(dir, port, args, env);
  }

  /** Like {@linkcode MonitorProcess.spawn}, then waits until it serves. */
  static async start(
    toml: (stateDir: string, statusPort: number) => string,
    args: string[] = ["--log-format", "json"],
    env: Record<string, string> = {},
  ): Promise<MonitorProcess> {
    const m = await MonitorProcess.spawn(toml, args, env);
    try {
      await m.waitFor(
        (r) => r.msg === "agent started",
        "agent started",
        15_000,
      );
      await m.waitUntil(
        async () => (await m.get("/healthz")).status === 200,
        "/healthz",
      );
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  async #readLines(): Promise<void> {
    let rest = "";
    for await (
      const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      this.lines.push(...parts);
    }
    if (rest) this.lines.push(rest);
  }

  /** @returns the log lines that are JSON objects, parsed. */
  records(): LogRecord[] {
    const out: LogRecord[] = [];
    for (const l of this.lines) {
      try {
        const v = JSON.parse(l);
        if (v && typeof v === "object") out.push(v);
      } catch {
        // not a log line (e.g. a crash message): ignored here
      }
    }
    return out;
  }

  /** Waits (bounded) for a log record matching `match` at index ≥ `from`. */
  async waitFor(
    match: (r: LogRecord) => boolean,
    what: string,
    ms = 5000,
    from = 0,
  ): Promise<LogRecord> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.records().slice(from).find(match);
      if (hit) return hit;
      if (this.exit) {
        throw new Error(
          `monitor exited (${this.exit.code}) before ${what}:\n${this.tail()}`,
        );
      }
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits (bounded) until `check` resolves true. */
  async waitUntil(
    check: () => Promise<boolean>,
    what: string,
    ms = 5000,
  ): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (this.exit) {
        throw new Error(
          `monitor exited (${this.exit.code}) before ${what}:\n${this.tail()}`,
        );
      }
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** GETs a path of the status server; the body is always consumed. */
  async get(path: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.statusPort}${path}`);
    return { status: res.status, text: await res.text() };
  }

  /** @returns the last log lines, for failure messages. */
  tail(n = 15): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Sends a signal if the process still runs. */
  signal(sig: Deno.Signal): void {
    if (this.exit) return;
    try {
      this.child.kill(sig);
    } catch (e) {
      // It exited before `exit` was set; anything else is a real error.
      if (!(e instanceof TypeError)) throw e;
    }
  }

  /** Kills the process if it still runs, reaps it and deletes the temp dir. */
  async close(): Promise<void> {
    if (!this.exit) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // it exited meanwhile
      }
    }
    await this.child.status;
    await this.#pump;
    await Deno.remove(this.dir, { recursive: true });
  }
}
