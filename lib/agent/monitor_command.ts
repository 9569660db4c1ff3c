/**
 * The `goavail monitor` command: load the config, build the real
 * dependencies, run the agent until SIGTERM/SIGINT; SIGHUP reloads.
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import { secretsOf } from "../config/resolve.ts";
import type { Config, DnsProviderName, ProbeType } from "../config/types.ts";
import { quorumWarning } from "../cluster/quorum_warning.ts";
import { weakKeyWarning } from "../cluster/crypto.ts";
import { type Clock, systemClock } from "../observe/clock.ts";
import {
  createLogger,
  type LogFormat,
  type Logger,
  type LogSettings,
} from "../observe/log.ts";
import {
  createStatusApp,
  serveStatus,
  type StatusServer,
} from "../observe/status.ts";
import { Pinger } from "../probe/pinger.ts";
import { TcpProber } from "../probe/tcp.ts";
import { HttpProber } from "../probe/http_prober.ts";
import { httpCheckSpec } from "../probe/http_check.ts";
import type {
  IcmpSockets,
  Prober,
  ProberOptions,
  RouteLookup,
} from "../probe/types.ts";
import { Agent } from "./agent.ts";
import { dnsProviderProblem } from "../config/dns_pool.ts";
import { isCluster } from "./config_view.ts";
import { statusSnapshot } from "./agent_status.ts";
import type { AgentDeps } from "./deps.ts";
import { dnsProviderFor } from "./dns_provider_for.ts";
import { type ConfigOverrides, withOverrides } from "./reload.ts";
import { FileStateStore } from "./state_store.ts";
import {
  type LockStateDir,
  type StateDirLock,
  StateDirLockedError,
} from "./state_lock.ts";
import { Signals } from "./signals.ts";
import {
  type ControlServer,
  controlSocketPath,
  createControlHandler,
  serveControl,
} from "./control.ts";
import { writePools } from "./write_facts.ts";
import { targetsOf } from "../write/pools.ts";

/** Command-line options of `goavail monitor`. */
export interface MonitorOptions {
  configFile: string;
  /** undefined = as the config says. */
  dryRun?: boolean;
  logFormat?: LogFormat;
  debug: boolean;
  /** `-t/--type`: wins over `probe_type`. */
  probeType?: ProbeType;
  /** `-p/--dns-provider`. */
  dnsProvider?: DnsProviderName;
}

/** What only `main.ts` may provide (it alone imports `ffi/`). */
export interface MonitorRuntime {
  /** Opens the ICMP sockets; throws `ProbeError` with the fixes. */
  openIcmpSockets: () => IcmpSockets;
  /** The kernel's route lookup, for TCP probes' error classification. */
  hasRoute?: RouteLookup;
  /** Takes the state directory's lock (held until the process ends). */
  lockStateDir: LockStateDir;
}

const STOP_DEADLINE_MS = 1500;

/**
 * Runs the agent in the foreground.
 * @returns the process exit code
 */
export async function runMonitor(
  opts: MonitorOptions,
  runtime: MonitorRuntime,
): Promise<number> {
  const overrides: ConfigOverrides = {
    dryRun: opts.dryRun,
    logFormat: opts.logFormat,
    logLevel: opts.debug ? "debug" : undefined,
    probeType: opts.probeType,
    dnsProvider: opts.dnsProvider,
  };
  let log = createLogger({ format: opts.logFormat }).logger;
  // The listeners stay until the process exits: without one, a late SIGHUP
  // would kill it (exit 129) between the last log line and the exit.
  const signals = new Signals(() => log);
  return await monitor(opts, runtime, overrides, signals, (l) => (log = l));
}

