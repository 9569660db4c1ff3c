/**
 * The agent: joins probe → health → cluster → DNS, owns the loops, reload and
 * shutdown. Decisions live in pure modules; this file only wires and
 * schedules them.
 * @module
 */
import type { Config } from "../config/types.ts";
import { deriveKeyring } from "../cluster/crypto.ts";
import type { Decision } from "../cluster/decide.ts";
import { defaultGraceMs } from "../cluster/decide.ts";
import { Membership } from "../cluster/membership.ts";
import {
  createPeerApp,
  type PeerServer,
  servePeerApp,
} from "../cluster/server.ts";
import {
  DnsReconciler,
  type ReconcileReport,
  reconcilerSettings,
} from "../dns/reconciler.ts";
import { HealthTable } from "../health/table.ts";
import type { StoredVerdict, Transition } from "../health/verdict.ts";
import type { StateStore } from "./state_store.ts";
import { type AgentMetrics, createAgentMetrics } from "../observe/metrics.ts";
import { Notifier } from "../observe/notify.ts";
import type { Logger } from "../observe/log.ts";
import type { Observation, Prober } from "../probe/types.ts";
import { VERSION } from "../version.ts";
import type { AgentDeps } from "./deps.ts";
import { DnsDriver } from "./dns_driver.ts";
import { type WatchedAction, WatchedProvider } from "./dns_watch.ts";
import { checkIsolation, type Isolation } from "./isolation.ts";
import { FreezeGuard } from "./freeze.ts";
import { consecutiveOf } from "../health/verdict.ts";
import type { LocalState } from "../cluster/membership.ts";
import { LossWindow } from "./loss_window.ts";
import { collectMetrics } from "./agent_metrics.ts";
import { computeWish, type IntentClock } from "./wish.ts";
import { Reloader } from "./reload.ts";
import { guardEvents } from "./guard_notify.ts";
import { PeerNotices } from "./peer_notify.ts";

/** A running goavail agent. */
export class Agent {
  /** The config in force. */
  config: Config;
  readonly deps: AgentDeps;
  readonly log: Logger;
  readonly startedAt: number;
  readonly health: HealthTable;
  readonly loss: LossWindow = new LossWindow();
  readonly metrics: AgentMetrics;
  readonly dns: WatchedProvider;
  readonly reconciler: DnsReconciler;
  readonly driver: DnsDriver;
  readonly notifier: Notifier;
  prober: Prober;
  membership: Membership | null = null;
  peerServer: PeerServer | null = null;
  /** Last self-isolation verdict. */
  isolation: Isolation = { isolated: false, reason: null };
  /** Last decision per IP (cluster rule), for status and metrics. */
  decisions: Map<string, Decision> = new Map();
  /** Last verdict change per IP. */
  readonly lastChange: Map<string, { at: number; reason: string }> = new Map();
  /** Last DNS pass report. */
  lastReport: ReconcileReport | null = null;
  readonly #intentSince: IntentClock = new Map();
  /** DNS guards holding records back after the last good pass. */
  #guardsHeld: ReadonlySet<string> = new Set();
  readonly #peerNotices = new PeerNotices();
  /** Observations per IP since start (or since a reload added it). */
  readonly observedCount: Map<string, number> = new Map();
  readonly #reloader: Reloader;
  readonly #freeze = new FreezeGuard();
  /** When self-isolation last cleared (wall ms); warm-up restarts then. */
  #rejoinedAt = 0;
  #tickStop: AbortController | null = null;
  #tickLoop: Promise<void> | null = null;
  #running = false;

  private constructor(
    config: Config,
    deps: AgentDeps,
    provider: WatchedProvider,
  ) {
    this.config = config;
    this.deps = deps;
    this.log = deps.logger.child("agent");
    this.startedAt = deps.clock.now();
    this.health = new HealthTable(
      config.cloudflare.ipAddresses,
      thresholdsOf(config),
      {
        at: this.startedAt,
        stored: storedVerdicts(deps.stateStore),
      },
    );
    this.metrics = createAgentMetrics({
      version: VERSION,
      deno: Deno.version.deno,
    }, this.startedAt);
    this.metrics.registry.onCollect(() => collectMetrics(this));
    this.dns = provider;
    this.reconciler = new DnsReconciler(
      provider,
      deps.stateStore,
      reconcilerSettings(config),
      {
        clock: deps.clock,
        logger: deps.logger,
      },
    );
    this.driver = new DnsDriver(this.reconciler, {
      clock: deps.clock,
      logger: deps.logger.child("dns"),
      intervalMs: config.cloudflare.reconcileInterval * 1000,
      wish: () => this.#wish(),
      onReport: (r) => this.#onReport(r),
    });
    this.notifier = new Notifier({
      webhookUrl: config.notify.webhookUrl,
      slackWebhookUrl: config.notify.slackWebhookUrl,
      node: config.members.nodeId,
      logger: deps.logger,
      clock: deps.clock,
      fetch: deps.fetch,
      onDrop: () => this.metrics.notificationsDropped.inc(),
      onResult: (channel, ok) =>
        this.metrics.notificationsSent.inc({
          channel,
          result: ok ? "ok" : "error",
        }),
    });
    this.prober = this.#makeProber(config);
    this.#reloader = new Reloader(this);
  }

