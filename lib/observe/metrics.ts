/**
 * A tiny metrics registry (no dependency): counters and gauges with optional
 * labels, rendered in the Prometheus text exposition format 0.0.4.
 *
 * Families render in registration order, series in first-touch order; a
 * family without labels starts at 0. Counter names must end in `_total`;
 * values use base units (seconds, ratios).
 * The agent's own metrics are declared once by {@linkcode createAgentMetrics}.
 * @module
 */

/** Label values of one series, keyed by label name. */
export type LabelValues<L extends string> = Record<L, string>;

/** Arguments of a write: `(by?)` without labels, `(labels, by?)` with. */
export type SeriesArgs<L extends string> = [L] extends [never]
  ? [value?: number]
  : [labels: LabelValues<L>, value?: number];

/** Arguments that name one series: `()` without labels, `(labels)` with. */
export type SeriesKey<L extends string> = [L] extends [never] ? []
  : [labels: LabelValues<L>];

/** Declaration of one metric family. */
export interface MetricOptions<L extends string> {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total`. */
  name: string;
  /** One-line description for `# HELP`. */
  help: string;
  /** Label names, in exposition order. @default [] */
  labelNames?: readonly L[];
}

/** A monotonically increasing count. */
export interface Counter<L extends string = never> {
  /** Adds `value` (default 1, must be ≥ 0) to a series, creating it at 0. */
  inc(...args: SeriesArgs<L>): void;
  /** @returns the current value of a series (0 if never touched). */
  get(...key: SeriesKey<L>): number;
}

/** A value that goes up and down. */
export interface Gauge<L extends string = never> {
  /** Sets a series to `value` (required; `undefined` means 0). */
  set(...args: SeriesArgs<L>): void;
  /** Adds `value` (default 1) to a series. */
  inc(...args: SeriesArgs<L>): void;
  /** Subtracts `value` (default 1) from a series. */
  dec(...args: SeriesArgs<L>): void;
  /** @returns the current value of a series (0 if never touched). */
  get(...key: SeriesKey<L>): number;
  /** Drops one series, e.g. the gauges of an IP removed by a reload. */
  remove(...key: SeriesKey<L>): void;
  /** Drops every series of this family. */
  clear(): void;
}

type Kind = "counter" | "gauge";

interface Family {
  name: string;
  help: string;
  kind: Kind;
  labelNames: readonly string[];
  /** Series by key; `head` is the rendered `name{labels}`, fixed at creation. */
  series: Map<string, { head: string; value: number }>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A set of metric families that renders as one exposition. */
export class Registry {
  #families = new Map<string, Family>();
  #collectors: (() => void)[] = [];

  /**
   * Declares a counter.
   * @throws {TypeError} on an invalid or duplicate name, or a name without `_total`
   */
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    if (!options.name.endsWith("_total")) {
      throw new TypeError(`Counter "${options.name}" must end in "_total"`);
    }
    const f = this.#declare("counter", options);
    return {
      inc: (...args: unknown[]) => {
        const [labels, by] = split(f, args);
        const v = by ?? 1;
        if (!(v >= 0)) {
          throw new RangeError(`Counter "${f.name}" cannot add ${v}`);
        }
        add(f, labels, v);
      },
      get: (...key: unknown[]) => read(f, key[0]),
    } as Counter<L>;
  }

