/**
 * Cluster membership: sends this agent's full view to every peer each
 * heartbeat interval (concurrently, each send with its own timeout, at most
 * one in flight per peer), accepts peers' heartbeats (see
 * {@linkcode Membership.receive}), and tracks liveness: a peer is live, and
 * its view counts, while its last valid heartbeat is younger than
 * `peer_timeout`.
 * @module
 */

import { type Clock, systemClock } from "../observe/clock.ts";
import { type Logger, silentLogger } from "../observe/log.ts";
import { canonicalNodeId, parsePeerAddr, systemResolver } from "./addr.ts";
import { readsCompact } from "./compact_view.ts";
import { type Keyring, sealHeartbeat } from "./crypto.ts";
import type { Vote } from "../write/types.ts";
import type {
  LocalState,
  MembershipOptions,
  MembershipSettings,
} from "./membership_options.ts";
import { type PeerSlot, type PeerStatus, PeerTable } from "./peers.ts";
import {
  acceptHeartbeat,
  type HeartbeatReceiver,
  MAX_BODY_BYTES,
} from "./receive.ts";
import { HttpPeerTransport, type PeerTransport } from "./transport.ts";
import {
  type Heartbeat,
  RejectionCounters,
  type RejectReason,
  type Result,
} from "./types.ts";

export type {
  LocalState,
  MembershipOptions,
  MembershipSettings,
} from "./membership_options.ts";
export type { PeerStatus } from "./peers.ts";
export type { HeartbeatReceiver } from "./receive.ts";
export { MAX_BODY_BYTES, MAX_SKEW_MS } from "./receive.ts";

const WARN_EVERY_MS = 60_000;
const RESOLVE_EVERY_MS = 60_000;

/** Heartbeats out, heartbeats in, liveness. */
export class Membership implements HeartbeatReceiver {
  /** Counters of refused heartbeats (the server counts into these too). */
  readonly rejections: RejectionCounters = new RejectionCounters();
  readonly #selfId: string;
  readonly #boot: number;
  #seq = 0;
  #settings: MembershipSettings;
  #ring: Keyring;
  readonly #table: PeerTable;
  readonly #local: () => LocalState;
  #transport: PeerTransport | null;
  readonly #localIp: string | null;
  #owned: PeerTransport | null = null;
  readonly #clock: Clock;
  readonly #log: Logger;
  #stop: AbortController | null = null;
  #loop: Promise<void> | null = null;
  readonly #rounds = new Set<Promise<void>>();
  readonly #lastAt = new Map<string, number>();
  #graceFromMicros = 0;
  readonly #sendTimeout: number | undefined;
  readonly #onPeerChange: MembershipOptions["onPeerChange"];