  /**
   * Builds an agent (DNS provider, keys, cluster) without starting it.
   * @throws when the DNS provider or the cluster cannot be set up
   */
  static async create(config: Config, deps: AgentDeps): Promise<Agent> {
    const provider = new WatchedProvider(await deps.createDnsProvider(config), {
      now: () => deps.clock.now(),
    });
    const agent = new Agent(config, deps, provider);
    provider.onAction = (a) => agent.#onAction(a);
    if (isCluster(config)) await agent.setCluster(config);
    return agent;
  }

  /** Starts probing, heartbeats, the DNS loop and the housekeeping tick. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.prober.start();
    this.membership?.start();
    this.driver.start();
    this.#scheduleTick();
    this.log.info("agent started", {
      targets: this.config.cloudflare.ipAddresses.length,
      dry_run: this.dns.dryRun,
      node: this.config.members.nodeId,
    });
  }

  /** Whether the loops run (for `/healthz`). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Re-reads the config file; keeps the old config on any error.
   * @returns whether the new config was applied
   */
  reload(): Promise<boolean> {
    return this.#reloader.reload();
  }

  /**
   * Stops every loop and server, saves the verdicts, flushes notifications;
   * idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#tickStop?.abort();
    // Once probing has stopped the verdicts are final: flush them (which
    // also waits for verdict writes in flight) without waiting for a DNS
    // call that may hang past the stop deadline.
    const flushed = this.prober.stop().catch(() => {}).then(() =>
      this.deps.stateStore.putVerdicts(this.health.stored())
    ).catch((e) =>
      this.log.error("Cannot save the verdicts at shutdown", { error: e })
    );
    await Promise.allSettled([
      this.#tickLoop,
      flushed,
      this.driver.stop(),
      this.membership?.stop(),
      this.peerServer?.close(),
    ]);
    await this.notifier.close();
    this.log.info("agent stopped");
  }

  /**
   * Sets up (or replaces) cluster membership and the peer server for
   * `config`; tears them down when `config` is single-node.
   */
  async setCluster(config: Config): Promise<void> {
    const m = config.members;
    if (!isCluster(config)) {
      await Promise.allSettled([
        this.membership?.stop(),
        this.peerServer?.close(),
      ]);
      this.membership = null;
      this.peerServer = null;
      return;
    }
    const keyring = await deriveKeyring(m.cryptoKeys, m.insecurePlaintext);
    if (this.membership && this.membership.nodeId === m.nodeId) {
      this.membership.setPeers(m.peers);
      this.membership.setKeyring(keyring);
      this.membership.setTiming(m.heartbeatInterval, m.peerTimeout);
      return;
    }
    await Promise.allSettled([
      this.membership?.stop(),
      this.peerServer?.close(),
    ]);
    const membership = new Membership({ ...m, peers: m.peers }, {
      keyring,
      localState: () => this.#localState(),
      transport: this.deps.peerTransport,
      clock: this.deps.clock,
      logger: this.deps.logger,
      onPeerChange: (peer, live) => {
        const e = this.#peerNotices.onChange(peer, live);
        if (e) this.notifier.notify(e);
      },
    });
    const receiver = {
      rejections: membership.rejections,
      receive: async (frame: Uint8Array, from: string, remoteIp: string) => {
        const r = await membership.receive(frame, from, remoteIp);
        if (r.ok) this.driver.kick();
        return r;
      },
    };
    this.peerServer = servePeerApp(
      createPeerApp(receiver, { logger: this.deps.logger }),
      m.localAddr!,
      {
        defaultPort: m.membersPort,
        logger: this.deps.logger,
      },
    );
    this.membership = membership;
    if (this.#running) membership.start();
  }

  /** Builds a prober for `config` (used at start and by reload). */
  makeProber(config: Config): Prober {
    return this.#makeProber(config);
  }

  #makeProber(config: Config): Prober {
    const prober = this.deps.createProber(config, {
      clock: this.deps.clock,
      logger: this.deps.logger.child("probe"),
      onObservation: (o) => this.#observe(o),
      timing: timingOf(config),
    });
    prober.setTargets([...config.cloudflare.ipAddresses]);
    return prober;
  }

