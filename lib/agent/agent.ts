/**
 * The agent: joins probe → health → cluster → DNS, owns the loops, reload and
 * shutdown. Decisions live in pure modules (lib/health, and lib/write for every
 * DNS write); trust, the cluster link and event reporting have files of their
 * own. This file wires and schedules them.
 * @module
 */
import type { Config } from "../config/types.ts";
import type { LocalState, Membership } from "../cluster/membership.ts";
import {
  DnsReconciler,
  type ReconcileReport,
  reconcilerSettings,
} from "../dns/reconciler.ts";
import { HealthTable } from "../health/table.ts";
import type { Transition } from "../health/verdict.ts";
import {
  type AgentMetrics,
  createAgentMetrics,
} from "../observe/metric_catalog.ts";
import { Notifier } from "../observe/notify.ts";
import type { Logger } from "../observe/log.ts";
import type { Observation, Prober } from "../probe/types.ts";
import type { Heartbeat } from "../cluster/types.ts";
import type { Intent } from "../write/types.ts";
import { VERSION } from "../version.ts";
import { AgentEvents } from "./agent_events.ts";
import { collectMetrics } from "./agent_metrics.ts";
import { ClusterLink } from "./cluster_link.ts";
import { ClusterSnapshots } from "./cluster_snapshots.ts";
import { DnsHealth } from "./dns_health.ts";
import {
  isCluster,
  storedVerdicts,
  thresholdsOf,
  timingOf,
} from "./config_view.ts";
import type { AgentDeps } from "./deps.ts";
import { DnsDriver, type DnsWish } from "./dns_driver.ts";
import { ApiCallWindow } from "./api_calls.ts";
import { ApiBudget } from "./api_budget.ts";
import type { RateLimitState } from "../dns/ratelimit_headers.ts";
import { heartbeatState } from "./heartbeat_state.ts";
import { WatchedProvider } from "./dns_watch.ts";
import type { Isolation } from "../write/isolation.ts";
import { LossWindow } from "./loss_window.ts";
import { ProgressLog } from "./progress_log.ts";
import { Drains } from "./drains.ts";
import { summaryFacts } from "./agent_status.ts";
import { Reloader } from "./reload.ts";
import { VerdictTrust } from "./trust.ts";
import {
  clusterDown,
  decideIntents,
  isDrainedUp,
  planWrites,
} from "../write/decide.ts";
import type { IntentDecision, WriteMemory, WritePlan } from "../write/types.ts";
import { writeInput, writePools } from "./write_facts.ts";
import { DEFAULT_POOL, keyOfRecord, type WritePool } from "../write/pools.ts";
import { canonicalIp } from "../dns/provider.ts";
import { noProber, PoolChecks } from "./pool_checks.ts";
import {
  snapshotOrigin,
  unmanagedRecords,
  warnUnmanaged,
  withdrawnRecords,
} from "./withdrawn.ts";

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
  /** Failing DNS passes (a writer that cannot write steps down). */
  readonly dnsHealth: DnsHealth = new DnsHealth(() =>
    this.log.warn(
      "DNS passes have failed for a minute: no longer standing for the cluster's writer for 5 minutes, so an agent that can reach the DNS API takes over",
    )
  );
  /** Record snapshots, shared with the cluster. */
  readonly snapshots: ClusterSnapshots;
  /** Drains, shared with the cluster and kept in the state file. */
  readonly drains: Drains;
  readonly reconciler: DnsReconciler;
  readonly driver: DnsDriver;
  readonly notifier: Notifier;
  readonly cluster: ClusterLink;
  readonly trust: VerdictTrust;
  prober: Prober;
  /** The `[[pool]]`s' probers and verdicts (keyed `pool/IP`). */
  poolChecks: PoolChecks;
  /** Last self-isolation verdict. */
  isolation: Isolation = { isolated: false, reason: null };
  /** The write decision's last first stage (role, intents, holds). */
  decided: IntentDecision | null = null;
  /** The last plan a DNS pass made (hold reasons per IP). */
  lastPlan: WritePlan | null = null;
  /** The last verdict change of each target, by target key. */
  readonly lastChange: Map<string, { at: number; reason: string }> = new Map();
  /** DNS API requests of the last five minutes. */
  readonly apiCalls: ApiCallWindow = new ApiCallWindow();
  /**
   * What the provider's last `Ratelimit` header said, with the wall-clock
   * ms its window resets at; null until one came.
   */
  rateLimit: (RateLimitState & { resetAtMs: number }) | null = null;
  /** This agent's share of the API budget; spaces drift repair. */
  readonly apiBudget: ApiBudget;
  #wasBlocked = false;
  #lastNudgeAt = -Infinity;
  #nudgePending = false;
  #nudgeStop = new AbortController();
  /** Last DNS pass report. */
  lastReport: ReconcileReport | null = null;
  readonly #events: AgentEvents;
  readonly #progress: ProgressLog;
  #writeMemory: WriteMemory = { writerSince: null };
  readonly #reloader: Reloader;
  #tickStop: AbortController | null = null;
  #tickLoop: Promise<void> | null = null;
  #summaryLoop: Promise<void> | null = null;
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
    this.snapshots = new ClusterSnapshots({
      store: deps.stateStore,
      clock: deps.clock,
      // Called once before the cluster link exists.
      nodeId: () =>
        this.cluster?.membership?.nodeId ?? this.config.members.nodeId,
      replication: () => {
        const m = this.membership;
        if (!m || !isCluster(this.config)) return null;
        return {
          needed: this.config.members.minPeersAgree,
          send: () => m.replicateNow(),
        };
      },
    });
    this.drains = new Drains({
      store: deps.stateStore,
      clock: deps.clock,
      nodeId: () =>
        this.cluster?.membership?.nodeId ?? this.config.members.nodeId,
      onChange: () => {
        this.cluster.nudge();
        this.driver.kick();
      },
    });
    this.reconciler = new DnsReconciler(
      provider,
      this.snapshots,
      reconcilerSettings(config),
      {
        clock: deps.clock,
        logger: deps.logger,
      },
    );
    this.apiBudget = new ApiBudget(
      this.apiCalls,
      config.cloudflare.apiBudgetShare,
      () => this.rateLimit,
    );
    this.driver = new DnsDriver(this.reconciler, {
      clock: deps.clock,
      logger: deps.logger.child("dns"),
      intervalMs: config.cloudflare.reconcileInterval * 1000,
      budget: this.apiBudget,
      onDriftSkipped: (reason) => this.metrics.dnsDriftSkipped.inc({ reason }),
      wish: () => this.#wish(),
      onReport: (r) => {
        // A block lifted by a read: decide again now, not at the next pass.
        if (this.#wasBlocked && !this.reconciler.blocked) this.driver.kick();
        this.#wasBlocked = this.reconciler.blocked;
        this.lastReport = r;
        this.dnsHealth.note(r, deps.clock.now());
        this.#settlePlan(r);
        this.#events.report(r);
      },
    });
    this.notifier = new Notifier({
      webhookUrl: config.notify.webhookUrl,
      slackWebhookUrl: config.notify.slackWebhookUrl,
      slackFormat: config.notify.slackFormat,
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
    this.#events = new AgentEvents(this.log, this.metrics, this.notifier);
    this.#progress = new ProgressLog(this.log);
    provider.onAction = (a) => this.#events.action(a);
    provider.onRequest = (kind) => {
      this.apiCalls.record(deps.clock.now());
      this.metrics.dnsApiCalls.inc({ kind });
    };
    provider.onRateLimit = (state) => {
      this.rateLimit = {
        ...state,
        resetAtMs: deps.clock.now() + state.resetMs,
      };
    };
    this.cluster = new ClusterLink({
      clock: deps.clock,
      logger: deps.logger,
      transport: deps.peerTransport,
      localState: () => this.#localState(),
      onHeartbeat: async (hb) => {
        this.#confirmPeers(hb);
        try {
          await this.snapshots.merge(hb.snapshots);
          await this.drains.merge(hb.drains ?? []);
        } catch (e) {
          this.log.error("Cannot save the snapshots or drains a peer sent", {
            peer: hb.from,
            error: e,
          });
          throw e;
        } finally {
          this.driver.kick();
        }
      },
      onPeerChange: (peer, live) => this.#events.peer(peer, live),
    });
    this.trust = new VerdictTrust({
      clock: deps.clock,
      log: this.log,
      config: () => this.config,
      health: this.health,
      peers: () => this.cluster.peers(),
    });
    this.prober = this.makeProber(config);
    this.poolChecks = this.makePoolChecks(config);
    this.#reloader = new Reloader(this);
    deps.stateStore.setOrigin(snapshotOrigin(config, deps.hostname));
    warnUnmanaged(
      this.log,
      unmanagedRecords(withdrawnRecords(deps.stateStore), config),
      deps.stateStore.path ?? null,
    );
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
    if (isCluster(config)) await agent.cluster.apply(config);
    return agent;
  }

  /** Heartbeats and liveness; null on a single node. */
  get membership(): Membership | null {
    return this.cluster.membership;
  }

  /** Starts probing, heartbeats, the DNS loop and the housekeeping tick. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.prober.start();
    this.poolChecks.start();
    this.cluster.start();
    this.driver.start();
    this.#startTick();
    this.log.info("agent started", {
      targets: this.config.cloudflare.ipAddresses.length,
      dry_run: this.dns.dryRun,
      node: this.config.members.nodeId,
    });
    const unchecked = (this.config.pools ?? []).filter((p) =>
      p.name !== DEFAULT_POOL
    );
    if (!this.deps.createPoolProber && unchecked.length > 0) {
      this.log.warn(
        "[[pool]] checks cannot run here: those pools' records are held as they are (unsettled), never created or deleted",
        { pools: unchecked.map((p) => p.name).join(",") },
      );
    }
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
    this.#nudgeStop.abort();
    // Once probing has stopped the verdicts are final: flush them (which
    // also waits for verdict writes in flight) without waiting for a DNS
    // call that may hang past the stop deadline.
    const pools = this.poolChecks.stop().catch(() => {});
    const flushed = this.prober.stop().catch(() => {})
      .then(() => this.deps.stateStore.putVerdicts(this.health.stored()))
      .catch((e) =>
        this.log.error("Cannot save the verdicts at shutdown", { error: e })
      );
    await Promise.allSettled([
      this.#tickLoop,
      this.#summaryLoop,
      flushed,
      pools,
      this.driver.stop(),
      this.cluster.stop(),
    ]);
    await this.notifier.close();
    this.log.info("agent stopped");
  }

  /** Builds a prober for `config`, reporting to this agent (start and reload). */
  makeProber(config: Config): Prober {
    const prober = this.deps.createProber(config, {
      clock: this.deps.clock,
      logger: this.deps.logger.child("probe"),
      onObservation: (o) => this.#observe(o),
      timing: timingOf(config),
    });
    prober.setTargets([...config.cloudflare.ipAddresses]);
    return prober;
  }

  /**
   * Builds the `[[pool]]`s' checks for `config`, reporting to this agent
   * (start and reload); without a pool prober factory they build no prober
   * and their targets stay unsettled.
   */
  makePoolChecks(config: Config): PoolChecks {
    const make = this.deps.createPoolProber;
    return new PoolChecks(make ? config.pools ?? [] : [], make ?? noProber, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      onTransition: (key, t) => {
        this.lastChange.set(key, { at: t.at, reason: t.reason });
        const fields = { target: key, from: t.from, to: t.to };
        if (t.to === "down") this.log.warn(`${key} is down`, fields);
        else this.log.info(`${key} is up`, fields);
        this.cluster.nudge();
        this.driver.kick();
      },
    });
  }

  #observe(o: Observation): void {
    const before = this.health.get(o.ip);
    if (!before) return;
    const lastBefore = before.last;
    this.loss.record(o.ip, o.ok, o.at);
    if (this.deps.logger.enabled("debug")) {
      this.deps.logger.child("probe").debug("observation", { ...o });
    }
    const t = this.health.observe(o);
    this.#confirm(o);
    // A send that failed here says nothing about the target: it is no
    // fresh evidence for the verdict.
    const trusted = o.fault !== "local" && this.trust.observed(o.ip);
    if (trusted) this.#progress.settled(this.health.get(o.ip) ?? before);
    if (t) this.#onTransition(t);
    // A new outcome can start or end self-isolation, and a newly trusted
    // verdict can act: re-evaluate.
    else if (trusted || this.health.get(o.ip)?.last !== lastBefore) {
      this.driver.kick();
    }
  }

  /**
   * With `retry_interval`: a miss of an IP that is still up (or, with
   * `recovery_retry`, a reply from one that is down) asks the prober for a
   * confirming probe soon, until the streak reaches its threshold.
   */
  #confirm(o: Observation): void {
    const c = this.config;
    if (c.retryInterval === null || o.fault === "local") return;
    const h = this.health.get(o.ip);
    if (!h) return;
    const confirming = o.ok
      ? c.recoveryRetry && h.verdict === "down" && h.replies > 0 &&
        h.replies < c.recoveryThreshold
      : h.verdict === "up" && h.misses > 0 && h.misses < c.failureThreshold;
    if (!confirming) return;
    this.prober.retry(o.ip);
    // A first miss: tell the peers now (its view says up with no reply in
    // a row), so they confirm too and the quorum forms in one retry round.
    if (!o.ok && h.misses === 1) this.#nudgeSoon(c.retryInterval * 500);
  }

  /**
   * Sends a heartbeat now, or, when one went out less than `spacingMs` ago,
   * once that much time has passed (one pending at most), so a burst of
   * suspicions costs a few heartbeats, not one each.
   */
  #nudgeSoon(spacingMs: number): void {
    if (this.#nudgePending) return;
    const wait = this.#lastNudgeAt + spacingMs - this.deps.clock.now();
    const send = () => {
      this.#nudgePending = false;
      if (this.#nudgeStop.signal.aborted) return;
      this.#lastNudgeAt = this.deps.clock.now();
      this.cluster.nudge();
    };
    if (wait <= 0) return send();
    this.#nudgePending = true;
    this.deps.clock.sleep(wait, this.#nudgeStop.signal).then(send);
  }

  /**
   * With `retry_interval`: a peer whose view says up with no reply in a
   * row has just missed an IP; if this agent still sees it up, it confirms
   * with a probe of its own.
   */
  #confirmPeers(hb: Heartbeat): void {
    if (this.config.retryInterval === null) return;
    for (const [ip, e] of Object.entries(hb.view)) {
      if (e.verdict !== "up" || e.consecutive !== 0) continue;
      const h = this.health.get(ip);
      if (h?.verdict === "up" && h.replies > 0) this.prober.retry(ip);
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
    this.cluster.nudge();
    this.driver.kick();
  }

  /**
   * The write decision's first stage, and a planner for the pass; called by
   * the DNS loop before each pass. Every rule lives in lib/write/.
   */
  #wish(): DnsWish {
    this.trust.checkFreeze();
    const now = this.deps.clock.now();
    let { input, decided } = this.#decide(now);
    if (this.#noteIsolation(decided.isolation, now)) {
      // Rejoining restarts the warm-up: decide again with it.
      ({ input, decided } = this.#decide(now));
    }
    this.#writeMemory = decided.memory;
    this.decided = decided;
    const intents = new Map<string, Intent>();
    const down = new Set<string>();
    const drainedUp = new Set<string>();
    for (const [ip, d] of decided.ips) {
      intents.set(ip, d.hold === null ? d.intent : "hold");
      if (clusterDown(d)) down.add(ip);
      if (isDrainedUp(d)) drainedUp.add(ip);
    }
    return {
      intents,
      down,
      drainedUp,
      abstain: !decided.role.active,
      wakeAtMs: decided.wakeAtMs === null
        ? null
        : now + (decided.wakeAtMs - input.now),
      // The role again, from the facts of the moment of each call.
      mayWrite: () => this.#decide(this.deps.clock.now()).decided.role.active,
      planner: (listing, snapshots, inDoubt) => {
        const plan = planWrites(decided, input, listing, snapshots, inDoubt);
        this.lastPlan = plan;
        return plan;
      },
    };
  }

  #decide(now: number) {
    const input = writeInput({
      now: this.deps.clock.monotonicMicros() / 1000,
      config: this.config,
      health: this.health,
      pools: this.poolChecks,
      membership: this.membership,
      clusterExpected: isCluster(this.config),
      unsettled: this.trust.unsettled(),
      warmingUp: this.trust.warmingUp(now),
      // On a single node nobody could take over: keep trying instead. In a
      // cluster a refusal holds until a read (made whatever the role) works.
      dnsBlocked: this.reconciler.authBlocked(now) ||
        (isCluster(this.config) &&
          (this.reconciler.blocked || this.dnsHealth.steppedDown(now))),
      memory: this.#writeMemory,
      drained: this.drains.drainedTargets(
        writePools(this.config).map((p) => p.name),
      ),
    });
    return { input, decided: decideIntents(input) };
  }

  /**
   * After a pass, the IPs it changed are in sync, or, when the pass did not
   * end well, not applied (the next pass plans them again).
   */
  #settlePlan(report: ReconcileReport): void {
    const plan = this.lastPlan;
    if (!plan || report.status === "abstained") return;
    const reason = report.status === "ok" ? "in_sync" : "not_applied";
    const pools = writePools(this.config);
    for (const c of plan.changes) {
      const key = keyOfRecord(pools, c.record.name, c.record.content) ??
        c.record.content;
      if (plan.holds.has(key)) continue;
      const d = this.decided?.ips.get(key);
      const gone = reason === "in_sync" && c.kind === "delete";
      // A backup withdrawn while not dead is on standby now.
      const standby = gone && d?.intent !== "absent" &&
        isBackupOf(pools, c.record.name, c.record.content);
      plan.holds.set(
        key,
        gone && d?.drained ? "drained" : standby ? "standby" : reason,
      );
    }
  }

  /** @returns whether self-isolation just cleared. */
  #noteIsolation(next: Isolation, now: number): boolean {
    const was = this.isolation.isolated;
    this.isolation = next;
    if (next.isolated === was) return false;
    this.#events.isolation(next);
    if (!was) return false;
    this.trust.rejoined(now);
    return true;
  }

  /** What heartbeats carry (see {@linkcode heartbeatState}). */
  #localState(): LocalState {
    this.trust.checkFreeze();
    return heartbeatState({
      view: { ...this.health.view(), ...this.poolChecks.view() },
      unsettled: new Set([
        ...this.trust.unsettled(),
        ...this.poolChecks.unsettled(),
      ]),
      noted: this.isolation,
      current: this.#decide(this.deps.clock.now()).decided.isolation,
      decided: this.decided,
      snapshots: this.snapshots.entries(),
      drains: this.drains.entries(),
    });
  }

  /**
   * Re-evaluates the wish regularly: peers going stale and grace periods
   * ending change decisions without any event. Costs no API call unless the
   * wish changed.
   */
  #startTick(): void {
    const stop = (this.#tickStop = new AbortController());
    this.#summaryLoop = this.#summaries(stop.signal);
    this.#tickLoop = (async () => {
      while (!stop.signal.aborted) {
        const ms = Math.max(
          100,
          Math.min(1000, this.config.members.heartbeatInterval * 1000),
        );
        await this.deps.clock.sleep(ms, stop.signal);
        this.trust.checkFreeze();
        if (!stop.signal.aborted) this.driver.kick();
      }
    })();
  }

  /**
   * Logs a summary every `summary_interval` seconds (read at each wait, so
   * a reload's value applies from the next line; while it is 0, the loop
   * looks again every minute).
   */
  async #summaries(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.deps.clock.sleep(
        (this.config.summaryInterval || 60) * 1000,
        signal,
      );
      if (!signal.aborted && this.config.summaryInterval > 0) {
        this.#progress.summary(summaryFacts(this));
      }
    }
  }
}

/** @returns whether `content` is a backup of the pool that holds `name` */
function isBackupOf(
  pools: readonly WritePool[],
  name: string,
  content: string,
): boolean {
  const pool = pools.find((p) => p.names.includes(name));
  return pool?.backups?.includes(canonicalIp(content)) ?? false;
}
