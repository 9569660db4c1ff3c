/**
 * TCP connect prober: a target is up when `ip:port` accepts a connection
 * within the timeout. Yields the same observations as the pinger.
 *
 * The timeout stays fixed (`timing.adaptive` is ignored): a connect's time
 * is not a round trip. A server whose listen queue is full drops the SYN and
 * the kernel sends it again only after its own 1 s initial RTO (RFC 6298
 * §2.1), so a healthy but busy server answers in just over a second; an RTO
 * learnt from quick connects would call that a miss. The time is also taken
 * in JS, after the event loop wakes, not from kernel stamps.
 * @module
 */

import { canonicalIp } from "../net/ip.ts";
import { classifyConnectError, connectErrorCode } from "./connect_errors.ts";
import { SpreadSchedule } from "./schedule.ts";
import type {
  Prober,
  ProberOptions,
  ProbeStats,
  ProbeTiming,
  RouteLookup,
} from "./types.ts";

/** Options of {@linkcode TcpProber}. */
export interface TcpProberOptions extends ProberOptions {
  /** Connects the socket; tests substitute it. @default Deno.connect */
  connect?: (o: Deno.ConnectOptions) => Promise<{ close(): void }>;
  /**
   * Tells a local "no route" from an ICMP unreachable sent by the network
   * (see `connect_errors.ts`); `main.ts` passes the kernel's lookup.
   * @default none: unreachable errors count as local faults, with a warning
   */
  hasRoute?: RouteLookup;
}

/** Probes `ip:port` with a TCP connect per target per interval. */
export class TcpProber implements Prober {
  #port: number;
  #opts: TcpProberOptions;
  #timing: ProbeTiming;
  #schedule: SpreadSchedule<string>;
  #targets = new Set<string>();
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
  #loop: Promise<void> | null = null;
  #inflight = new Set<Promise<void>>();
  /** Confirming probes asked for: monotonic µs they are due, by IP. */
  #retries = new Map<string, number>();
  /** Monotonic µs of the last connect started, by IP. */
  #lastSent = new Map<string, number>();
  #controllers = new Set<AbortController>();
  #warnedNoLookup = false;

  /**
   * @param port TCP port probed on every target
   * @param options clock, logger, observation callback, timing, connect
   */
  constructor(port: number, options: TcpProberOptions) {
    this.#port = port;
    this.#opts = options;
    this.#timing = options.timing ?? { intervalMs: 1000, timeoutMs: 1000 };
    this.#schedule = new SpreadSchedule(this.#timing.intervalMs * 1000);
  }

  /** Replaces the targets. */
  setTargets(ips: string[]): void {
    this.#targets = new Set(ips);
    this.#schedule.setItems(
      [...this.#targets],
      this.#opts.clock.monotonicMicros(),
    );
    this.#kick.abort();
  }

  /** Changes interval and timeout. */
  setTiming(t: ProbeTiming): void {
    this.#timing = { ...t };
    this.#schedule.setInterval(t.intervalMs * 1000);
    this.#kick.abort();
  }

