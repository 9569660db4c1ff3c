/**
 * Shared probe types: the observation every prober emits, the `Prober`
 * interface, and the `IcmpSocket` boundary that `ffi/icmp_socket.ts`
 * implements (lib/ never imports ffi/; tests pass fakes).
 * @module
 */

import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";

/** One probe's outcome for one target. */
export interface Observation {
  /** The target exactly as given to `setTargets`. */
  ip: string;
  /** Whether a reply arrived within the timeout. */
  ok: boolean;
  /** Round-trip time in µs when `ok`, else null. */
  rttMicros: number | null;
  /** Wall-clock time (ms since the epoch) the outcome was known. */
  at: number;
  /** Why `ok` is false: no reply in time, or the send failed locally. */
  fault?: "timeout" | "local";
  /** Error code of the failure, e.g. "EHOSTUNREACH", "ECONNREFUSED". */
  detail?: string;
  /** HTTP(S) checks: the response's status code, when one arrived. */
  status?: number;
}

/** Counters since the prober was created. */
export interface ProbeStats {
  /** Probes handed to the kernel (or connects started). */
  sent: number;
  /** Replies matched in time. */
  received: number;
  /** Replies that matched a probe whose timeout had already passed. */
  late: number;
  /** Probes that got no reply in time. */
  timeouts: number;
  /** Probes that failed to send (route, permission, a buffer full for longer than the timeout). */
  localFaults: number;
  /**
   * Sends put off because the socket buffer was full (EAGAIN, ENOBUFS) and
   * retried after the receive queue was drained (ICMP only).
   */
  deferred?: number;
  /**
   * Replies whose wall-clock stamps disagreed with the monotonic time since
   * the send (the clock was stepped); their RTT is the monotonic one.
   */
  clockSteps?: number;
}

/** Probe cadence. */
export interface ProbeTiming {
  /** Milliseconds between two probes of one target. */
  intervalMs: number;
  /**
   * Milliseconds a probe waits for its reply; with `adaptive`, the wait
   * until a target has answered a few times (see `lib/probe/rto.ts`).
   */
  timeoutMs: number;
  /**
   * Each target's timeout follows its RTT (RFC 6298's RTO), clamped to
   * [50 ms, interval]; ICMP only (TCP keeps `timeoutMs`, see `tcp.ts`).
   * @default false
   */
  adaptive?: boolean;
  /**
   * `retry_interval` in ms: how soon {@linkcode Prober.retry} probes again
   * (its timeout is at most this); null or absent: retries are off.
   */
  retryMs?: number | null;
}

/** What every probe kind (ICMP, TCP) implements. */
export interface Prober {
  /** Replaces the target list; takes effect while running. */
  setTargets(ips: string[]): void;
  /** Changes cadence; takes effect from the next probe. */
  setTiming(t: ProbeTiming): void;
  /**
   * Probes `ip` once more, `retryMs` after its last probe was sent (at once
   * when that has passed), besides its regular probes, waiting at most
   * `retryMs` for the reply, or less when its own timeout is shorter (a
   * confirming probe, as Nagios' `retry_interval`). A no-op without
   * `retryMs`, for an unknown IP, or when a retry of it is already pending.
   */
  retry(ip: string): void;
  /**
   * @param ip a target
   * @returns µs the next regular probe of `ip` waits for its reply, or null
   *   for an unknown IP
   */
  probeTimeoutMicros(ip: string): number | null;
  /** Starts probing; a no-op when already running. */
  start(): void;
  /** Stops probing; resolves once every loop and timer has finished. */
  stop(): Promise<void>;
  /** @returns a copy of the counters. */
  stats(): ProbeStats;
}

/**
 * Whether the kernel has a usable route to `ip` (no `unreachable`,
 * `prohibit` or `blackhole` route, a source address exists), found without
 * sending anything.
 * @returns true or false, or null when it cannot tell
 */
export type RouteLookup = (ip: string) => boolean | null;

/** Options shared by every prober constructor. */
export interface ProberOptions {
  /** Time source for scheduling and `Observation.at`. */
  clock: Clock;
  /** Logger (tagged `probe` by the caller or the prober). */
  logger: Logger;
  /** Called once per probe outcome. Must not throw. */
  onObservation(o: Observation): void;
  /** Initial cadence. @default { intervalMs: 1000, timeoutMs: 1000 } */
  timing?: ProbeTiming;
}

/** Result of {@linkcode IcmpSocket.send}. */
export type SendResult =
  | {
    ok: true;
    /** Send time (socket time base, µs), taken just before the send. */
    sentMicros: number;
    /** Key for {@linkcode IcmpSocket.transmitMicros}, when supported. */
    token?: number;
  }
  | { ok: false; code: string; message: string };

/** One datagram read from an {@linkcode IcmpSocket}. */
export interface ReceivedPacket {
  /**
   * Bytes as delivered (raw IPv4 includes the IP header). May be a view of a
   * buffer the socket reuses: valid until the next `receive()`.
   */
  data: Uint8Array;
  /** Source address in canonical text form. */
  source: string;
  /** Receive time in the socket's time base (µs); kernel time when known. */
  receivedMicros: number;
}

/**
 * An ICMP or ICMPv6 socket for one address family. Times (`sentMicros`,
 * `receivedMicros`) share one time base per socket, so only their
 * difference is meaningful.
 */
export interface IcmpSocket {
  /** Address family served. */
  readonly family: 4 | 6;
  /**
   * "raw": the echo id is ours and IPv4 replies carry the IP header.
   * "dgram": unprivileged ping socket; the kernel rewrites the id.
   */
  readonly kind: "raw" | "dgram";
  /**
   * Sends one ICMP message (checksummed for v4) without blocking. The packet
   * is copied before returning, so the caller may reuse its buffer.
   */
  send(ip: string, packet: Uint8Array): SendResult;
  /**
   * Kernel transmit time of a send (same time base as `receivedMicros`),
   * when the socket supports transmit timestamps.
   * @param token the `token` of a successful send
   * @returns µs, or null when unknown
   */
  transmitMicros?(token: number): number | null;
  /** Reads one pending datagram without blocking; null when none is left. */
  receive(): ReceivedPacket | null;
  /**
   * Resolves when data may be readable, after at most about `timeoutMs`, or
   * when `signal` aborts. Never blocks the JS thread.
   * @returns false once the socket is closed (nothing more can come)
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Releases the socket; idempotent. */
  close(): void;
}

/** Sockets for each family the caller could open. */
export interface IcmpSockets {
  v4?: IcmpSocket;
  v6?: IcmpSocket;
}

/** A probing failure the user must fix (permissions, bad target). */
export class ProbeError extends Error {
  /**
   * @param message what failed and what to do
   * @param options `cause` of the failure
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProbeError";
  }
}