  #observe(o: Observation): void {
    if (!this.health.ips().includes(o.ip)) return;
    this.loss.record(o.ip, o.ok, o.at);
    const count = (this.observedCount.get(o.ip) ?? 0) + 1;
    this.observedCount.set(o.ip, count);
    if (this.deps.logger.enabled("debug")) {
      this.deps.logger.child("probe").debug("observation", { ...o });
    }
    const before = this.health.get(o.ip)?.last;
    const t = this.health.observe(o);
    if (this.#freeze.size > 0 && this.#proven(o.ip)) this.driver.kick();
    if (t) this.#onTransition(t);
    // A change of outcome can start or end self-isolation: re-evaluate.
    else if (
      this.health.get(o.ip)?.last !== before || count === this.#settleCount()
    ) {
      this.driver.kick();
    }
  }

  #onTransition(t: Transition): void {
    this.lastChange.set(t.ip, { at: t.at, reason: t.reason });
    const fields = { ip: t.ip, from: t.from, to: t.to, reason: t.reason };
    if (t.to === "down") this.log.warn(`${t.ip} is down`, fields);
    else this.log.info(`${t.ip} is up`, fields);
    this.deps.stateStore.putVerdict(t.ip, { verdict: t.to, since: t.at }).catch(
      (e) => this.log.error("Cannot save the verdict", { ip: t.ip, error: e }),
    );
    this.driver.kick();
  }

  #wish() {
    this.#checkFreeze();
    const now = this.deps.clock.now();
    const summary = this.health.summary();
    const faulty = this.health.states().find((s) => s.last === "local");
    const wasIsolated = this.isolation.isolated;
    this.isolation = checkIsolation({
      targets: summary.total,
      down: summary.down,
      lastMissed: summary.lastMissed,
      lastLocalFault: summary.lastLocalFault,
      localFaultDetail: faulty?.lastDetail ?? null,
      lostAllPeers: this.membership?.lostAllPeers() ?? false,
    });
    if (this.isolation.isolated !== wasIsolated) this.#onIsolation(wasIsolated);
    if (wasIsolated && !this.isolation.isolated) this.#rejoinedAt = now;
    const { wish, decisions } = computeWish({
      ips: this.health.ips(),
      self: {
        nodeId: this.membership?.nodeId ?? this.config.members.nodeId,
        isolated: this.isolation.isolated,
        view: this.health.view(),
      },
      livePeers: this.membership?.liveViews() ?? [],
      minPeersAgree: this.membership ? this.config.members.minPeersAgree : 0,
      graceMs: defaultGraceMs(this.config.members.heartbeatInterval),
      isolated: this.isolation.isolated || this.#warmingUp(now),
      unsettled: this.#unsettled(),
      now,
    }, this.#intentSince);
    this.decisions = decisions;
    return wish;
  }

  /**
   * In cluster mode, writes wait until every peer was heard from or
   * `peer_timeout` passed since start, or since self-isolation cleared
   * (e.g. a partition healed and one peer is heard before the others):
   * with only some peers' views the quorum rule would miss votes and
   * restore what the cluster removed.
   */
  #warmingUp(now: number): boolean {
    if (!this.membership) return false;
    const from = Math.max(this.startedAt, this.#rejoinedAt);
    if (now - from >= this.config.members.peerTimeout * 1000) {
      return false;
    }
    return this.membership.liveIds().length < this.membership.peerIds.length;
  }

  /** IPs probed fewer than max(failure, recovery threshold) times. */
  #settleCount(): number {
    return Math.max(
      this.config.failureThreshold,
      this.config.recoveryThreshold,
    );
  }

  #unsettled(): Set<string> {
    const need = this.#settleCount();
    return new Set(
      this.health.ips().filter((ip) =>
        (this.observedCount.get(ip) ?? 0) < need || this.#freeze.unproven(ip)
      ),
    );
  }

  /**
   * Cluster mode: after this process did not run for longer than
   * `peer_timeout`, its verdicts are unproven until fresh probes back them
   * ({@linkcode FreezeGuard}).
   */
  #checkFreeze(): void {
    const tickMs = Math.min(1000, this.config.members.heartbeatInterval * 1000);
    const boundMs = Math.max(
      this.config.members.peerTimeout * 1000,
      3 * tickMs,
    );
    const gap = this.#freeze.check(this.deps.clock.monotonicMicros(), boundMs);
    if (gap === null || !this.membership) return;
    this.#freeze.distrust(this.health.ips());
    this.log.warn(
      "This agent did not run for a while: its verdicts wait for fresh probes before they vote or write",
      { frozen_ms: Math.round(gap) },
    );
  }

  /** @returns whether this observation proved `ip`'s verdict after a freeze. */
  #proven(ip: string): boolean {
    const s = this.health.get(ip);
    if (!s) return false;
    const needed = s.verdict === "down"
      ? this.config.failureThreshold
      : this.config.recoveryThreshold;
    return this.#freeze.observed(ip, consecutiveOf(s), needed);
  }

  /**
   * What heartbeats carry: the view without verdicts that fresh probes do
   * not back yet (since start, a reload adding the IP, or a freeze). A
   * verdict restored from the state store, or older than a freeze, must
   * not add a vote to peers' quorums.
   */
  #localState(): LocalState {
    this.#checkFreeze();
    const view = this.health.view();
    for (const ip of this.#unsettled()) delete view[ip];
    return { view, isolated: this.isolation.isolated };
  }

  #onIsolation(was: boolean): void {
    if (!was) {
      this.log.warn("Self-isolation: abstaining from DNS writes", {
        reason: this.isolation.reason,
      });
      this.notifier.notify({
        event: "guard_triggered",
        detail: `Self-isolation: ${this.isolation.reason}`,
      });
    } else {
      this.log.info("Self-isolation cleared: DNS writes resume");
      this.notifier.notify({
        event: "guard_cleared",
        detail: "Self-isolation cleared",
      });
    }
  }

  #onReport(report: ReconcileReport): void {
    this.lastReport = report;
    for (const [kind, n] of Object.entries(report.apiErrors)) {
      this.metrics.dnsApiErrors.inc({ kind }, n ?? 0);
    }
    if (report.status !== "ok") return;
    const guards = guardEvents(this.#guardsHeld, report.notes);
    this.#guardsHeld = guards.held;
    for (const e of guards.events) this.notifier.notify(e);
  }

  #onAction(a: WatchedAction): void {
    const result = a.result === "dry-run"
      ? "dry_run"
      : a.result.startsWith("error")
      ? "error"
      : "ok";
    this.metrics.dnsWrites.inc({ result });
    if (result === "error") return;
    this.notifier.notify({
      event: a.action === "remove" ? "record_removed" : "record_restored",
      ip: a.ip,
      hostname: a.hostname,
      detail:
        `${
          a.action === "remove" ? "Removed" : "Restored"
        } ${a.type} ${a.hostname} ${a.ip}` +
        (result === "dry_run" ? " (dry-run)" : ""),
    });
  }

  /**
   * Re-evaluates the wish regularly: peers going stale and grace periods
   * ending change decisions without any event. Costs no API call unless the
   * wish changed.
   */
  #scheduleTick(): void {
    const stop = (this.#tickStop = new AbortController());
    this.#tickLoop = (async () => {
      while (!stop.signal.aborted) {
        const ms = Math.max(
          100,
          Math.min(1000, this.config.members.heartbeatInterval * 1000),
        );
        await this.deps.clock.sleep(ms, stop.signal);
        this.#checkFreeze();
        if (!stop.signal.aborted) this.driver.kick();
      }
    })();
  }
}

/** @returns the stored up/down verdicts (unknown ones dropped). */
export function storedVerdicts(store: StateStore): Map<string, StoredVerdict> {
  const out = new Map<string, StoredVerdict>();
  for (const [ip, v] of store.verdicts()) {
    if (v.verdict !== "unknown") {
      out.set(ip, { verdict: v.verdict, since: v.since });
    }
  }
  return out;
}

/** @returns whether `config` runs in cluster mode. */
export function isCluster(config: Config): boolean {
  return config.members.localAddr !== null && config.members.peers.length > 0;
}

/** @returns the verdict thresholds of `config`. */
export function thresholdsOf(
  config: Config,
): { failureThreshold: number; recoveryThreshold: number } {
  return {
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
  };
}

/** @returns the probe cadence of `config`. */
export function timingOf(
  config: Config,
): { intervalMs: number; timeoutMs: number } {
  return {
    intervalMs: config.interval * 1000,
    timeoutMs: config.probeTimeout * 1000,
  };
}