  /** @inheritdoc */
  retry(ip: string): void {
    const retryMs = this.#timing.retryMs;
    if (!retryMs || !this.#running || !this.#targets.has(ip)) return;
    if (this.#retries.has(ip)) return;
    const now = this.#opts.clock.monotonicMicros();
    const last = this.#lastSent.get(ip) ?? -Infinity;
    this.#retries.set(ip, Math.max(now, last + retryMs * 1000));
    this.#kick.abort();
  }

  /** Starts probing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#schedule.start(this.#opts.clock.monotonicMicros());
    this.#loop = this.#run();
  }

  /** Stops probing; aborts connects in flight and waits for them. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    this.#kick.abort();
    for (const ctl of this.#controllers) ctl.abort();
    this.#retries.clear();
    await this.#loop;
    await Promise.all([...this.#inflight]);
  }

  /** @returns a copy of the counters. */
  stats(): ProbeStats {
    return { ...this.#stats };
  }

  /** @inheritdoc */
  probeTimeoutMicros(ip: string): number | null {
    return this.#targets.has(ip) ? this.#timing.timeoutMs * 1000 : null;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const clock = this.#opts.clock;
    while (!signal.aborted) {
      const now = clock.monotonicMicros();
      for (const ip of this.#schedule.takeDue(now)) {
        const p = this.#probe(ip).finally(() => this.#inflight.delete(p));
        this.#inflight.add(p);
      }
      let next = this.#schedule.nextDueMicros();
      for (const [ip, due] of this.#retries) {
        if (due > now) {
          next = Math.min(next, due);
          continue;
        }
        this.#retries.delete(ip);
        const retryMs = this.#timing.retryMs ?? this.#timing.timeoutMs;
        const timeoutMs = Math.min(this.#timing.timeoutMs, retryMs);
        const p = this.#probe(ip, timeoutMs).finally(() =>
          this.#inflight.delete(p)
        );
        this.#inflight.add(p);
      }
      this.#kick = new AbortController();
      const ms = Number.isFinite(next)
        ? Math.max(1, Math.ceil((next - clock.monotonicMicros()) / 1000))
        : 60_000;
      await clock.sleep(ms, this.#kick.signal); // stop() aborts the kick too
    }
  }

  async #probe(
    ip: string,
    timeoutMs = this.#timing.timeoutMs,
  ): Promise<void> {
    const clock = this.#opts.clock;
    const connect = this.#opts.connect ?? Deno.connect;
    const ctl = new AbortController();
    this.#controllers.add(ctl);
    const signal = ctl.signal;
    let timedOut = false;
    const timer = clock.sleep(timeoutMs, signal).then(() => {
      if (signal.aborted) return;
      timedOut = true;
      ctl.abort();
    });
    const started = clock.monotonicMicros();
    this.#lastSent.set(ip, started);
    this.#stats.sent++;
    try {
      const hostname = canonicalIp(ip) ?? ip;
      const conn = await connect({ hostname, port: this.#port, signal });
      conn.close();
      const rtt = clock.monotonicMicros() - started;
      if (timedOut) throw new Error("timed out");
      this.#stats.received++;
      this.#observe({
        ip,
        ok: true,
        rttMicros: Math.round(rtt),
        at: clock.now(),
      });
    } catch (e) {
      if (this.#abort.signal.aborted) return; // stopping: report nothing
      const code = connectErrorCode(e);
      if (!timedOut && this.#fault(ip, code) === "local") {
        this.#stats.localFaults++;
        this.#observe({
          ip,
          ok: false,
          rttMicros: null,
          at: clock.now(),
          fault: "local",
          detail: code,
        });
      } else {
        this.#stats.timeouts++;
        const detail = timedOut ? undefined : code;
        this.#observe({
          ip,
          ok: false,
          rttMicros: null,
          at: clock.now(),
          fault: "timeout",
          ...(detail ? { detail } : {}),
        });
      }
    } finally {
      ctl.abort();
      await timer;
      this.#controllers.delete(ctl);
    }
  }

  #fault(ip: string, code: string): "local" | "target" {
    return classifyConnectError(code, () => {
      const routed = this.#opts.hasRoute?.(ip) ?? null;
      if (routed === null && !this.#warnedNoLookup) {
        this.#warnedNoLookup = true;
        this.#opts.logger.warn(
          "Cannot look up routes: unreachable errors count as local faults " +
            "(an ICMP reject from the network makes the agent suspect itself)",
          { ip, code },
        );
      }
      return routed;
    });
  }

  #observe(o: Parameters<ProberOptions["onObservation"]>[0]): void {
    if (!this.#targets.has(o.ip)) return;
    try {
      this.#opts.onObservation(o);
    } catch (e) {
      this.#opts.logger.error("Observation handler failed", { error: e });
    }
  }
}
