/**
 * What the agent needs from the outside world. `monitor_command.ts` builds
 * the real ones; tests pass fakes.
 * @module
 */
import type { PoolProberFactory } from "./pool_checks.ts";
import type { LoadResult } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import type { PeerTransport } from "../cluster/transport.ts";
import type { DnsProvider } from "../dns/provider.ts";
import type { Clock } from "../observe/clock.ts";
import type { Logger, LogSettings } from "../observe/log.ts";
import type { Prober, ProberOptions } from "../probe/types.ts";
import type { StateStore } from "./state_store.ts";
import type { ConfigOverrides } from "./reload.ts";

/** Side effects the agent is built from. */
export interface AgentDeps {
  clock: Clock;
  logger: Logger;
  /** Live log settings, so reload can change level and format. */
  logSettings?: LogSettings;
  /** Where the config came from (reload reads it again). */
  configPath: string;
  /** Reads and validates the config file (reload). */
  loadConfig: (path: string) => Promise<LoadResult>;
  /** Durable snapshots and verdicts. */
  stateStore: StateStore;
  /** Builds the prober for the config's probe type. */
  createProber: (config: Config, options: ProberOptions) => Prober;
  /**
   * Builds the prober of one `[[pool]]`'s check; without it those pools
   * are not checked (their targets stay unsettled: held).
   */
  createPoolProber?: PoolProberFactory;
  /** Builds the DNS provider (dry-run, Cloudflare or Route 53) for the config. */
  createDnsProvider: (config: Config) => Promise<DnsProvider>;
  /** Peer transport; the real HTTP one when omitted. */
  peerTransport?: PeerTransport;
  /** Command-line settings that win over the file, across reloads. */
  overrides?: ConfigOverrides;
  /** `fetch` for notifications. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** This machine's name, recorded with snapshots on a single node. */
  hostname?: string | null;
}
