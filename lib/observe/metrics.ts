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

/** Kind of a metric family. */
export type Kind = "counter" | "gauge";

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
