/**
 * A scriptable in-memory {@linkcode IcmpSocket} for pinger tests: records
 * sends, answers automatically or on demand, fails sends per target.
 * Times come from the injected clock (µs).
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
  sentMicros: number;
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
  #queue: ReceivedPacket[] = [];
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
  }

  send(ip: string, packet: Uint8Array): SendResult {
    const code = this.failures.get(ip);
    if (code) return { ok: false, code, message: `fake ${code}` };
    const echo: Echo = {
      id: (packet[4]! << 8) | packet[5]!,
      seq: (packet[6]! << 8) | packet[7]!,
      payload: packet.slice(8),
    };
    if (this.kind === "dgram") echo.id = this.#dgramId;
    const sentMicros = this.#clock.monotonicMicros();
    this.sent.push({ ip, echo, sentMicros });
    if (this.autoReplyMicros !== null) {
      this.reply(this.sent.length - 1, { rttMicros: this.autoReplyMicros });
    }
    if (this.#txDelay === null) return { ok: true, sentMicros };
    return { ok: true, sentMicros, token: this.sent.length - 1 };
  }

  transmitMicros(token: number): number | null {
    const s = this.sent[token];
    return s && this.#txDelay !== null ? s.sentMicros + this.#txDelay : null;
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
    this.inject(
      encodeEchoReply(this.family, echo),
      o.source ?? s.ip,
      s.sentMicros + (o.rttMicros ?? 100),
    );
  }

  /**
   * Queues raw bytes as if received (raw IPv4 gets an IP header prepended).
   * @param icmp the ICMP message
   * @param source source address text
   * @param receivedMicros receive stamp
   */
  inject(icmp: Uint8Array, source: string, receivedMicros: number): void {
    let data = icmp;
    if (this.family === 4 && this.kind === "raw") {
      data = new Uint8Array(20 + icmp.length);
      data.set(ipv4Header());
      data.set(icmp, 20);
    }
    this.#queue.push({
      data,
      source: canonicalIp(source) ?? source,
      receivedMicros,
    });
    for (const wake of this.#wakers) wake();
  }

  /** @returns an echo request as a peer pinger would send it. */
  static request(family: 4 | 6, echo: Echo): Uint8Array {
    return encodeEchoRequest(family, echo);
  }

  receive(): ReceivedPacket | null {
    return this.#queue.shift() ?? null;
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#queue.length > 0 || signal?.aborted || this.closed) {
      return Promise.resolve();
    }
    const stop = new AbortController();
    return new Promise<void>((resolve) => {
      const wake = () => stop.abort();
      this.#wakers.add(wake);
      const both = signal
        ? AbortSignal.any([signal, stop.signal])
        : stop.signal;
      this.#clock.sleep(timeoutMs, both).then(() => {
        this.#wakers.delete(wake);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const wake of this.#wakers) wake();
  }
}
