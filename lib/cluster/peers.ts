/**
 * Per-peer bookkeeping for {@linkcode Membership}: address and allowed
 * source IPs, last accepted heartbeat, replay window, send counters.
 * @module
 */

import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import { type HostResolver, parsePeerAddr, type PeerAddr } from "./addr.ts";
import type { PeerTransport, SendOutcome } from "./transport.ts";
import type { Heartbeat } from "./types.ts";

/**
 * After this long without an accepted heartbeat, a peer's `(boot, seq)`
 * record is forgotten, so a peer whose clock stepped back can rejoin.
 * Safe: any replay of an older message would fail the ±30 s `sentAt`
 * check (90 s > 2 × 30 s).
 */
export const REPLAY_FORGET_MS = 90_000;

/** What the status page and metrics show about one peer. */
export interface PeerStatus {
  /** Canonical node id. */
  id: string;
  live: boolean;
  /** Ms since its last valid heartbeat; null when none yet. */
  lastSeenAgoMs: number | null;
  /** Whether its last heartbeat said it suspects itself. */
  isolated: boolean;
  /** IPs its last view holds. */
  viewSize: number;
  /** IPs its last view says are down. */
  viewDown: number;
  sendOk: number;
  sendFailed: number;
  /** Sends skipped because the previous one was still in flight. */
  sendSkipped: number;
  lastSendError: string | null;
  /** Heartbeats accepted from it. */
  accepted: number;
  /** It said it reads the compact view, so it gets it. */
  readsCompact: boolean;
}

/** The abort reason of a send that has settled. */
const SETTLED = new Error("heartbeat send settled");

/** One configured peer. */
export class PeerSlot {
  readonly addr: PeerAddr;
  /** Source IPs accepted for this peer (its IP, or its name's addresses). */
  allowed: Set<string>;
  lastSeenMicros: number | null = null;
  last: Heartbeat | null = null;
  inFlight: AbortController | null = null;
  /** Liveness at the last check, for logging changes. */
  wasLive = false;
  #sendOk = 0;
  #sendFailed = 0;
  #sendSkipped = 0;
  #lastError: string | null = null;
  #accepted = 0;
  /** The peer said it reads the compact view (lib/cluster/compact_view.ts). */
  readsCompact = false;
  /** Monotonic µs of the last "cannot open our key" warning. */
  keyWarnedMicros: number | null = null;

  /** @param addr the parsed configured address */
  constructor(addr: PeerAddr) {
    this.addr = addr;
    this.allowed = new Set(addr.ip ? [addr.ip] : []);
  }

  /** @returns whether `(boot, seq)` is newer than the last accepted. */
  isNewer(boot: number, seq: number, nowMicros: number): boolean {
    const last = this.last;
    if (!last || this.lastSeenMicros === null) return true;
    if (nowMicros - this.lastSeenMicros > REPLAY_FORGET_MS * 1000) return true;
    return boot > last.boot || (boot === last.boot && seq > last.seq);
  }

  /** Records an accepted heartbeat. */
  accept(hb: Heartbeat, nowMicros: number): void {
    this.last = hb;
    this.lastSeenMicros = nowMicros;
    this.#accepted++;
  }

  /** Counts a send outcome. */
  sent(outcome: SendOutcome | "skipped"): void {
    if (outcome === "skipped") this.#sendSkipped++;
    else if (outcome.ok) this.#sendOk++;
    else {
      this.#sendFailed++;
      this.#lastError = outcome.error;
    }
  }

  /** @returns a status row. */
  status(nowMicros: number, live: boolean): PeerStatus {
    const view = this.last?.view ?? {};
    let down = 0;
    for (const e of Object.values(view)) if (e.verdict === "down") down++;
    return {
      id: this.addr.id,
      live,
      lastSeenAgoMs: this.lastSeenMicros === null
        ? null
        : Math.round((nowMicros - this.lastSeenMicros) / 1000),
      isolated: this.last?.isolated ?? false,
      viewSize: Object.keys(view).length,
      viewDown: down,
      sendOk: this.#sendOk,
      sendFailed: this.#sendFailed,
      sendSkipped: this.#sendSkipped,
      lastSendError: this.#lastError,
      accepted: this.#accepted,
      readsCompact: this.readsCompact,
    };
  }
}

/** How {@linkcode PeerTable.sendAll} times and cancels sends. */
export interface SendPolicy {
  clock: Clock;
  timeoutMs: number;
  /** Aborts every send (shutdown). */
  signal: AbortSignal;
}

/** The configured peers, by canonical id. */
export class PeerTable {
  #slots = new Map<string, PeerSlot>();
  #pending = new Set<Promise<unknown>>();
  readonly #resolver: HostResolver;
  readonly #log: Logger;