async function monitor(
  opts: MonitorOptions,
  runtime: MonitorRuntime,
  overrides: ConfigOverrides,
  signals: Signals,
  useLogger: (logger: Logger) => void,
): Promise<number> {
  const loaded = await loadConfigFile(opts.configFile);
  if (!loaded.ok) {
    const { logger } = createLogger({ format: opts.logFormat });
    logger.error(`Cannot load "${opts.configFile}"`, {
      errors: formatIssues(loaded.errors).trim(),
    });
    return 1;
  }
  const config = withOverrides(loaded.value.config, overrides);
  const unsupported = dnsProviderProblem(config);
  if (unsupported) {
    createLogger({ format: opts.logFormat }).logger.error(
      `Cannot start: ${unsupported}`,
    );
    return 1;
  }
  const { logger, settings } = createLogger({
    format: config.logFormat,
    level: config.logLevel,
  });
  useLogger(logger);
  for (const s of secretsOf(config)) settings.secrets.add(s);
  for (const w of loaded.value.warnings) logger.warn(w);
  logger.info("config loaded", configFields(opts.configFile, config));
  if (isCluster(config)) {
    const w = quorumWarning(
      config.members.peers.length + 1,
      config.members.minPeersAgree,
    );
    if (w) logger.warn(w);
    for (const key of config.members.cryptoKeys) {
      const weak = weakKeyWarning(key);
      if (weak) logger.warn(weak);
    }
  }
  const sockets = new SocketHolder(runtime);
  let status: StatusServer | null = null;
  let control: ControlServer | null = null;
  let agent: Agent | null = null;
  let lock: StateDirLock | null = null;
  try {
    lock = takeLock(runtime, config.stateDir);
    const deps = await realDeps(
      opts.configFile,
      config,
      logger,
      settings,
      sockets,
      overrides,
      runtime,
    );
    agent = await Agent.create(config, deps);
    status = startStatus(config, agent, logger);
    control = await startControl(config, agent, logger);
    agent.start();
  } catch (e) {
    logger.error(`Cannot start: ${e instanceof Error ? e.message : String(e)}`);
    await agent?.stop();
    await status?.close();
    await control?.close();
    sockets.close();
    lock?.release();
    return 1;
  }
  const running = agent;
  signals.onReload(() => running.reload());
  await signals.stopped;
  const stopped = await stopWithin(
    Promise.allSettled([agent.stop(), status?.close(), control?.close()]),
    STOP_DEADLINE_MS,
  );
  sockets.close();
  if (!stopped) {
    // The kernel drops the state_dir lock as the process exits.
    // Something still holds the event loop (e.g. a DNS API call that does
    // not answer): exiting within 2 s of the signal wins over waiting.
    // Snapshots are durable before any delete and verdicts are flushed
    // first, so nothing a restart needs is lost.
    logger.warn("Stop deadline passed; exiting without waiting for the rest");
    Deno.exit(0);
  }
  lock.release();
  logger.info("stopped");
  return 0;
}

/**
 * Takes the state_dir lock before anything reads or writes the directory.
 * @throws {StateDirLockedError} as is; other errors with the usual fixes
 */
function takeLock(runtime: MonitorRuntime, dir: string): StateDirLock {
  try {
    return runtime.lockStateDir(dir);
  } catch (e) {
    if (e instanceof StateDirLockedError) throw e;
    throw unusableStateDir(dir, e);
  }
}

function unusableStateDir(dir: string, e: unknown): Error {
  return new Error(
    `state_dir "${dir}" is not usable (${
      e instanceof Error ? e.message : e
    }); run as a user that may write it, or set state_dir`,
    { cause: e },
  );
}

/**
 * Waits for `work`, at most `ms`. The deadline timer is cleared as soon as
 * `work` settles: a pending timer would keep the process alive for the
 * whole deadline after every clean stop.
 * @param work what to wait for (its rejection counts as settled)
 * @param ms the deadline in milliseconds
 * @param clock the deadline timer's clock
 * @returns whether `work` settled before the deadline
 */
export async function stopWithin(
  work: Promise<unknown>,
  ms: number,
  clock: Clock = systemClock,
): Promise<boolean> {
  const deadline = new AbortController();
  try {
    return await Promise.race([
      work.then(() => true, () => true),
      clock.sleep(ms, deadline.signal).then(() => false),
    ]);
  } finally {
    deadline.abort();
  }
}

function configFields(file: string, c: Config): Record<string, unknown> {
  return {
    file,
    targets: c.cloudflare.ipAddresses.join(","),
    hostnames: c.cloudflare.hostnames.join(","),
    zone: c.cloudflare.dnsDomain,
    probe: c.probeType,
    interval_s: c.interval,
    failure_threshold: c.failureThreshold,
    recovery_threshold: c.recoveryThreshold,
    cluster: isCluster(c)
      ? `${
        c.members.peers.length + 1
      } agents, min_peers_agree=${c.members.minPeersAgree}`
      : "single node",
    dry_run: c.dryRun,
  };
}

