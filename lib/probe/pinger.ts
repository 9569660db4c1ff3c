/**
 * The ICMP prober: one socket per family shared by all targets, sends spread
 * over the interval, replies matched by (id, seq, source) plus a cookie and a
 * 32-bit probe number in the payload. With `adaptive` timing each target
 * waits its own RTO (`rto.ts`), fed by every reply, late ones included.
 * @module
 */

import { canonicalIp, parseIp } from "../net/ip.ts";
import { InflightTable } from "./inflight.ts";
import { ProbeCodec } from "./probe_codec.ts";
import { type RtoBounds, rtoBounds, RtoEstimator } from "./rto.ts";
import { SpreadSchedule } from "./schedule.ts";
import type {
  IcmpSocket,
  IcmpSockets,
  Observation,
  Prober,
  ProberOptions,
  ProbeStats,
  ProbeTiming,
} from "./types.ts";

/** Options of {@linkcode Pinger}. */
export interface PingerOptions extends ProberOptions {
  /** Echo identifier (raw sockets). @default random 16-bit */
  identifier?: number;
  /** Payload bytes (≥ 8: cookie and probe number). @default 16 */
  payloadBytes?: number;
  /**
   * Longest wait for replies in one call (sockets end it early on stop, so
   * an idle socket need not wake before a reply comes). @default 60000
   */
  pollMs?: number;
  /**
   * Shortest sleep of the send loop: sends due within it go out together,
   * which bounds wake-ups (and CPU: at 750 targets × 1 s, 20 ms costs about
   * a third less per probe than 5 ms). A send or a timeout is then seen up
   * to this late; outcomes do not change (RTTs come from kernel stamps, and
   * queued replies are read before a probe expires). @default 20
   */
  sendQuantumMs?: number;
  /**
   * After the socket wakes, wait this long before reading, so replies that
   * arrive close together are read in one wake-up (RTTs come from kernel
   * stamps and the send loop reads every queued reply before it expires a
   * probe, so waiting changes no outcome). Only while replies come close
   * together (one was read within the last two quanta): after a quiet spell
   * a reply is read at once, one wake-up instead of two. @default 5
   */
  receiveQuantumMs?: number;
  /** Spread sends over the interval; false sends each round as one burst. @default true */
  spread?: boolean;
  /** Random source for the identifier, cookie and first probe number. @default Math.random */
  random?: () => number;
}

interface Target {
  ip: string;
  key: string;
  family: 4 | 6 | null;
  removed: boolean;
  /** Monotonic µs of the last probe sent to it (either lane). */
  lastSent: number;
  /** Its RTT estimate, fed whether or not the timing is adaptive. */
  rto: RtoEstimator;
}

/** Largest number of replies read in one wake. */
const DRAIN_LIMIT = 65_536;

/**
 * Send errors that mean "the socket buffer is full right now": the probe
 * is retried once replies are drained, not counted against the host.
 */
const BACKPRESSURE = new Set(["EAGAIN", "EWOULDBLOCK", "ENOBUFS"]);

/**
 * How far a wall-clock RTT may exceed the monotonic time since the send
 * (two clocks read at slightly different moments) before the wall clock is
 * taken to have stepped.
 */
const CLOCK_SLACK_MICROS = 2_000;

/**
 * One numbering of probes: regular probes and confirming retries each have
 * their own cookie, probe numbers and in-flight table, so each table's
 * deadlines stay in send order (retries wait less than regular probes).
 */
interface Lane {
  codec: ProbeCodec;
  inflight: InflightTable<Target>;
  next: number;
}

