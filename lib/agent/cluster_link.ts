/**
 * The agent's link to its peers: membership (heartbeats out, liveness) and
 * the peer HTTP server (heartbeats in), set up, changed on reload, or torn
 * down when the config becomes single-node.
 * @module
 */
import type { Config } from "../config/types.ts";
import { canonicalNodeId } from "../cluster/addr.ts";
import { deriveKeyring } from "../cluster/crypto.ts";
import { type LocalState, Membership } from "../cluster/membership.ts";
import {
  createPeerApp,
  type PeerServer,
  servePeerApp,
} from "../cluster/server.ts";
import type { PeerTransport } from "../cluster/transport.ts";
import type { Heartbeat } from "../cluster/types.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import { isCluster } from "./config_view.ts";

/** What the link needs from the agent. */
export interface ClusterLinkOptions {
  clock: Clock;
  logger: Logger;
  transport?: PeerTransport;
  /** What each heartbeat carries. */
  localState: () => LocalState;
  /**
   * Called with each accepted heartbeat; the peer is answered once it
   * resolves, and gets an error when it rejects.
   */
  onHeartbeat: (hb: Heartbeat) => Promise<void>;
  /** Called when a peer becomes live or is lost. */
  onPeerChange: (peer: string, live: boolean) => void;
}

/** Membership plus peer server, or nothing on a single node. */
export class ClusterLink {
  /** Heartbeats and liveness; null on a single node. */
  membership: Membership | null = null;
  #server: PeerServer | null = null;
  #running = false;
  #nudge: Promise<void> | null = null;
  /** A nudge came while one was in flight. */
  #nudgeAgain = false;
  readonly #opt: ClusterLinkOptions;

  /** @param options the agent's side effects and callbacks */
  constructor(options: ClusterLinkOptions) {
    this.#opt = options;
  }

  /**
   * Brings the link in line with `config`: keeps membership (and its peer
   * state) when this node's id is unchanged, replaces it otherwise. A new
   * link is built and bound before the old one closes; when anything
   * fails, the old link keeps running unchanged and the error is thrown.
   * @throws when the keys, the peers or `local_addr` cannot be used
   */
  async apply(config: Config): Promise<void> {
    const m = config.members;
    if (!isCluster(config)) return await this.#close();
    const keyring = await deriveKeyring(m.cryptoKeys, m.insecurePlaintext);
    const id = canonicalNodeId(m.nodeId, m.membersPort);
    if (this.membership && this.membership.nodeId === id) {
      this.membership.setPeers(m.peers);
      this.membership.setKeyring(keyring);
      this.membership.setTiming(m.heartbeatInterval, m.peerTimeout);
      return;
    }
    const o = this.#opt;
    const membership = new Membership({ ...m }, {
      keyring,
      localState: o.localState,
      transport: o.transport,
      clock: o.clock,
      logger: o.logger,
      onPeerChange: o.onPeerChange,
    });
    const receiver = {
      rejections: membership.rejections,
      receive: async (
        frame: Uint8Array,
        from: string,
        remoteIp: string,
        viewFormats?: string,
      ) => {
        const r = await membership.receive(frame, from, remoteIp, viewFormats);
        if (r.ok) await o.onHeartbeat(r.value);
        return r;
      },
    };
    const server = servePeerApp(
      createPeerApp(receiver, { logger: o.logger }),
      m.localAddr!,
      {
        defaultPort: m.membersPort,
        logger: o.logger,
      },
    );
    const old = { membership: this.membership, server: this.#server };
    this.membership = membership;
    this.#server = server;
    if (this.#running) membership.start();
    await Promise.allSettled([old.membership?.stop(), old.server?.close()]);
  }

  /** Starts heartbeats (and any membership set up later). */
  start(): void {
    this.#running = true;
    this.membership?.start();
  }

  /**
   * Sends one extra heartbeat now (a verdict changed), so peers count the
   * new vote without waiting for the next interval. A peer whose previous
   * heartbeat was still in flight is skipped by that round (the one on its
   * way was sealed before the change): it gets one more round once its send
   * settles. Calls while a nudge is under way are folded into one more.
   */
  nudge(): void {
    const m = this.membership;
    if (!m || !this.#running) return;
    if (this.#nudge) {
      this.#nudgeAgain = true;
      return;
    }
    const skips = () => m.peerStatus().reduce((n, p) => n + p.sendSkipped, 0);
    const current = () => this.#running && this.membership === m;
    this.#nudge = (async () => {
      do {
        this.#nudgeAgain = false;
        const before = skips();
        await m.heartbeatNow().catch(() => {});
        // Stopped or replaced meanwhile: a round now would go out after
        // stop, or from the old link.
        if (skips() > before && current()) {
          await m.replicateNow().catch(() => {});
        }
      } while (this.#nudgeAgain && current());
    })().finally(() => {
      this.#nudge = null;
      // A nudge for a link that replaced this one goes out on it.
      if (this.#nudgeAgain && this.#running) this.nudge();
    });
  }

  /** Stops heartbeats and the peer server. */
  async stop(): Promise<void> {
    this.#running = false;
    // Closing aborts the sends a nudge may still wait for.
    await this.#close();
    await this.#nudge;
  }

  /** @returns configured and live peer counts, or null on a single node. */
  peers(): { configured: number; live: number } | null {
    const m = this.membership;
    return m
      ? { configured: m.peerIds.length, live: m.liveIds().length }
      : null;
  }

  async #close(): Promise<void> {
    await Promise.allSettled([this.membership?.stop(), this.#server?.close()]);
    this.membership = null;
    this.#server = null;
  }
}