  /**
   * @param resolver resolves DNS names of peers for the source check
   * @param log cluster logger
   */
  constructor(resolver: HostResolver, log: Logger) {
    this.#resolver = resolver;
    this.#log = log;
  }

  /** Number of peers. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Replaces the peers; kept ones keep their state, `selfId` is skipped.
   * @throws {RangeError} when an address does not parse
   */
  set(peers: readonly string[], defaultPort: number, selfId: string): void {
    const next = new Map<string, PeerSlot>();
    for (const p of peers) {
      const addr = parsePeerAddr(p, defaultPort);
      if (!addr) throw new RangeError(`Bad peer address ${JSON.stringify(p)}`);
      if (addr.id === selfId || next.has(addr.id)) continue;
      next.set(addr.id, this.#slots.get(addr.id) ?? new PeerSlot(addr));
    }
    for (const [id, slot] of this.#slots) {
      if (!next.has(id)) slot.inFlight?.abort();
    }
    this.#slots = next;
  }

  /** @returns the slot of a canonical id. */
  get(id: string): PeerSlot | undefined {
    return this.#slots.get(id);
  }

  /** @returns every slot. */
  slots(): PeerSlot[] {
    return [...this.#slots.values()];
  }

  /** @returns every canonical peer id. */
  ids(): string[] {
    return [...this.#slots.keys()];
  }

  /** Refreshes allowed source IPs of peers named by DNS name. */
  resolveNames(): void {
    for (const slot of this.#slots.values()) {
      if (slot.addr.ip !== null) continue;
      const p = this.#resolver(slot.addr.host).then((ips) => {
        if (ips.length > 0) slot.allowed = new Set(ips);
      }).catch((e) => {
        this.#log.warn("cannot resolve peer", { peer: slot.addr.id, error: e });
      });
      this.#track(p);
    }
  }

  /**
   * Sends a frame to every peer concurrently; resolves when all settle.
   * @param frame the frame, or the frame for each peer
   */
  async sendAll(
    transport: PeerTransport,
    frame: Uint8Array | ((slot: PeerSlot) => Uint8Array),
    from: string,
    policy: SendPolicy,
  ): Promise<string[]> {
    const slots = this.slots();
    const frameOf = typeof frame === "function" ? frame : () => frame;
    const sends = slots.map((s) =>
      this.#track(this.#sendOne(s, transport, frameOf(s), from, policy))
    );
    const ok = await Promise.all(sends);
    return slots.filter((_, i) => ok[i]).map((s) => s.addr.id);
  }

  async #sendOne(
    slot: PeerSlot,
    transport: PeerTransport,
    frame: Uint8Array,
    from: string,
    policy: SendPolicy,
  ): Promise<boolean> {
    if (slot.inFlight) {
      slot.sent("skipped");
      return false;
    }
    if (policy.signal.aborted) return false;
    const ac = new AbortController();
    slot.inFlight = ac;
    const onStop = () => ac.abort();
    policy.signal.addEventListener("abort", onStop, { once: true });
    // Woken by the timeout or by the send settling (then already aborted:
    // abort() builds its AbortError even when it does nothing).
    const timer = policy.clock.sleep(policy.timeoutMs, ac.signal)
      .then(() => ac.signal.aborted || ac.abort());
    let outcome: SendOutcome;
    try {
      outcome = await transport.send(slot.addr, frame, from, ac.signal);
    } catch (e) {
      outcome = { ok: false, status: null, error: String(e) };
    } finally {
      // The send is over: the reason is never read, and a given one spares
      // building an AbortError per heartbeat.
      ac.abort(SETTLED);
      policy.signal.removeEventListener("abort", onStop);
      await timer;
      if (slot.inFlight === ac) slot.inFlight = null;
    }
    slot.sent(outcome);
    if (outcome.status === 401) this.#warnKey(slot, policy.clock);
    if (!outcome.ok) {
      this.#log.debug("heartbeat send failed", {
        peer: slot.addr.id,
        error: outcome.error,
      });
    }
    return outcome.ok;
  }

  /**
   * A 401 means the peer could not open our frame with any key it has: in
   * a rotation, this agent seals with a key the peer does not have yet.
   * Warns at most once a minute per peer.
   */
  #warnKey(slot: PeerSlot, clock: Clock): void {
    const now = clock.monotonicMicros();
    if (
      slot.keyWarnedMicros !== null && now - slot.keyWarnedMicros < 60_000_000
    ) return;
    slot.keyWarnedMicros = now;
    this.#log.warn(
      "peer cannot open this agent's heartbeats: it does not have the key they are sealed with (the first of crypto_keys). To rotate, add the new key second on every agent, then make it first, then drop the old one",
      { peer: slot.addr.id },
    );
  }

  /** Aborts every send in flight. */
  abortAll(): void {
    for (const s of this.#slots.values()) s.inFlight?.abort();
  }

  /** Waits until every tracked send and lookup has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }
}