/** ICMP echo prober implementing {@linkcode Prober}. */
export class Pinger implements Prober {
  #sockets: IcmpSockets;
  #opts: PingerOptions;
  #timing: ProbeTiming;
  #bounds: RtoBounds;
  #regular: Lane;
  #retry: Lane;
  #schedule: SpreadSchedule<Target>;
  #targets = new Map<string, Target>();
  /** Confirming probes asked for, by target: monotonic µs they are due. */
  #retries = new Map<Target, number>();
  #stats: ProbeStats = {
    sent: 0,
    received: 0,
    late: 0,
    timeouts: 0,
    localFaults: 0,
    deferred: 0,
    clockSteps: 0,
  };
  /** Targets whose send met a full buffer, with the monotonic µs of the first try. */
  #backlog = new Map<Target, number>();
  #running = false;
  #abort = new AbortController();
  #kick = new AbortController();
  #loops: Promise<void>[] = [];

  /**
   * @param sockets the ICMP sockets to use (the caller closes them after stop())
   * @param options clock, logger, observation callback, timing and tuning
   */
  constructor(sockets: IcmpSockets, options: PingerOptions) {
    this.#sockets = sockets;
    this.#opts = options;
    this.#timing = options.timing ?? { intervalMs: 1000, timeoutMs: 1000 };
    this.#bounds = rtoBounds(this.#timing.intervalMs, this.#timing.timeoutMs);
    const random = options.random ?? Math.random;
    const id = options.identifier ?? Math.floor(random() * 0x10000);
    const cookie = Math.floor(random() * 0x1_0000_0000);
    const lane = (c: number): Lane => ({
      codec: new ProbeCodec(id, c, options.payloadBytes ?? 16),
      inflight: new InflightTable<Target>(),
      next: Math.floor(random() * 0x1_0000_0000) >>> 0,
    });
    this.#regular = lane(cookie);
    this.#retry = lane((cookie ^ 0x9e37_79b9) >>> 0);
    this.#schedule = new SpreadSchedule(
      this.#timing.intervalMs * 1000,
      options.spread ?? true,
    );
  }

  /** Replaces the targets; probes in flight for removed ones are dropped. */
  setTargets(ips: string[]): void {
    const next = new Map<string, Target>();
    for (const ip of ips) {
      if (next.has(ip)) continue;
      const old = this.#targets.get(ip);
      if (old) {
        next.set(ip, old);
        continue;
      }
      const parsed = parseIp(ip);
      if (!parsed) this.#opts.logger.warn("Not an IP address", { ip });
      const key = canonicalIp(ip) ?? ip;
      next.set(ip, {
        ip,
        key,
        family: parsed?.family ?? null,
        removed: false,
        lastSent: -Infinity,
        rto: new RtoEstimator(),
      });
    }
    for (const [ip, t] of this.#targets) if (!next.has(ip)) t.removed = true;
    this.#targets = next;
    this.#schedule.setItems([...next.values()], this.#now());
    this.#wake();
  }

  /** Changes interval and timeout; the timeout applies to new probes. */
  setTiming(t: ProbeTiming): void {
    this.#timing = { ...t };
    this.#bounds = rtoBounds(t.intervalMs, t.timeoutMs);
    this.#schedule.setInterval(t.intervalMs * 1000);
    this.#wake();
  }

  /** @inheritdoc */
  retry(ip: string): void {
    const retryMs = this.#timing.retryMs;
    const target = this.#targets.get(ip);
    if (!retryMs || !target || !this.#running || this.#retries.has(target)) {
      return;
    }
    // Confirming probes go out retry_interval apart (send to send), or at
    // once when the miss took longer than that to be known.
    const due = Math.max(this.#now(), target.lastSent + retryMs * 1000);
    this.#retries.set(target, due);
    this.#wake();
  }

  /** Starts the send loop and one receive loop per socket. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#schedule.start(this.#now());
    this.#loops = [this.#sendLoop()];
    for (const socket of [this.#sockets.v4, this.#sockets.v6]) {
      if (socket) this.#loops.push(this.#receiveLoop(socket));
    }
  }

  /** Stops every loop; resolves when all have returned. Sockets stay open. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    this.#kick.abort();
    await Promise.all(this.#loops);
    this.#loops = [];
    this.#regular.inflight.clear();
    this.#retry.inflight.clear();
    this.#backlog.clear();
    this.#retries.clear();
  }

  /** @returns a copy of the counters. */
  stats(): ProbeStats {
    return { ...this.#stats };
  }

  /** @inheritdoc */
  probeTimeoutMicros(ip: string): number | null {
    const target = this.#targets.get(ip);
    return target ? this.#timeoutMicros(target, this.#regular) : null;
  }

  #now(): number {
    return this.#opts.clock.monotonicMicros();
  }

  #wake(): void {
    this.#kick.abort();
  }

  #emit(o: Observation): void {
    try {
      this.#opts.onObservation(o);
    } catch (e) {
      this.#opts.logger.error("Observation handler failed", { error: e });
    }
  }

  async #sendLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const now = this.#now();
      if (this.#nextDeadline() <= now) {
        // Replies already queued in the kernel were in time: read them first.
        if (this.#sockets.v4) this.#drain(this.#sockets.v4);
        if (this.#sockets.v6) this.#drain(this.#sockets.v6);
      }
      this.#expire(now);
      this.#retryBacklog();
      for (const target of this.#schedule.takeDue(now)) {
        if (!this.#backlog.has(target)) this.#send(target, now);
      }
      let nextRetry = Infinity;
      for (const [target, due] of this.#retries) {
        if (due > now) {
          nextRetry = Math.min(nextRetry, due);
          continue;
        }
        this.#retries.delete(target);
        if (!target.removed) this.#send(target, now, this.#retry);
      }
      const quantum = (this.#opts.sendQuantumMs ?? 20) * 1000;
      const next = Math.min(
        this.#schedule.nextDueMicros(),
        this.#nextDeadline(),
        nextRetry,
        this.#backlog.size > 0 ? now + quantum : Infinity,
      );
      if (next <= this.#now()) continue;
      this.#kick = new AbortController();
      const ms = Number.isFinite(next)
        ? Math.max(
          this.#opts.sendQuantumMs ?? 20,
          Math.ceil((next - this.#now()) / 1000),
        )
        : 60_000;
      // stop() aborts the kick too; no AbortSignal.any per wake (it leaks).
      await this.#opts.clock.sleep(ms, this.#kick.signal);
    }
  }

  #nextDeadline(): number {
    return Math.min(
      this.#regular.inflight.nextDeadline(),
      this.#retry.inflight.nextDeadline(),
    );
  }

  /**
   * Retries sends put off by a full buffer, in order, after draining the
   * replies that filled it; stops at the first that is still refused. One
   * refused for longer than the probe timeout is a local fault.
   */
  #retryBacklog(): void {
    if (this.#backlog.size === 0) return;
    if (this.#sockets.v4) this.#drain(this.#sockets.v4);
    if (this.#sockets.v6) this.#drain(this.#sockets.v6);
    for (const [target, since] of this.#backlog) {
      if (target.removed) {
        this.#backlog.delete(target);
        continue;
      }
      this.#backlog.delete(target);
      if (!this.#send(target, since)) break;
    }
  }

  /**
   * Sends one probe.
   * @param target the target
   * @param since monotonic µs of the first try (a retried send keeps it)
   * @param lane regular probes, or confirming retries (which wait at most
   *   `retry_interval` and are dropped, not put off, on a full buffer)
   * @returns false when the buffer was full and the send was put off
   */
  #send(target: Target, since: number, lane = this.#regular): boolean {
    const socket = target.family === 4
      ? this.#sockets.v4
      : target.family === 6
      ? this.#sockets.v6
      : undefined;
    if (!socket) {
      this.#localFault(
        target,
        target.family ? "EAFNOSUPPORT" : "EINVAL",
        target.family ? `no IPv${target.family} socket` : "not an IP address",
      );
      return true;
    }
    const probe = lane.next; // only consumed when the send succeeds
    const packet = lane.codec.encode(socket.family, probe);
    const result = socket.send(target.key, packet);
    if (!result.ok) {
      const waited = this.#now() - since;
      if (lane === this.#retry && BACKPRESSURE.has(result.code)) {
        this.#stats.deferred!++;
        return true;
      }
      if (
        BACKPRESSURE.has(result.code) &&
        waited < this.#timing.timeoutMs * 1000
      ) {
        this.#stats.deferred!++;
        this.#backlog.set(target, since);
        return false;
      }
      this.#localFault(target, result.code, result.message);
      return true;
    }
    this.#stats.sent++;
    lane.next = (probe + 1) >>> 0;
    const sentMono = this.#now();
    target.lastSent = sentMono;
    lane.inflight.add(
      probe,
      target,
      result.sentMicros,
      sentMono + this.#timeoutMicros(target, lane),
      result.token ?? -1,
      sentMono,
    );
    return true;
  }

  #localFault(target: Target, code: string, message: string): void {
    this.#stats.localFaults++;
    this.#opts.logger.debug("Probe send failed", {
      ip: target.ip,
      code,
      error: message,
    });
    this.#emit({
      ip: target.ip,
      ok: false,
      rttMicros: null,
      at: this.#opts.clock.now(),
      fault: "local",
      detail: code,
    });
  }

  #expire(now: number): void {
    for (const lane of [this.#regular, this.#retry]) {
      lane.inflight.expire(now, (e) => this.#timeout(e.target!));
    }
  }

  /**
   * @returns µs a probe of `target` on `lane` waits: its RTO when adaptive,
   *   else the fixed timeout; at most `retry_interval` for retries
   */
  #timeoutMicros(target: Target, lane: Lane): number {
    const t = this.#timing;
    const own = t.adaptive
      ? target.rto.timeoutMicros(this.#bounds)
      : t.timeoutMs * 1000;
    return lane === this.#retry && t.retryMs
      ? Math.min(own, t.retryMs * 1000)
      : own;
  }

  #timeout(target: Target): void {
    this.#stats.timeouts++;
    target.rto.miss();
    if (target.removed) return;
    this.#emit({
      ip: target.ip,
      ok: false,
      rttMicros: null,
      at: this.#opts.clock.now(),
      fault: "timeout",
    });
  }

  async #receiveLoop(socket: IcmpSocket): Promise<void> {
    const signal = this.#abort.signal;
    const pollMs = this.#opts.pollMs ?? 60_000;
    const quantum = this.#opts.receiveQuantumMs ?? 5;
    let lastRead = -Infinity;
    while (!signal.aborted) {
      // A socket closed under a running pinger: nothing more to read, and
      // looping on a wait that returns at once would starve the timers.
      if (!(await socket.wait(pollMs, signal))) return;
      const busy = this.#now() - lastRead < 2 * quantum * 1000;
      if (busy && quantum > 0 && !signal.aborted) {
        await this.#opts.clock.sleep(quantum, signal);
      }
      if (this.#drain(socket) > 0) lastRead = this.#now();
    }
  }

  /** Reads every queued reply (up to a limit); @returns how many. */
  #drain(socket: IcmpSocket): number {
    let read = 0;
    for (; read < DRAIN_LIMIT; read++) {
      const p = socket.receive();
      if (!p) break;
      this.#onPacket(socket, p.data, p.source, p.receivedMicros);
    }
    return read;
  }

  #onPacket(
    socket: IcmpSocket,
    data: Uint8Array,
    source: string,
    receivedMicros: number,
  ): void {
    let lane = this.#regular;
    let probe = lane.codec.decode(socket, data);
    if (probe === null) {
      lane = this.#retry;
      probe = lane.codec.decode(socket, data);
    }
    if (probe === null) return;
    const taken = lane.inflight.take(probe, (e) => e.target?.key === source);
    if (taken.kind === "unknown") return;
    const { target, sentMicros, token, sentMono, deadline } = taken.entry;
    if (!target) return;
    // Prefer the kernel's transmit time when it is plausible.
    const tx = token >= 0 ? socket.transmitMicros?.(token) ?? null : null;
    const sent = tx !== null && tx >= sentMicros && tx <= receivedMicros
      ? tx
      : sentMicros;
    let rtt = receivedMicros - sent;
    // The stamps are wall-clock times: a step of the clock between send and
    // reply shows as a negative or an impossibly long RTT. The monotonic
    // time since the send bounds the true RTT from above; use it instead.
    const elapsed = this.#now() - sentMono;
    if (rtt < 0 || rtt > elapsed + CLOCK_SLACK_MICROS) {
      this.#stats.clockSteps!++;
      rtt = elapsed;
    }
    if (taken.kind === "late") {
      // Already a miss; its RTT still says how long this path takes.
      this.#stats.late++;
      return target.rto.sample(rtt);
    }
    if (rtt > deadline - sentMono) {
      // Read in time but slower than its own timeout: a miss, and a sample.
      this.#stats.late++;
      this.#timeout(target);
      return target.rto.sample(rtt);
    }
    target.rto.sample(rtt);
    this.#stats.received++;
    if (target.removed) return;
    this.#emit({
      ip: target.ip,
      ok: true,
      rttMicros: Math.round(rtt),
      at: this.#opts.clock.now(),
    });
  }
}
