/**
 * A scriptable in-memory {@linkcode IcmpSocket} for pinger tests: records
 * sends, answers automatically or on demand, fails sends per target or for
 * a burst (a full buffer: EAGAIN, ENOBUFS).
 *
 * Like the real socket (ffi/icmp_socket.ts), send and receive stamps are
 * wall-clock times (CLOCK_REALTIME): the injected clock's monotonic time
 * plus an offset that {@linkcode FakeIcmpSocket.stepWallClock} can step. A
 * packet is delivered only once the clock reaches its arrival, and a
 * kernel transmit stamp can be reported late (it comes on the error queue).
 * @module
 */

import type { Clock } from "../../lib/observe/clock.ts";
import {
  type Echo,
  encodeEchoReply,
  encodeEchoRequest,
} from "../../lib/probe/icmp_packet.ts";
import { canonicalIp } from "../../lib/net/ip.ts";
import type {
  IcmpSocket,
  ReceivedPacket,
  SendResult,
} from "../../lib/probe/types.ts";

/** One recorded send. */
export interface SentProbe {
  ip: string;
  echo: Echo;
  /** Wall-clock send stamp, as the socket reports it. */
  sentMicros: number;
  /** Monotonic µs of the send. */
  sentMono: number;
}

interface Queued {
  data: Uint8Array;
  source: string;
  /** Monotonic µs at which the packet is in the socket's queue. */
  arrivesMono: number;
}

/** Options of {@linkcode FakeIcmpSocket}. */
export interface FakeIcmpSocketOptions {
  family: 4 | 6;
  /** @default "raw" */
  kind?: "raw" | "dgram";
  /** Answer every send at once with this RTT (µs); null = never. @default null */
  autoReplyMicros?: number | null;
  /**
   * Report kernel transmit times this many µs after the send time;
   * null = the socket has no transmit timestamps. @default null
   */
  txDelayMicros?: number | null;
  /** Id the kernel writes into replies of a "dgram" socket. @default 0xbeef */
  dgramId?: number;
  /**
   * A transmit stamp can be read only this many µs after the send (the
   * real one arrives later on the error queue). @default 0
   */
  txReportAfterMicros?: number;
}

function ipv4Header(): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  h[8] = 64;
  h[9] = 1;
  return h;
}

/** In-memory ICMP socket. */
export class FakeIcmpSocket implements IcmpSocket {
  readonly family: 4 | 6;
  readonly kind: "raw" | "dgram";
  /** Every successful send, in order. */
  readonly sent: SentProbe[] = [];
  /** Send failures by target: ip → errno name. */
  readonly failures = new Map<string, string>();
  /** Answer every send with this RTT (µs); null = only by `reply`. */
  autoReplyMicros: number | null;
  #clock: Clock;
  #queue: Queued[] = [];
  #wallOffset = 0;
  #busy: { left: number; code: string } | null = null;
  #txReportAfter: number;
  #wakers = new Set<() => void>();
  #dgramId: number;
  #txDelay: number | null;
  /** Set by close(). */
  closed = false;

  /**
   * @param clock time source for send and receive stamps
   * @param options family, kind, auto-reply
   */
  constructor(clock: Clock, options: FakeIcmpSocketOptions) {
    this.#clock = clock;
    this.family = options.family;
    this.kind = options.kind ?? "raw";
    this.autoReplyMicros = options.autoReplyMicros ?? null;
    this.#dgramId = options.dgramId ?? 0xbeef;
    this.#txDelay = options.txDelayMicros ?? null;
    this.#txReportAfter = options.txReportAfterMicros ?? 0;
  }

  /** Steps the wall clock (as NTP or an operator would) by `micros`. */
  stepWallClock(micros: number): void {
    this.#wallOffset += micros;
  }

  /** The next `sends` sends fail with `code` (a full buffer). */
  busy(sends: number, code = "ENOBUFS"): void {
    this.#busy = { left: sends, code };
  }

