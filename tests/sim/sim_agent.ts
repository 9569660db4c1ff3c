/**
 * One simulated agent, built from the agent's real parts: the health table,
 * verdict trust (warm-up, settling, freezes), the cluster membership (real
 * heartbeats, receive checks and liveness over an in-memory transport), the
 * replicated snapshot book, the DNS reconciler, and the write input the
 * agent assembles (lib/agent/write_facts.ts) fed to the write unit. The
 * simulator calls its steps (probe, heartbeat, DNS pass) in virtual time;
 * the DNS pass repeats what `Agent`'s wish does.
 * @module
 */
import type { Config } from "../../lib/config/types.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import type { PeerTransport } from "../../lib/cluster/transport.ts";
import { ClusterSnapshots } from "../../lib/agent/cluster_snapshots.ts";
import { storedVerdicts, thresholdsOf } from "../../lib/agent/config_view.ts";
import { DnsHealth } from "../../lib/agent/dns_health.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { VerdictTrust } from "../../lib/agent/trust.ts";
import { heartbeatState } from "../../lib/agent/heartbeat_state.ts";
import { writeInput } from "../../lib/agent/write_facts.ts";
import {
  DnsReconciler,
  type ReconcileReport,
  reconcilerSettings,
} from "../../lib/dns/reconciler.ts";
import type { DnsProvider } from "../../lib/dns/provider.ts";
import { HealthTable } from "../../lib/health/table.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { decideIntents, planWrites } from "../../lib/write/decide.ts";
import { checkIsolation, type Isolation } from "../../lib/write/isolation.ts";
import type {
  Intent,
  IntentDecision,
  WriteInput,
  WriteMemory,
} from "../../lib/write/types.ts";
import {
  off,
  type Policy,
  policyDecided,
  policyInput,
  policySnapshots,
} from "./policy.ts";
import type { SimClock } from "./sim_clock.ts";

/** What one probe of one target returned. */
export interface ProbeResult {
  ip: string;
  ok: boolean;
  /** The send failed on this host (no route): not evidence. */
  local: boolean;
}

/** The agent's parts that outlive nothing: one run of the process. */
export class SimAgent {
  readonly config: Config;
  readonly clock: SimClock;
  readonly store: MemoryStateStore;
  readonly health: HealthTable;
  readonly trust: VerdictTrust;
  readonly snapshots: ClusterSnapshots;
  readonly reconciler: DnsReconciler;
  readonly dnsHealth = new DnsHealth();
  /** Null while a reload that could not bind left no cluster link. */
  membership: Membership | null;
  isolation: Isolation = { isolated: false, reason: null };
  decided: IntentDecision | null = null;
  readonly #policy: Policy;
  readonly #transport: PeerTransport;
  #memory: WriteMemory = { writerSince: null };

  /**
   * @param config the agent's config
   * @param clock its clock
   * @param store its state directory (kept across restarts or fresh)
   * @param provider its DNS API client
   * @param transport its heartbeat transport
   * @param policy rules in force
   */
  constructor(
    config: Config,
    clock: SimClock,
    store: MemoryStateStore,
    provider: DnsProvider,
    transport: PeerTransport,
    policy: Policy,
  ) {
    this.config = config;
    this.clock = clock;
    this.store = store;
    this.#policy = policy;
    this.#transport = transport;
    const at = clock.now();
    this.health = new HealthTable(
      config.cloudflare.ipAddresses,
      thresholdsOf(config),
      { at, stored: storedVerdicts(store) },
    );
    this.membership = this.#link();
    this.snapshots = new ClusterSnapshots({
      store,
      clock,
      nodeId: () => config.members.nodeId,
      replication: () => {
        const m = this.membership;
        // Legacy: snapshots stay on the agent that deleted.
        if (!m || policy.legacy) return null;
        return {
          needed: config.members.minPeersAgree,
          send: () => m.replicateNow(),
        };
      },
    });
    this.reconciler = new DnsReconciler(
      provider,
      this.snapshots,
      reconcilerSettings(config),
      // One attempt per pass and no in-pass waits: the simulator's steps
      // are the passes.
      { clock, logger: silentLogger, maxAttempts: 1, maxInlineWaitMs: 0 },
    );
    this.trust = new VerdictTrust({
      clock,
      log: silentLogger,
      config: () => this.config,
      health: this.health,
      peers: () => {
        const m = this.membership;
        return m
          ? { configured: m.peerIds.length, live: m.liveIds().length }
          : null;
      },
    });
    this.membership?.start();
  }

