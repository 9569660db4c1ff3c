/**
 * The ICMP prober: one socket per family shared by all targets, sends spread
 * over the interval, replies matched by (id, seq, source) plus a cookie and a
 * 32-bit probe number in the payload.
 * @module
 */

import { decodeEchoReply, encodeEchoRequest } from "./icmp_packet.ts";
import { canonicalIp, parseIp } from "./ip_addr.ts";
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
  /** Milliseconds one `poll()` may block; bounds how fast stop() returns. @default 10 */
  pollMs?: number;
  /** Random source for the identifier, cookie and first probe number. @default Math.random */
  random?: () => number;
}

interface Target {
  ip: string;
  key: string;
  family: 4 | 6 | null;
  removed: boolean;
}

interface Pending {
  target: Target;
  probe: number;
  sentMicros: number;
  deadline: number;
}

/** How long the number of an expired probe is remembered to count it late. */
const LATE_WINDOW_MICROS = 60_000_000;
/** Largest number of replies read in one wake. */
const DRAIN_LIMIT = 65_536;

/** ICMP echo prober implementing {@linkcode Prober}. */
export class Pinger implements Prober {
  #sockets: IcmpSockets;
  #opts: PingerOptions;
  #timing: ProbeTiming;
  #id: number;
  #cookie: number;
  #nextProbe: number;
  #payloadBytes: number;
  #schedule: SpreadSchedule<Target>;
  #targets = new Map<string, Target>();
  #pending = new Map<number, Pending>();
  #queue: Pending[] = [];
  #queueHead = 0;
  #expired = new Map<number, number>();
  #stats: ProbeStats = {
    sent: 0,
    received: 0,
    late: 0,
    timeouts: 0,
    localFaults: 0,
  };
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
    const random = options.random ?? Math.random;
    this.#id = options.identifier ?? Math.floor(random() * 0x10000);
    this.#cookie = Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.#nextProbe = Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.#payloadBytes = Math.max(8, options.payloadBytes ?? 16);
    this.#schedule = new SpreadSchedule(this.#timing.intervalMs * 1000);
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
      next.set(ip, { ip, key, family: parsed?.family ?? null, removed: false });
    }
    for (const [ip, t] of this.#targets) if (!next.has(ip)) t.removed = true;
    this.#targets = next;
    this.#schedule.setItems([...next.values()], this.#now());
    this.#wake();
  }

  /** Changes interval and timeout; the timeout applies to new probes. */
  setTiming(t: ProbeTiming): void {
    this.#timing = { ...t };
    this.#schedule.setInterval(t.intervalMs * 1000);
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
    this.#pending.clear();
    this.#queue = [];
    this.#queueHead = 0;
  }

  /** @returns a copy of the counters. */
  stats(): ProbeStats {
    return { ...this.#stats };
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
      for (const target of this.#schedule.takeDue(now)) this.#send(target);
      const next = Math.min(
        this.#schedule.nextDueMicros(),
        this.#nextDeadline(),
      );
      if (next <= this.#now()) continue;
      this.#kick = new AbortController();
      const ms = Number.isFinite(next)
        ? Math.max(1, Math.ceil((next - this.#now()) / 1000))
        : 60_000;
      await this.#opts.clock.sleep(
        ms,
        AbortSignal.any([signal, this.#kick.signal]),
      );
    }
  }

  #nextDeadline(): number {
    const head = this.#queue[this.#queueHead];
    return head ? head.deadline : Infinity;
  }

  #send(target: Target): void {
    const socket = target.family === 4
      ? this.#sockets.v4
      : target.family === 6
      ? this.#sockets.v6
      : undefined;
    if (!socket) {
      return this.#localFault(
        target,
        target.family ? "EAFNOSUPPORT" : "EINVAL",
        target.family ? `no IPv${target.family} socket` : "not an IP address",
      );
    }
    const probe = this.#nextProbe;
    this.#nextProbe = (probe + 1) >>> 0;
    const payload = new Uint8Array(this.#payloadBytes);
    const view = new DataView(payload.buffer);
    view.setUint32(0, this.#cookie);
    view.setUint32(4, probe);
    const packet = encodeEchoRequest(socket.family, {
      id: this.#id,
      seq: probe & 0xffff,
      payload,
    });
    const result = socket.send(target.key, packet);
    if (!result.ok) {
      return this.#localFault(target, result.code, result.message);
    }
    this.#stats.sent++;
    const pending: Pending = {
      target,
      probe,
      sentMicros: result.sentMicros,
      deadline: this.#now() + this.#timing.timeoutMs * 1000,
    };
    this.#pending.set(probe, pending);
    this.#queue.push(pending);
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
    const q = this.#queue;
    while (this.#queueHead < q.length) {
      const p = q[this.#queueHead]!;
      if (p.deadline > now) break;
      this.#queueHead++;
      if (this.#pending.get(p.probe) !== p) continue;
      this.#pending.delete(p.probe);
      this.#expired.set(p.probe, now + LATE_WINDOW_MICROS);
      this.#timeout(p);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > q.length) {
      this.#queue = q.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (this.#expired.size > 0) this.#pruneExpired(now);
  }

  #pruneExpired(now: number): void {
    for (const [probe, until] of this.#expired) {
      if (until > now && this.#expired.size <= 1_000_000) break;
      this.#expired.delete(probe);
    }
  }

  #timeout(p: Pending): void {
    this.#stats.timeouts++;
    if (p.target.removed) return;
    this.#emit({
      ip: p.target.ip,
      ok: false,
      rttMicros: null,
      at: this.#opts.clock.now(),
      fault: "timeout",
    });
  }

  async #receiveLoop(socket: IcmpSocket): Promise<void> {
    const signal = this.#abort.signal;
    const pollMs = this.#opts.pollMs ?? 10;
    while (!signal.aborted) {
      await socket.wait(pollMs, signal);
      this.#drain(socket);
    }
  }

  #drain(socket: IcmpSocket): void {
    for (let i = 0; i < DRAIN_LIMIT; i++) {
      const p = socket.receive();
      if (!p) break;
      this.#onPacket(socket, p.data, p.source, p.receivedMicros);
    }
  }

  #onPacket(
    socket: IcmpSocket,
    data: Uint8Array,
    source: string,
    receivedMicros: number,
  ): void {
    const decoded = decodeEchoReply(data, {
      family: socket.family,
      ipHeader: socket.family === 4 && socket.kind === "raw",
    });
    if (!decoded.ok) return;
    const { id, seq, payload } = decoded.value;
    if (socket.kind === "raw" && id !== this.#id) return;
    if (payload.length < 8) return;
    const view = new DataView(payload.buffer, payload.byteOffset, 8);
    if (view.getUint32(0) !== this.#cookie) return;
    const probe = view.getUint32(4);
    if ((probe & 0xffff) !== seq) return;
    const p = this.#pending.get(probe);
    if (!p) {
      if (this.#expired.delete(probe)) this.#stats.late++;
      return;
    }
    if (p.target.key !== source) return;
    this.#pending.delete(probe);
    const rtt = Math.max(0, receivedMicros - p.sentMicros);
    if (rtt > this.#timing.timeoutMs * 1000) {
      this.#stats.late++;
      return this.#timeout(p);
    }
    this.#stats.received++;
    if (p.target.removed) return;
    this.#emit({
      ip: p.target.ip,
      ok: true,
      rttMicros: Math.round(rtt),
      at: this.#opts.clock.now(),
    });
  }
}