  #wall(mono: number): number {
    return mono + this.#wallOffset;
  }

  send(ip: string, packet: Uint8Array): SendResult {
    if (this.#busy && this.#busy.left > 0) {
      this.#busy.left--;
      return { ok: false, code: this.#busy.code, message: "fake full buffer" };
    }
    const code = this.failures.get(ip);
    if (code) return { ok: false, code, message: `fake ${code}` };
    const echo: Echo = {
      id: (packet[4]! << 8) | packet[5]!,
      seq: (packet[6]! << 8) | packet[7]!,
      payload: packet.slice(8),
    };
    if (this.kind === "dgram") echo.id = this.#dgramId;
    const sentMono = this.#clock.monotonicMicros();
    const sentMicros = this.#wall(sentMono);
    this.sent.push({ ip, echo, sentMicros, sentMono });
    if (this.autoReplyMicros !== null) {
      this.reply(this.sent.length - 1, { rttMicros: this.autoReplyMicros });
    }
    if (this.#txDelay === null) return { ok: true, sentMicros };
    return { ok: true, sentMicros, token: this.sent.length - 1 };
  }

  transmitMicros(token: number): number | null {
    const s = this.sent[token];
    if (!s || this.#txDelay === null) return null;
    if (this.#clock.monotonicMicros() < s.sentMono + this.#txReportAfter) {
      return null;
    }
    return s.sentMicros + this.#txDelay;
  }

  /**
   * Queues the reply to a recorded send.
   * @param index position in `sent`
   * @param o RTT stamped on the reply, a different source, or other echo fields
   */
  reply(
    index: number,
    o: { rttMicros?: number; source?: string; echo?: Partial<Echo> } = {},
  ): void {
    const s = this.sent[index];
    if (!s) throw new Error(`no send #${index}`);
    const echo = { ...s.echo, ...o.echo };
    this.#enqueue(
      encodeEchoReply(this.family, echo),
      o.source ?? s.ip,
      s.sentMono + (o.rttMicros ?? 100),
    );
  }

  /**
   * Queues raw bytes as if received (raw IPv4 gets an IP header prepended).
   * @param icmp the ICMP message
   * @param source source address text
   * @param receivedMicros wall-clock receive stamp (delivered once reached)
   */
  inject(icmp: Uint8Array, source: string, receivedMicros: number): void {
    this.#enqueue(icmp, source, receivedMicros - this.#wallOffset);
  }

  #enqueue(icmp: Uint8Array, source: string, arrivesMono: number): void {
    let data = icmp;
    if (this.family === 4 && this.kind === "raw") {
      data = new Uint8Array(20 + icmp.length);
      data.set(ipv4Header());
      data.set(icmp, 20);
    }
    const q = { data, source: canonicalIp(source) ?? source, arrivesMono };
    const at = this.#queue.findIndex((x) => x.arrivesMono > arrivesMono);
    this.#queue.splice(at < 0 ? this.#queue.length : at, 0, q);
    for (const wake of this.#wakers) wake();
  }

  /** @returns an echo request as a peer pinger would send it. */
  static request(family: 4 | 6, echo: Echo): Uint8Array {
    return encodeEchoRequest(family, echo);
  }

  /** @returns µs until the first queued packet arrives (≤ 0: it has). */
  #untilArrival(): number {
    const head = this.#queue[0];
    return head ? head.arrivesMono - this.#clock.monotonicMicros() : Infinity;
  }

  receive(): ReceivedPacket | null {
    if (this.#untilArrival() > 0) return null;
    const q = this.#queue.shift()!;
    // Stamped with the wall clock of the moment it arrived.
    return {
      data: q.data,
      source: q.source,
      receivedMicros: this.#wall(q.arrivesMono),
    };
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const until = this.#untilArrival();
    if (until <= 0 || signal?.aborted || this.closed) {
      return Promise.resolve(!this.closed);
    }
    timeoutMs = Math.min(timeoutMs, Math.ceil(until / 1000));
    const stop = new AbortController();
    return new Promise<boolean>((resolve) => {
      const wake = () => stop.abort();
      this.#wakers.add(wake);
      const both = signal
        ? AbortSignal.any([signal, stop.signal])
        : stop.signal;
      this.#clock.sleep(timeoutMs, both).then(() => {
        this.#wakers.delete(wake);
        resolve(!this.closed);
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const wake of this.#wakers) wake();
  }
}