async function realDeps(
  configPath: string,
  config: Config,
  logger: Logger,
  settings: LogSettings,
  sockets: SocketHolder,
  overrides: ConfigOverrides,
  runtime: MonitorRuntime,
): Promise<AgentDeps> {
  const stateStore = await FileStateStore.open(config.stateDir, {
    logger,
    clock: systemClock,
  }).catch((e) => {
    throw unusableStateDir(config.stateDir, e);
  });
  if (
    config.probeType === "icmp" ||
    config.pools.some((p) => p.check.type === "icmp")
  ) sockets.get();
  return {
    clock: systemClock,
    logger,
    logSettings: settings,
    configPath,
    loadConfig: loadConfigFile,
    stateStore,
    overrides,
    hostname: await readHostname(),
    createProber: (c: Config, o: ProberOptions) =>
      c.probeType === "tcp"
        ? new TcpProber(c.port, { ...o, hasRoute: runtime.hasRoute })
        : new Pinger(sockets.get(), o),
    createPoolProber: (pool, o) => {
      const c = pool.check;
      // A socket of its own: two pingers reading one socket would take
      // each other's replies.
      if (c.type === "icmp") return ownSocketPinger(runtime, o);
      const hasRoute = runtime.hasRoute;
      if (c.type === "tcp") return new TcpProber(c.port!, { ...o, hasRoute });
      return new HttpProber(httpCheckSpec({ ...c, type: c.type }), {
        ...o,
        hasRoute,
      });
    },
    createDnsProvider: (c: Config) =>
      dnsProviderFor(c, { logger, secrets: settings.secrets }),
  };
}

/** @returns the kernel's host name (no --allow-sys needed), or null. */
async function readHostname(): Promise<string | null> {
  try {
    return (await Deno.readTextFile("/proc/sys/kernel/hostname")).trim() ||
      null;
  } catch {
    return null;
  }
}

function startStatus(
  config: Config,
  agent: Agent,
  logger: Logger,
): StatusServer | null {
  if (!config.status.listen) return null;
  const app = createStatusApp({
    snapshot: () => statusSnapshot(agent),
    metrics: () => agent.metrics.registry.render(),
    healthy: () => agent.running,
    logger,
  });
  return serveStatus(config.status.listen, app, logger);
}

/**
 * Serves `goavail drain`/`undrain` on the control socket in `state_dir`.
 * A socket that cannot be served is logged, not fatal: the agent then
 * monitors without taking drains.
 */
async function startControl(
  config: Config,
  agent: Agent,
  logger: Logger,
): Promise<ControlServer | null> {
  const path = controlSocketPath(config.stateDir);
  const handler = createControlHandler({
    // Backups too: an operator may take a serving backup out.
    pools: () =>
      new Map(writePools(agent.config).map((p) => [p.name, targetsOf(p)])),
    setDrain: (pool, ip, drained, reason) =>
      agent.drains.set(pool, ip, drained, reason),
  }, logger);
  try {
    return await serveControl(path, handler);
  } catch (e) {
    logger.error(
      `${
        e instanceof Error ? e.message : String(e)
      }; goavail drain and undrain cannot reach this agent`,
      { path },
    );
    return null;
  }
}

/** @returns a pinger on sockets of its own, closed once it has stopped */
function ownSocketPinger(runtime: MonitorRuntime, o: ProberOptions): Prober {
  const own = runtime.openIcmpSockets();
  const pinger = new Pinger(own, o);
  const stop = pinger.stop.bind(pinger);
  pinger.stop = async () => {
    await stop();
    own.v4?.close();
    own.v6?.close();
  };
  return pinger;
}

/** Opens the ICMP sockets on first use and closes them once. */
class SocketHolder {
  #runtime: MonitorRuntime;
  #sockets: IcmpSockets | null = null;

  constructor(runtime: MonitorRuntime) {
    this.#runtime = runtime;
  }

  get(): IcmpSockets {
    this.#sockets ??= this.#runtime.openIcmpSockets();
    return this.#sockets;
  }

  close(): void {
    this.#sockets?.v4?.close();
    this.#sockets?.v6?.close();
    this.#sockets = null;
  }
}
