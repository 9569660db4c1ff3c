/**
 * An in-process agent for tests: a fake prober the test drives, a manual
 * clock, a memory state store, and the real Cloudflare provider talking to
 * the fake Cloudflare API on loopback.
 * @module
 */
import { loadConfigText } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/types.ts";
import { Agent } from "../../lib/agent/agent.ts";
import type { AgentDeps } from "../../lib/agent/deps.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { dnsProviderFor } from "../../lib/agent/dns_provider_for.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type {
  Observation,
  Prober,
  ProberOptions,
  ProbeStats,
  ProbeTiming,
} from "../../lib/probe/types.ts";
import {
  type FakeCloudflare,
  type FakeCloudflareOptions,
  type FakeRecordInput,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

/** A prober whose observations the test emits. */
export class FakeProber implements Prober {
  targets: string[] = [];
  running = false;
  /** The cadence the agent set last (start or reload). */
  timing: ProbeTiming | undefined;
  #opts: ProberOptions;
  #stats: ProbeStats = {
    sent: 0,
    received: 0,
    late: 0,
    timeouts: 0,
    localFaults: 0,
  };
  constructor(opts: ProberOptions) {
    this.#opts = opts;
    this.timing = opts.timing;
  }
  setTargets(ips: string[]): void {
    this.targets = [...ips];
  }
  setTiming(t: ProbeTiming): void {
    this.timing = { ...t };
  }
  /** IPs the agent asked to confirm, in order. */
  retries: string[] = [];
  retry(ip: string): void {
    this.retries.push(ip);
  }
  start(): void {
    this.running = true;
  }
  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }
  stats(): ProbeStats {
    return { ...this.#stats };
  }
  /** Per-IP answers of `probeTimeoutMicros` (else the fixed timeout). */
  timeouts = new Map<string, number>();
  probeTimeoutMicros(ip: string): number | null {
    if (!this.targets.includes(ip)) return null;
    return this.timeouts.get(ip) ?? (this.timing?.timeoutMs ?? 1000) * 1000;
  }
  /** Emits one observation per IP: `true` = reply, "local" = send error, false = timeout. */
  emit(results: Record<string, boolean | "local">): void {
    for (const [ip, r] of Object.entries(results)) {
      this.#stats.sent++;
      const o: Observation = r === true
        ? { ip, ok: true, rttMicros: 500, at: this.#opts.clock.now() }
        : {
          ip,
          ok: false,
          rttMicros: null,
          at: this.#opts.clock.now(),
          fault: r === "local" ? "local" : "timeout",
        };
      this.#opts.onObservation(o);
    }
  }
}

/** Zone records every harness starts with. */
export const RECORDS: FakeRecordInput[] = [
  {
    type: "A",
    name: "www.example.com",
    content: "192.0.2.1",
    ttl: 300,
    proxied: false,
    comment: "edge-1",
    tags: ["team:edge"],
  },
  {
    type: "A",
    name: "www.example.com",
    content: "192.0.2.2",
    ttl: 120,
    proxied: true,
    comment: "edge-2",
    tags: ["a:b"],
  },
  {
    type: "A",
    name: "www.example.com",
    content: "192.0.2.3",
    ttl: 60,
    proxied: false,
    comment: null,
    tags: [],
  },
  { type: "TXT", name: "www.example.com", content: "unrelated" },
];

/** The harness config (TOML); tests may append keys. */
export const BASE_TOML = `failure_threshold = 3
interval = 1
dry_run = false
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
`;

/** A running agent with its fakes. */
export interface Harness {
  agent: Agent;
  prober: () => FakeProber;
  /** The fake prober of a [[pool]] (with `poolProbers`). */
  poolProber: (pool: string) => FakeProber;
  clock: ManualClock;
  cf: FakeCloudflare;
  store: MemoryStateStore;
  logs: string[];
  /** Overwrites the config the next reload reads. */
  setConfigText(text: string): void;
  /** Changes the token the next provider (start, reload) sends. */
  setToken(token: string): void;
  close(): Promise<void>;
}

/** Parses TOML that must be valid. */
export function configOf(text: string): Config {
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.config;
}

/** Options of {@linkcode startHarness}. */
export interface HarnessOptions {
  /**
   * Send notifications with the real `fetch` (to a local receiver) instead
   * of a stub that answers "ok". @default false
   */
  realFetch?: boolean;
  /** The notifier's `fetch`, e.g. a recorder; wins over `realFetch`. */
  fetch?: typeof fetch;
  /** The state store the agent starts with. @default a new, empty one */
  store?: MemoryStateStore;
  /** The zone's records at start. @default RECORDS */
  records?: FakeRecordInput[];
  /** The token the agent sends. @default "test-token" (the fake's) */
  token?: string;
  /** Options of the fake API (zones, accepted credentials). */
  fake?: FakeCloudflareOptions;
  /** Give each [[pool]] a fake prober (`Harness.poolProber`). @default false */
  poolProbers?: boolean;
}

/** Starts an agent on `toml` against a fresh fake Cloudflare. */
export async function startHarness(
  toml = BASE_TOML,
  options: HarnessOptions = {},
): Promise<Harness> {
  const cf = startFakeCloudflare({
    zones: [{ name: "example.com", records: options.records ?? RECORDS }],
    ...options.fake,
  });
  const clock = new ManualClock(1_800_000_000_000);
  const store = options.store ?? new MemoryStateStore();
  const logs: string[] = [];
  const { logger, settings } = createLogger({
    sink: (l) => logs.push(l),
    now: () => clock.now(),
  });
  let text = toml;
  let token = options.token ?? "test-token";
  let prober: FakeProber | null = null;
  const poolProbers = new Map<string, FakeProber>();
  const deps: AgentDeps = {
    clock,
    logger,
    logSettings: settings,
    configPath: "test.toml",
    loadConfig: () => Promise.resolve(loadConfigText(text)),
    stateStore: store,
    createProber: (_c, o) => (prober = new FakeProber(o)),
    createPoolProber: options.poolProbers
      ? (pool, o) => {
        const p = new FakeProber(o);
        poolProbers.set(pool.name, p);
        return p;
      }
      : undefined,
    // The same selection `monitor` uses, so the dry-run default is real.
    createDnsProvider: (c) =>
      dnsProviderFor(c, {
        logger,
        secrets: settings.secrets,
        env: {
          CLOUDFLARE_BASE_URL: cf.url,
          CLOUDFLARE_API_TOKEN: token,
        },
      }),
    fetch: options.fetch ??
      (options.realFetch
        ? globalThis.fetch
        : () => Promise.resolve(new Response("ok"))),
  };
  const agent = await Agent.create(configOf(toml), deps);
  agent.start();
  return {
    agent,
    prober: () => prober!,
    poolProber: (name) => poolProbers.get(name)!,
    clock,
    cf,
    store,
    logs,
    setConfigText: (t) => (text = t),
    setToken: (t) => (token = t),
    async close() {
      await agent.stop();
      await cf.close();
    },
  };
}

/** Waits (real time, bounded) until `check` holds. */
export async function until(
  check: () => boolean,
  what: string,
  ms = 3000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Waits (real time, bounded) until the agent's DNS loop has acted on
 * everything asked of it so far and sleeps with nothing due, so a check
 * that nothing was written cannot pass just because it looked too early.
 */
export async function quiet(h: Harness, ms = 3000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("timed out waiting for the DNS loop to idle")),
      ms,
    );
  });
  try {
    await Promise.race([h.agent.driver.idle(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets pending promises and loopback HTTP settle. */
export async function settle(ms = 50): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** @returns the A records of www.example.com held by the fake, by content. */
export function published(
  cf: FakeCloudflare,
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const zone of cf.state.zones.values()) {
    for (const r of zone.records.values()) {
      if (r.name === "www.example.com" && r.type === "A") {
        out.set(r.content, { ...r });
      }
    }
  }
  return out;
}
