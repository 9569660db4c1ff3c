/** Shared fixtures of the cluster tests: keys, heartbeats, a receiver. */

import { deriveKeyring, type Keyring } from "../../lib/cluster/crypto.ts";
import { Membership } from "../../lib/cluster/membership.ts";
import type {
  PeerTransport,
  SendOutcome,
} from "../../lib/cluster/transport.ts";
import type { Heartbeat, PeerView } from "../../lib/cluster/types.ts";
import type { PeerAddr } from "../../lib/cluster/addr.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger, type Logger } from "../../lib/observe/log.ts";

export const A = "10.0.0.1:7947";
export const B = "10.0.0.2:7947";
export const C = "10.0.0.3:7947";
export const A_IP = "10.0.0.1";
export const C_IP = "10.0.0.3";
export const KEY_NEW = "c2VjcmV0LW5ldy1rZXktZm9yLXRlc3RzLW9ubHktMzJi";
export const KEY_OLD = "c2VjcmV0LW9sZC1rZXktZm9yLXRlc3RzLW9ubHktMzJi";
export const KEY_OTHER = "an-unrelated-key-nobody-configured";

/** @returns a keyring of the given secrets. */
export function ring(...secrets: string[]): Promise<Keyring> {
  return deriveKeyring(secrets, false);
}

/** @returns a view of `n` IPs in 198.51.100.0/24 and 203.0.113.0/24. */
export function viewOf(n: number, downEvery = 10): PeerView {
  const view: PeerView = {};
  for (let i = 0; i < n; i++) {
    const ip =
      `${i % 2 ? "198.51.100" : "203.0.113"}.${Math.floor(i / 2) % 256}` +
      (i >= 512 ? `-${i}` : "");
    view[ip] = {
      verdict: i % downEvery === 0 ? "down" : "up",
      since: 1_700_000_000_000 + i,
      consecutive: 3 + (i % 50),
    };
  }
  return view;
}

/** @returns a heartbeat from `from` sent at `clock.now()`. */
export function heartbeat(
  clock: ManualClock,
  over: Partial<Heartbeat> = {},
): Heartbeat {
  return {
    from: A,
    boot: 1000,
    seq: 1,
    sentAt: clock.now(),
    view: viewOf(3),
    isolated: false,
    writable: true,
    hears: [],
    acked: true,
    backs: [],
    snapshots: [],
    ...over,
  };
}

/** A transport that records sends and answers from a script. */
export class FakeTransport implements PeerTransport {
  sent: { peer: string; frame: Uint8Array; from: string; at: number }[] = [];
  /** Peers whose sends hang until aborted. */
  hang = new Set<string>();
  /** Peers that answer with this HTTP status (a refusal). */
  refuse = new Map<string, number>();
  closed = 0;
  constructor(private clock: ManualClock) {}

  send(
    peer: PeerAddr,
    frame: Uint8Array,
    from: string,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    this.sent.push({ peer: peer.id, frame, from, at: this.clock.now() });
    const refused = this.refuse.get(peer.id);
    if (refused !== undefined) {
      return Promise.resolve({
        ok: false,
        status: refused,
        error: `HTTP ${refused}`,
      });
    }
    if (!this.hang.has(peer.id)) {
      return Promise.resolve({ ok: true, status: 204 });
    }
    return new Promise((resolve) => {
      const done = () => resolve({ ok: false, status: null, error: "timeout" });
      if (signal.aborted) return done();
      signal.addEventListener("abort", done, { once: true });
    });
  }

  close(): void {
    this.closed++;
  }
}

/** A logger writing debug lines into `lines`. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const { logger } = createLogger({
    level: "debug",
    sink: (l) => lines.push(l),
  });
  return { logger, lines };
}

/** The receiving agent B, configured with peers A and C. */
export async function receiverB(
  options: { keys?: string[]; insecure?: boolean; logger?: Logger } = {},
): Promise<{ m: Membership; clock: ManualClock; transport: FakeTransport }> {
  const clock = new ManualClock();
  const transport = new FakeTransport(clock);
  const keyring = await deriveKeyring(
    options.keys ?? [KEY_NEW, KEY_OLD],
    options.insecure ?? false,
  );
  const m = new Membership({
    nodeId: B,
    peers: [A, C],
    membersPort: 7947,
    heartbeatInterval: 1,
    peerTimeout: 3,
  }, {
    keyring,
    localState: () => ({ view: viewOf(2), isolated: false, writable: true }),
    transport,
    clock,
    logger: options.logger,
    resolver: () => Promise.resolve([]),
  });
  return { m, clock, transport };
}

/**
 * Waits (at most 500 event-loop turns) until `cond()` holds.
 * @throws when it never does
 */
export async function until(
  cond: () => boolean,
  what = "condition",
): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** @returns how many sends to every peer have finished (fewest over peers). */
export function sendsDone(m: Membership): number {
  const per = m.peerStatus().map((p) =>
    p.sendOk + p.sendFailed + p.sendSkipped
  );
  return per.length === 0 ? 0 : Math.min(...per);
}
