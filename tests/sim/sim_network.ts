/**
 * Agent-to-agent links of the simulator: per ordered pair up or down (so
 * links can be asymmetric), with loss, delay (a late frame arrives at the
 * next step, within one heartbeat interval, and its sender sees a timeout),
 * duplication and so reordering. A frame delivered at once is answered
 * with the receiver's verdict, as the HTTP server answers. Deliveries run
 * one at a time, in the order they were sent, so a run is deterministic.
 * @module
 */
import type { PeerAddr } from "../../lib/cluster/addr.ts";
import type {
  PeerTransport,
  SendOutcome,
} from "../../lib/cluster/transport.ts";
import type { Prng } from "./prng.ts";

/** A receiver of frames (a running agent). */
export interface FrameSink {
  /** @returns whether the frame was accepted; null when nobody listens */
  deliver(frame: Uint8Array, from: string, ip: string): Promise<boolean | null>;
}

/** Link quality, for every link of a run. */
export interface LinkFaults {
  loss: number;
  delay: number;
  duplicate: number;
}

interface Late {
  to: number;
  frame: Uint8Array;
  from: string;
  ip: string;
}

/** All links between the agents of one run. */
export class SimNetwork {
  faults: LinkFaults = { loss: 0, delay: 0, duplicate: 0 };
  readonly #down = new Set<string>();
  readonly #late: Late[] = [];
  readonly #rng: Prng;
  readonly #ids: readonly string[];
  readonly #sinks: (FrameSink | null)[];
  #chain: Promise<unknown> = Promise.resolve();

  /** @param rng draws @param ids node id of each agent, by index */
  constructor(rng: Prng, ids: readonly string[]) {
    this.#rng = rng;
    this.#ids = ids;
    this.#sinks = ids.map(() => null);
  }

  /** Sets who listens at agent `i` (null: stopped, paused). */
  setSink(i: number, sink: FrameSink | null): void {
    this.#sinks[i] = sink;
  }

  /** @returns whether the link from `a` to `b` carries frames. */
  isUp(a: number, b: number): boolean {
    return !this.#down.has(`${a}>${b}`);
  }

  /** Cuts or heals the link from `a` to `b`. */
  setLink(a: number, b: number, up: boolean): void {
    if (up) this.#down.delete(`${a}>${b}`);
    else this.#down.add(`${a}>${b}`);
  }

  /** Heals every link and clears faults. */
  healAll(): void {
    this.#down.clear();
    this.faults = { loss: 0, delay: 0, duplicate: 0 };
  }

  /** @returns agent `i`'s transport. */
  transportFor(i: number): PeerTransport {
    return {
      send: (peer, frame, from) => this.#send(i, peer, frame, from),
      close: () => {},
    };
  }

  /** Delivers the frames that were late (the next step). */
  async flush(): Promise<void> {
    const late = this.#late.splice(0);
    for (const l of late) await this.#serial(l.to, l.frame, l.from, l.ip);
  }

  #send(
    i: number,
    peer: PeerAddr,
    frame: Uint8Array,
    from: string,
  ): Promise<SendOutcome> {
    const to = this.#ids.indexOf(peer.id);
    const timeout: SendOutcome = { ok: false, status: null, error: "timeout" };
    if (to < 0 || !this.isUp(i, to) || this.#rng.chance(this.faults.loss)) {
      return Promise.resolve(timeout);
    }
    const ip = this.#ids[i]!.split(":")[0]!;
    if (this.#rng.chance(this.faults.duplicate)) {
      this.#late.push({ to, frame, from, ip });
    }
    if (this.#rng.chance(this.faults.delay)) {
      this.#late.push({ to, frame, from, ip });
      return Promise.resolve(timeout);
    }
    return this.#serial(to, frame, from, ip).then((ok): SendOutcome =>
      ok === null
        ? { ok: false, status: null, error: "connection refused" }
        : ok
        ? { ok: true, status: 200 }
        : { ok: false, status: 400, error: "HTTP 400" }
    );
  }

  #serial(
    to: number,
    frame: Uint8Array,
    from: string,
    ip: string,
  ): Promise<boolean | null> {
    const run = this.#chain.then(() => {
      const sink = this.#sinks[to];
      return sink ? sink.deliver(frame, from, ip) : null;
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}
