/**
 * Shared set-up for pinger tests: a Pinger over two fake sockets on a
 * manual clock.
 * @module
 */
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { Pinger, type PingerOptions } from "../../lib/probe/pinger.ts";
import type { Observation } from "../../lib/probe/types.ts";
import {
  FakeIcmpSocket,
  type FakeIcmpSocketOptions,
} from "./fake_icmp_socket.ts";

/** Lets pending promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Builds the pinger, its fake sockets and an `advance` helper. */
// deno-lint-ignore explicit-module-boundary-types
export function setup(
  o: {
    v4?: Partial<FakeIcmpSocketOptions>;
    v6?: Partial<FakeIcmpSocketOptions>;
    pinger?: Partial<PingerOptions>;
  } = {},
) {
  const clock = new ManualClock();
  const v4 = new FakeIcmpSocket(clock, { family: 4, ...o.v4 });
  const v6 = new FakeIcmpSocket(clock, { family: 6, ...o.v6 });
  const obs: Observation[] = [];
  const pinger = new Pinger({ v4, v6 }, {
    clock,
    logger: silentLogger,
    onObservation: (x) => obs.push(x),
    timing: { intervalMs: 1000, timeoutMs: 500 },
    identifier: 0x4242,
    // Replies are read at once: these tests step the clock finely.
    receiveQuantumMs: 0,
    ...o.pinger,
  });
  /** Advances time in `steps` equal slices, settling after each. */
  const advance = async (ms: number, steps = 1) => {
    for (let i = 0; i < steps; i++) {
      clock.advance(ms / steps);
      await settle();
    }
  };
  return { clock, v4, v6, obs, pinger, advance };
}