  /**
   * @param settings from `config.members`
   * @param options keys, local state source and side effects
   * @throws {RangeError} when a peer address does not parse
   */
  constructor(settings: MembershipSettings, options: MembershipOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child("cluster");
    this.#settings = { ...settings, peers: [...settings.peers] };
    this.#selfId = canonicalNodeId(settings.nodeId, settings.membersPort);
    this.#boot = options.boot ?? Math.floor(this.#clock.now());
    this.#ring = options.keyring;
    this.#local = options.localState;
    this.#sendTimeout = options.sendTimeoutMs;
    this.#onPeerChange = options.onPeerChange;
    this.#transport = options.transport ?? null;
    this.#localIp = options.transport
      ? null
      : parsePeerAddr(this.#selfId, settings.membersPort)?.ip ?? null;
    this.#table = new PeerTable(options.resolver ?? systemResolver, this.#log);
    this.#table.set(settings.peers, settings.membersPort, this.#selfId);
  }

  /** This agent's canonical node id (the `from` of its heartbeats). */
  get nodeId(): string {
    return this.#selfId;
  }

  /** Canonical ids of the configured peers. */
  get peerIds(): string[] {
    return this.#table.ids();
  }

  /** Starts the heartbeat loop; a no-op when running. */
  start(): void {
    if (this.#stop) return;
    this.#stop = new AbortController();
    this.#graceFromMicros = this.#clock.monotonicMicros();
    this.#loop = this.#run(this.#stop.signal);
  }

  /**
   * Stops the loop, aborts sends in flight and waits for all of them.
   * Closes the transport when it was created here.
   */
  async stop(): Promise<void> {
    this.#stop?.abort();
    this.#table.abortAll();
    await this.#loop;
    while (this.#rounds.size > 0) await Promise.allSettled([...this.#rounds]);
    await this.#table.settled();
    this.#stop = null;
    this.#loop = null;
    if (this.#owned) {
      this.#owned.close();
      this.#owned = null;
      this.#transport = null;
    }
  }

  /**
   * Replaces the peer list (reload). Kept peers keep their state.
   * @throws {RangeError} when an address does not parse
   */
  setPeers(peers: readonly string[]): void {
    const hadPeers = this.#table.size > 0;
    this.#settings = { ...this.#settings, peers: [...peers] };
    this.#table.set(peers, this.#settings.membersPort, this.#selfId);
    this.#lastAt.delete("resolve");
    if (!hadPeers) this.#graceFromMicros = this.#clock.monotonicMicros();
  }

  /** Replaces the keys (reload); the next heartbeat uses the new first key. */
  setKeyring(ring: Keyring): void {
    this.#ring = ring;
  }

  /** Changes heartbeat interval and peer timeout (seconds) from the next round. */
  setTiming(heartbeatInterval: number, peerTimeout: number): void {
    this.#settings = { ...this.#settings, heartbeatInterval, peerTimeout };
  }

  /** @inheritdoc */
  async receive(
    frame: Uint8Array,
    from: string,
    remoteIp: string,
    viewFormats?: string,
  ): Promise<Result<Heartbeat, RejectReason>> {
    const r = await acceptHeartbeat(frame, from, remoteIp, {
      table: this.#table,
      ring: this.#ring,
      clock: this.#clock,
      membersPort: this.#settings.membersPort,
    }).catch(() => ({
      ok: false as const,
      error: "bad_encoding" as const,
    }));
    if (r.ok) {
      const slot = this.#table.get(
        canonicalNodeId(r.value.from, this.#settings.membersPort),
      );
      if (slot) slot.readsCompact = readsCompact(viewFormats);
    }
    if (!r.ok) {
      this.rejections.inc(r.error);
      this.#log.debug("heartbeat rejected", {
        reason: r.error,
        from: from.slice(0, 100),
        remote: remoteIp,
      });
    }
    return r;
  }

  /** @returns the votes of live peers, for the write decision. */
  liveViews(): Vote[] {
    const now = this.#clock.monotonicMicros();
    const out: Vote[] = [];
    for (const s of this.#table.slots()) {
      if (!s.last || !this.#isLive(s, now)) continue;
      out.push({
        nodeId: s.addr.id,
        isolated: s.last.isolated,
        writable: s.last.writable,
        hears: s.last.hears,
        acked: s.last.acked,
        backs: s.last.backs,
        view: s.last.view,
      });
    }
    return out;
  }

  /** @returns live peers that said they are writable, sorted (`hears`). */
  hearsWritable(): string[] {
    return this.liveViews().filter((v) => v.writable).map((v) => v.nodeId)
      .sort();
  }

  /** @returns live peers that said they are acknowledged, sorted (`backs`). */
  backsAcked(): string[] {
    return this.liveViews().filter((v) => v.writable && v.acked).map((v) =>
      v.nodeId
    ).sort();
  }

  /** @returns ids of live peers, sorted. */
  liveIds(): string[] {
    return this.liveViews().map((v) => v.nodeId).sort();
  }

  /**
   * Self-isolation input: true when peers are configured, none is live, and
   * either one was live before or `peer_timeout` has passed since start
   * (or since peers were first configured).
   */
  lostAllPeers(): boolean {
    if (!this.#stop || this.#table.size === 0) return false;
    const now = this.#clock.monotonicMicros();
    const slots = this.#table.slots();
    if (slots.some((s) => this.#isLive(s, now))) return false;
    if (slots.some((s) => s.last !== null)) return true;
    return now - this.#graceFromMicros >= this.#timeoutMicros();
  }

  /** @returns one status row per configured peer. */
  peerStatus(): PeerStatus[] {
    const now = this.#clock.monotonicMicros();
    return this.#table.slots().map((s) => s.status(now, this.#isLive(s, now)));
  }

  /**
   * Runs one heartbeat round now and waits for every send to settle.
   * @returns ids of the peers that accepted it
   */
  heartbeatNow(): Promise<string[]> {
    return this.#round(this.#stop?.signal ?? new AbortController().signal);
  }

  /**
   * Waits for sends in flight (they may carry older state), then runs one
   * round with the current state.
   * @returns ids of the peers that accepted it
   */
  async replicateNow(): Promise<string[]> {
    await this.#table.settled();
    return await this.heartbeatNow();
  }

  #timeoutMicros(): number {
    return this.#settings.peerTimeout * 1_000_000;
  }

  #isLive(s: PeerSlot, nowMicros: number): boolean {
    return s.lastSeenMicros !== null &&
      nowMicros - s.lastSeenMicros <= this.#timeoutMicros();
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const round = this.#round(signal).then(() => {}, (e) => {
        this.#log.error("heartbeat round failed", { error: e });
      });
      this.#rounds.add(round);
      round.finally(() => this.#rounds.delete(round));
      await this.#clock.sleep(this.#settings.heartbeatInterval * 1000, signal);
    }
  }

  async #round(signal: AbortSignal): Promise<string[]> {
    this.#maintenance();
    if (this.#table.size === 0 || signal.aborted) return [];
    const state = this.#local();
    const hb: Heartbeat = {
      from: this.#selfId,
      boot: this.#boot,
      seq: ++this.#seq,
      sentAt: Math.floor(this.#clock.now()),
      view: state.view,
      isolated: state.isolated,
      writable: state.writable,
      hears: this.hearsWritable(),
      acked: state.acked ?? false,
      backs: this.backsAcked(),
      snapshots: state.snapshots ?? [],
      drains: state.drains?.length ? state.drains : undefined,
    };
    // Peers that said they read the compact view get it; the others (older
    // agents, or not heard yet) the full one.
    const slots = this.#table.slots();
    let full: Uint8Array | null = null;
    let compact: Uint8Array | null = null;
    try {
      if (slots.some((s) => !s.readsCompact)) {
        full = await sealHeartbeat(hb, this.#ring);
      }
      if (slots.some((s) => s.readsCompact)) {
        compact = await sealHeartbeat(hb, this.#ring, true);
      }
    } catch (e) {
      if (this.#due("seal", WARN_EVERY_MS)) {
        this.#log.error("cannot seal heartbeat", { error: e });
      }
      return [];
    }
    const largest = Math.max(full?.length ?? 0, compact?.length ?? 0);
    if (largest > MAX_BODY_BYTES && this.#due("size", WARN_EVERY_MS)) {
      this.#log.error("heartbeat larger than peers accept", {
        bytes: largest,
        limit: MAX_BODY_BYTES,
        ips: Object.keys(hb.view).length,
        compact: compact !== null && full === null,
      });
    }
    // A peer added or heard meanwhile gets whichever frame exists.
    const frame = (s: PeerSlot) =>
      (s.readsCompact ? compact ?? full : full ?? compact)!;
    const timeout = this.#sendTimeoutMs();
    return await this.#table.sendAll(
      this.#getTransport(),
      frame,
      this.#selfId,
      {
        clock: this.#clock,
        timeoutMs: timeout,
        signal,
      },
    );
  }

  #getTransport(): PeerTransport {
    if (this.#transport) return this.#transport;
    const t = new HttpPeerTransport({
      localAddress: this.#localIp ?? undefined,
    });
    this.#owned = t;
    this.#transport = t;
    return t;
  }

  #sendTimeoutMs(): number {
    return this.#sendTimeout ??
      Math.min(1000, this.#settings.heartbeatInterval * 1000);
  }

  /** @returns true at most once per `everyMs` for `key` (log throttle). */
  #due(key: string, everyMs: number): boolean {
    const now = this.#clock.monotonicMicros() / 1000;
    const last = this.#lastAt.get(key);
    if (last !== undefined && now - last < everyMs) return false;
    this.#lastAt.set(key, now);
    return true;
  }

  #maintenance(): void {
    const ring = this.#ring;
    if (ring.allowPlaintext && this.#due("plaintext", WARN_EVERY_MS)) {
      this.#log.warn(
        "cluster heartbeats are NOT encrypted or authenticated (insecure_plaintext = true); set crypto_key outside a lab",
      );
    }
    if (this.#due("resolve", RESOLVE_EVERY_MS)) this.#table.resolveNames();
    this.#logLiveness();
  }

  /** Logs (and reports) each peer's change between live and lost. */
  #logLiveness(): void {
    const now = this.#clock.monotonicMicros();
    for (const s of this.#table.slots()) {
      const live = this.#isLive(s, now);
      if (live === s.wasLive) continue;
      s.wasLive = live;
      if (live) this.#log.info("peer live", { peer: s.addr.id });
      else {
        this.#log.warn("peer lost", {
          peer: s.addr.id,
          lastSendError: s.status(now, false).lastSendError,
        });
      }
      this.#onPeerChange?.(s.addr.id, live);
    }
  }
}
