/**
 * Settings and options of `Membership` (split out to keep membership.ts
 * short; re-exported from there).
 * @module
 */

import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import type { HostResolver } from "./addr.ts";
import type { Keyring } from "./crypto.ts";
import type { PeerTransport } from "./transport.ts";
import type { BookEntry } from "./snapshot_book.ts";
import type { DrainEntry } from "./drain_book.ts";
import type { PeerView } from "./types.ts";

/** What this agent tells its peers each heartbeat. */
export interface LocalState {
  view: PeerView;
  /** True while this agent suspects itself (self-isolation guard). */
  isolated: boolean;
  /** This agent may be the cluster's writer (see `Heartbeat.writable`). */
  writable: boolean;
  /** This agent is writable and acknowledged (see `Heartbeat.acked`). */
  acked?: boolean;
  /** The book of withdrawn records (see snapshot_book.ts). @default [] */
  snapshots?: BookEntry[];
  /** The drain book (see drain_book.ts). @default [] */
  drains?: DrainEntry[];
}

/** Settings of `Membership`, from `config.members`. */
export interface MembershipSettings {
  /** This agent's id (`members.nodeId`, its `local_addr`). */
  nodeId: string;
  /** Peer addresses as configured. */
  peers: readonly string[];
  /** Port assumed for addresses without one. */
  membersPort: number;
  /** Seconds between heartbeats. */
  heartbeatInterval: number;
  /** Seconds without a valid heartbeat before a peer stops counting. */
  peerTimeout: number;
}

/** Side effects and tuning of `Membership`. */
export interface MembershipOptions {
  /** Keys in force (see `deriveKeyring`). */
  keyring: Keyring;
  /** Returns what to send; called once per heartbeat. Must not throw. */
  localState: () => LocalState;
  /** @default an `HttpPeerTransport`, made on first send, closed by `stop` */
  transport?: PeerTransport;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Resolves peer DNS names for the source check. @default systemResolver */
  resolver?: HostResolver;
  /** Per-send timeout in ms. @default min(1000, heartbeat interval) */
  sendTimeoutMs?: number;
  /** This run's boot value (wall ms). @default clock.now() at construction */
  boot?: number;
  /**
   * Called when a peer goes live or is lost (after being live), with its
   * canonical id. Must not throw.
   */
  onPeerChange?: (peer: string, live: boolean) => void;
}
