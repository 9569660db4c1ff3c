/**
 * A {@linkcode Prober} of HTTP(S) checks: each target is checked with
 * {@linkcode runHttpCheck} every interval, one check at a time per target
 * (a check never outlives its timeout, which is at most the interval's
 * sleep plus the check itself). Checks go through `node:http`/`node:https`
 * (see `http_transport.ts` for why not `fetch`).
 * @module
 */
import type { Clock } from "../observe/clock.ts";
import {
  type HttpCheckOptions,
  type HttpCheckSpec,
  runHttpCheck,
} from "./http_check.ts";
import type {
  Observation,
  Prober,
  ProberOptions,
  ProbeStats,
  ProbeTiming,
} from "./types.ts";

/** Options of {@linkcode HttpProber}: the prober's and the check's. */
export interface HttpProberOptions
  extends ProberOptions, Omit<HttpCheckOptions, "clock"> {}

/** Checks every target over HTTP(S), one loop per target. */
export class HttpProber implements Prober {
  readonly #spec: Omit<HttpCheckSpec, "timeoutMs">;
  readonly #opts: HttpProberOptions;
  readonly #clock: Clock;
  #timing: ProbeTiming;
  #targets: string[] = [];
  #loops = new Map<string, { stop: AbortController; done: Promise<void> }>();
  #running = false;
  #stats: ProbeStats = {
    sent: 0,
    received: 0,
    late: 0,
    timeouts: 0,
    localFaults: 0,
  };

  /**
   * @param spec what each check sends and expects (its timeout is the
   *   timing's `timeoutMs`)
   * @param options clock, logger, observation callback, timing, transport
   */
  constructor(
    spec: Omit<HttpCheckSpec, "timeoutMs">,
    options: HttpProberOptions,
  ) {
    this.#spec = spec;
    this.#opts = options;
    this.#clock = options.clock;
    this.#timing = options.timing ?? { intervalMs: 1000, timeoutMs: 1000 };
  }

  setTargets(ips: string[]): void {
    this.#targets = [...new Set(ips)];
    if (!this.#running) return;
    for (const ip of [...this.#loops.keys()]) {
      if (!this.#targets.includes(ip)) this.#stopLoop(ip);
    }
    for (const ip of this.#targets) {
      if (!this.#loops.has(ip)) this.#startLoop(ip);
    }
  }

  setTiming(t: ProbeTiming): void {
    this.#timing = { ...t };
  }

  /** No confirming probes: HTTP checks keep their regular cadence. */
  retry(_ip: string): void {}

  probeTimeoutMicros(ip: string): number | null {
    return this.#targets.includes(ip) ? this.#timing.timeoutMs * 1000 : null;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const ip of this.#targets) this.#startLoop(ip);
  }

  async stop(): Promise<void> {
    this.#running = false;
    const done = [...this.#loops.keys()].map((ip) => this.#stopLoop(ip));
    await Promise.all(done);
  }

  stats(): ProbeStats {
    return { ...this.#stats };
  }

  #startLoop(ip: string): void {
    const stop = new AbortController();
    const done = (async () => {
      while (!stop.signal.aborted) {
        const started = this.#clock.monotonicMicros();
        const o = await this.#checkOnce(ip);
        if (stop.signal.aborted) break;
        this.#count(o);
        this.#opts.onObservation(o);
        const spent = (this.#clock.monotonicMicros() - started) / 1000;
        await this.#clock.sleep(
          Math.max(0, this.#timing.intervalMs - spent),
          stop.signal,
        );
      }
    })();
    this.#loops.set(ip, { stop, done });
  }

  #stopLoop(ip: string): Promise<void> {
    const loop = this.#loops.get(ip);
    if (!loop) return Promise.resolve();
    this.#loops.delete(ip);
    loop.stop.abort();
    return loop.done;
  }

  #checkOnce(ip: string): Promise<Observation> {
    this.#stats.sent++;
    return runHttpCheck(ip, {
      ...this.#spec,
      timeoutMs: this.#timing.timeoutMs,
    }, {
      clock: this.#clock,
      hasRoute: this.#opts.hasRoute,
      transport: this.#opts.transport,
    });
  }

  #count(o: Observation): void {
    if (o.ok) this.#stats.received++;
    else if (o.fault === "local") this.#stats.localFaults++;
    else this.#stats.timeouts++;
  }
}