  /**
   * Declares a gauge.
   * @throws {TypeError} on an invalid or duplicate name
   */
  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    const f = this.#declare("gauge", options);
    return {
      set: (...args: unknown[]) => {
        const [labels, v] = split(f, args);
        seriesOf(f, labels).value = v ?? 0;
      },
      inc: (...args: unknown[]) => {
        const [labels, v] = split(f, args);
        add(f, labels, v ?? 1);
      },
      dec: (...args: unknown[]) => {
        const [labels, v] = split(f, args);
        add(f, labels, -(v ?? 1));
      },
      get: (...key: unknown[]) => read(f, key[0]),
      remove: (...key: unknown[]) => {
        f.series.delete(keyOf(f, key[0]));
      },
      clear: () => f.series.clear(),
    } as Gauge<L>;
  }

  /** Registers `fn` to run just before each render (to refresh gauges). */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  /**
   * Renders every family in the text exposition format 0.0.4. A family with
   * no series renders its `# HELP`/`# TYPE` lines only.
   * @returns the exposition, ending in a newline
   */
  render(): string {
    for (const fn of this.#collectors) fn();
    const lines: string[] = [];
    for (const f of this.#families.values()) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      lines.push(`# TYPE ${f.name} ${f.kind}`);
      for (const s of f.series.values()) {
        lines.push(`${s.head} ${formatValue(s.value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }

  #declare<L extends string>(kind: Kind, o: MetricOptions<L>): Family {
    if (!METRIC_NAME.test(o.name)) {
      throw new TypeError(`Invalid metric name "${o.name}"`);
    }
    if (this.#families.has(o.name)) {
      throw new TypeError(`Metric "${o.name}" is already registered`);
    }
    const labelNames = [...(o.labelNames ?? [])];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__")) {
        throw new TypeError(`Invalid label name "${l}" on "${o.name}"`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new TypeError(`Duplicate label name on "${o.name}"`);
    }
    const f: Family = {
      name: o.name,
      help: o.help,
      kind,
      labelNames,
      series: new Map(),
    };
    if (labelNames.length === 0) f.series.set("", { head: o.name, value: 0 });
    this.#families.set(o.name, f);
    return f;
  }
}

function split(f: Family, args: unknown[]): [unknown, number | undefined] {
  if (f.labelNames.length === 0) return [undefined, args[0] as number];
  return [args[0], args[1] as number | undefined];
}

/** No label: ""; one: the value itself; several: a JSON array of values. */
function keyOf(f: Family, labels: unknown): string {
  const values = valuesOf(f, labels);
  if (values.length === 0) return "";
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

function valuesOf(f: Family, labels: unknown): string[] {
  if (f.labelNames.length === 0) return [];
  if (typeof labels !== "object" || labels === null) {
    throw new TypeError(`Metric "${f.name}" needs labels`);
  }
  const rec = labels as Record<string, unknown>;
  const out: string[] = [];
  for (const n of f.labelNames) {
    const v = rec[n];
    if (typeof v !== "string") {
      throw new TypeError(`Metric "${f.name}" needs label "${n}"`);
    }
    out.push(v);
  }
  return out;
}

function seriesOf(f: Family, labels: unknown) {
  const key = keyOf(f, labels);
  let s = f.series.get(key);
  if (!s) {
    const values = valuesOf(f, labels);
    s = { head: f.name + labelText(f.labelNames, values), value: 0 };
    f.series.set(key, s);
  }
  return s;
}

function add(f: Family, labels: unknown, by: number): void {
  seriesOf(f, labels).value += by;
}

function read(f: Family, labels: unknown): number {
  return f.series.get(keyOf(f, labels))?.value ?? 0;
}

/** Escapes a `# HELP` text: backslash and newline. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(s: string): string {
  if (!/[\\"\n]/.test(s)) return s;
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(names: readonly string[], values: string[]): string {
  if (names.length === 0) return "";
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  return `{${parts.join(",")}}`;
}

/** Formats a sample value: `NaN`, `+Inf`, `-Inf` or a JS number. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * Every metric the agent exports: handle name → `[kind, name, help, labels?]`.
 * Counter names get `_total` appended; all names get the `goavail_` prefix.
 */
// deno-fmt-ignore
export const AGENT_METRICS = {
  targetRttSeconds: ["gauge", "target_rtt_seconds", "Last probe round-trip time.", ["ip"]],
  targetLossRatio: ["gauge", "target_loss_ratio", "Share of probes lost in the last minute.", ["ip"]],
  targetUp: ["gauge", "target_up", "Local verdict: 1 up, 0 down.", ["ip"]],
  targetInDns: ["gauge", "target_in_dns", "1 when the IP's records are in DNS.", ["ip"]],
  clusterVotesDown: ["gauge", "cluster_votes_down", "Agents (this one and live peers) that see the IP down.", ["ip"]],
  probesSent: ["counter", "probes_sent", "Probes sent."],
  probeReplies: ["counter", "probe_replies", "Probe replies received in time."],
  probeTimeouts: ["counter", "probe_timeouts", "Probes that got no reply in time."],
  probeLateReplies: ["counter", "probe_late_replies", "Replies that came after their timeout."],
  probeLocalFaults: ["counter", "probe_local_faults", "Probe send errors on this host (EHOSTUNREACH, EPERM, ...)."],
  peersLive: ["gauge", "peers_live", "Peers with a recent valid heartbeat."],
  peersConfigured: ["gauge", "peers_configured", "Peers in the configuration."],
  guardIsolated: ["gauge", "guard_isolated", "1 while the self-isolation guard holds DNS writes back."],
  dnsWrites: ["counter", "dns_writes", "DNS record writes by result (ok, error, dry_run).", ["result"]],
  dnsApiErrors: ["counter", "dns_api_errors", "DNS API errors by kind (auth, rate_limit, server, timeout, other).", ["kind"]],
  configReloads: ["counter", "config_reloads", "Configuration reloads by result (ok, error).", ["result"]],
  peerMessagesRejected: ["counter", "peer_messages_rejected", "Peer messages rejected by reason.", ["reason"]],
  notificationsSent: ["counter", "notifications", "Notifications sent by channel (webhook, slack) and result (ok, error).", ["channel", "result"]],
  notificationsDropped: ["counter", "notifications_dropped", "Notifications dropped because the queue was full."],
  buildInfo: ["gauge", "build_info", "Build information; always 1.", ["version", "deno"]],
  startTimeSeconds: ["gauge", "start_time_seconds", "Unix time the agent started."],
} as const;

type Spec = readonly [Kind, string, string, (readonly string[])?];
type HandleOf<S extends Spec> = S extends
  readonly [infer K, string, string, readonly (infer L extends string)[]]
  ? K extends "counter" ? Counter<L> : Gauge<L>
  : S[0] extends "counter" ? Counter
  : Gauge;

/** Handles of every metric in {@linkcode AGENT_METRICS}, plus their registry. */
export type AgentMetrics =
  & {
    readonly [K in keyof typeof AGENT_METRICS]: HandleOf<
      (typeof AGENT_METRICS)[K]
    >;
  }
  & { readonly registry: Registry };

/**
 * Declares the agent's metrics once, with known label values pre-created at
 * 0 so rates work from the first scrape.
 * @param build version strings for `goavail_build_info`
 * @param startedAtMs wall-clock start time, ms since the epoch
 * @returns the handles, all in one fresh {@linkcode Registry}
 */
export function createAgentMetrics(
  build: { version: string; deno?: string },
  startedAtMs: number = Date.now(),
): AgentMetrics {
  const registry = new Registry();
  const out: Record<string, unknown> = { registry };
  for (const [key, spec] of Object.entries(AGENT_METRICS) as [string, Spec][]) {
    const [kind, name, help, labelNames] = spec;
    out[key] = kind === "counter"
      ? registry.counter({ name: `goavail_${name}_total`, help, labelNames })
      : registry.gauge({ name: `goavail_${name}`, help, labelNames });
  }
  const m = out as AgentMetrics;
  for (const result of ["ok", "error", "dry_run"]) {
    m.dnsWrites.inc({ result }, 0);
  }
  for (const result of ["ok", "error"]) m.configReloads.inc({ result }, 0);
  const deno = build.deno ?? Deno.version.deno;
  m.buildInfo.set({ version: build.version, deno }, 1);
  m.startTimeSeconds.set(startedAtMs / 1000);
  return m;
}

/**
 * Drops every per-IP series of `ip` (after a reload removed the target).
 * @param m the agent's metrics
 * @param ip the target no longer monitored
 */
export function forgetTarget(m: AgentMetrics, ip: string): void {
  m.targetRttSeconds.remove({ ip });
  m.targetLossRatio.remove({ ip });
  m.targetUp.remove({ ip });
  m.targetInDns.remove({ ip });
  m.clusterVotesDown.remove({ ip });
}