  #link(): Membership {
    const m = this.config.members;
    return new Membership({
      nodeId: m.nodeId,
      peers: m.peers,
      membersPort: m.membersPort,
      heartbeatInterval: m.heartbeatInterval,
      peerTimeout: m.peerTimeout,
    }, {
      keyring: { keys: [], allowPlaintext: true },
      localState: () => this.#localState(),
      transport: this.#transport,
      clock: this.clock,
      logger: silentLogger,
      resolver: () => Promise.resolve([]),
      boot: this.clock.now(),
    });
  }

  /** A reload that cannot bind: the link is gone (`no_cluster`). */
  async dropLink(): Promise<void> {
    await this.membership?.stop();
    this.membership = null;
  }

  /** A valid reload: the link runs again. */
  restoreLink(): void {
    if (this.membership) return;
    this.membership = this.#link();
    this.membership.start();
  }

  /** Stops the loops (kill or clean stop). */
  async stop(clean: boolean): Promise<void> {
    if (clean) await this.store.putVerdicts(this.health.stored());
    await this.membership?.stop();
  }

  /** Feeds one round of probe results, as the agent's `#observe` does. */
  observe(results: readonly ProbeResult[]): void {
    const at = this.clock.now();
    for (const r of results) {
      const t = this.health.observe({
        ip: r.ip,
        ok: r.ok,
        rttMicros: r.ok ? 1000 : null,
        at,
        ...(r.ok ? {} : { fault: r.local ? "local" : "timeout" }),
      });
      if (!r.local) this.trust.observed(r.ip);
      if (t) {
        this.store.putVerdict(t.ip, { verdict: t.to, since: t.at });
      }
    }
    this.trust.checkFreeze();
  }

  /** Sends one heartbeat round (the membership loop's tick). */
  async heartbeat(): Promise<void> {
    await this.membership?.heartbeatNow();
  }

  /** Receives a frame from a peer, as the cluster server does. */
  async receive(frame: Uint8Array, from: string, ip: string): Promise<boolean> {
    const m = this.membership;
    if (!m) return false;
    const r = await m.receive(frame, from, ip);
    if (!r.ok) return false;
    // Saved before the heartbeat is answered (legacy: not replicated).
    if (!this.#policy.legacy) await this.snapshots.merge(r.value.snapshots);
    return true;
  }

  /** @returns the unit's input now, as the agent builds it. */
  input(): WriteInput {
    return policyInput(this.#rawInput(), this.#policy);
  }

  /** @returns the input before any rule is turned off. */
  #rawInput(): WriteInput {
    const now = this.clock.now();
    const isCluster = this.config.members.localAddr !== null;
    return writeInput({
      now: this.clock.monotonicMicros() / 1000,
      config: this.config,
      health: this.health,
      membership: this.membership,
      clusterExpected: isCluster,
      unsettled: this.trust.unsettled(),
      warmingUp: this.trust.warmingUp(now),
      dnsBlocked: this.reconciler.authBlocked(now) ||
        (isCluster && this.dnsHealth.steppedDown(now)),
      memory: this.#memory,
    });
  }

  /**
   * @returns this agent's settled verdicts now, or null when what it sees
   *   of its targets makes it suspect itself (local send errors, every
   *   target failing); losing its peers says nothing about the targets.
   *   Read before any rule is off: with `isolated` off the agent ignores
   *   its isolation, but what it sees is no better for that.
   */
  seen(): Map<string, "up" | "down"> | null {
    const { self } = this.#rawInput();
    if (checkIsolation({ ...self.isolation, lostAllPeers: false }).isolated) {
      return null;
    }
    const out = new Map<string, "up" | "down">();
    for (const [ip, e] of Object.entries(self.view)) {
      if (self.unsettled.has(ip)) continue;
      if (e.verdict === "up" || e.verdict === "down") out.set(ip, e.verdict);
    }
    return out;
  }

  #unsettled(): Set<string> {
    return off(this.#policy, "unsettled") ? new Set() : this.trust.unsettled();
  }

  #decide(): { input: WriteInput; decided: IntentDecision } {
    const input = this.input();
    return { input, decided: decideIntents(input) };
  }

  /** One DNS pass, as the agent's wish and DNS driver run it. */
  async dnsPass(): Promise<ReconcileReport> {
    this.trust.checkFreeze();
    const now = this.clock.now();
    let { input, decided } = this.#decide();
    if (this.#noteIsolation(decided.isolation, now)) {
      ({ input, decided } = this.#decide());
    }
    this.#memory = decided.memory;
    this.decided = decided;
    const planned = policyDecided(decided, input, this.#policy);
    const intents = new Map<string, Intent>();
    const down = new Set<string>();
    for (const [ip, d] of planned.ips) {
      intents.set(ip, d.hold === null ? d.intent : "hold");
      if (d.downVotes >= d.needed) down.add(ip);
    }
    const report = await this.reconciler.reconcile(intents, down, {
      abstain: !decided.role.active,
      mayWrite: () => this.#decide().decided.role.active,
      planner: (listing, snapshots, inDoubt) =>
        planWrites(
          planned,
          input,
          listing,
          policySnapshots(snapshots, this.#policy),
          off(this.#policy, "in_doubt") ? new Set() : inDoubt,
        ),
    });
    this.dnsHealth.note(report, this.clock.now());
    return report;
  }

  #noteIsolation(next: Isolation, now: number): boolean {
    const was = this.isolation.isolated;
    this.isolation = next;
    if (next.isolated === was || !was) return false;
    this.trust.rejoined(now);
    return true;
  }

  /** What heartbeats carry, as the agent's `#localState` builds it. */
  #localState() {
    this.trust.checkFreeze();
    return heartbeatState({
      view: this.health.view(),
      unsettled: this.#unsettled(),
      noted: this.isolation,
      current: checkIsolation(this.input().self.isolation),
      decided: this.decided,
      snapshots: this.snapshots.entries(),
    });
  }
}
