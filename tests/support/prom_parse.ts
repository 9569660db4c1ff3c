/**
 * A strict parser for the Prometheus text exposition format 0.0.4, for tests.
 * Stricter than Prometheus where our conventions are: every family needs
 * `# HELP` and `# TYPE` before its samples, families are contiguous, counters
 * end in `_total` and are ≥ 0, no empty lines, no duplicate series, and only
 * the escapes the format defines (`\\`, `\"`, `\n` in label values).
 * @module
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number | null;
}

/** One metric family: its HELP, TYPE and samples in order. */
export interface PromFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: PromSample[];
}

/** Raised with the 1-based line number of the first problem. */
export class PromParseError extends Error {
  /** @param line 1-based line number; @param message what is wrong */
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "PromParseError";
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses and validates an exposition.
 * @returns the families by name, in order of appearance
 * @throws {PromParseError} on the first violation
 */
export function parseProm(text: string): Map<string, PromFamily> {
  if (text !== "" && !text.endsWith("\n")) {
    throw new PromParseError(text.split("\n").length, "missing final newline");
  }
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const helps = new Map<string, string>();
  let current: PromFamily | null = null;
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const n = i + 1;
    const fail = (msg: string): never => {
      throw new PromParseError(n, `${msg}: ${JSON.stringify(line)}`);
    };
    if (line === "") fail("empty line");
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kw, name, rest] = m as unknown as [
        string,
        string,
        string,
        string,
      ];
      if (!NAME.test(name)) fail("bad metric name");
      if (families.has(name)) fail(`${kw} after the samples of "${name}"`);
      if (kw === "HELP") {
        if (helps.has(name)) fail("second HELP");
        helps.set(name, unescape(rest, false, fail));
        return;
      }
      if (!TYPES.has(rest)) fail("unknown TYPE");
      if (!helps.has(name)) fail("TYPE before HELP");
      current = {
        name,
        help: helps.get(name)!,
        type: rest as PromFamily["type"],
        samples: [],
      };
      families.set(name, current);
      return;
    }
    const s = parseSample(line, fail);
    const fam = current as PromFamily | null;
    if (!fam || !belongs(fam, s.name)) fail("sample outside its family");
    const key = s.name + JSON.stringify(Object.entries(s.labels).sort());
    if (seen.has(key)) fail("duplicate series");
    seen.add(key);
    if (fam!.type === "counter") {
      if (!fam!.name.endsWith("_total")) fail("counter without _total");
      if (!(s.value >= 0)) fail("counter below zero or NaN");
    }
    fam!.samples.push(s);
  });
  for (const name of helps.keys()) {
    if (!families.has(name)) {
      throw new PromParseError(0, `HELP without TYPE: ${name}`);
    }
  }
  return families;
}

function belongs(f: PromFamily, sample: string): boolean {
  if (sample === f.name) return true;
  const suffixes = f.type === "histogram"
    ? ["_bucket", "_sum", "_count"]
    : f.type === "summary"
    ? ["_sum", "_count"]
    : [];
  return suffixes.some((x) => sample === f.name + x);
}

function parseSample(line: string, fail: (m: string) => never): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/.exec(
    line,
  );
  if (!m) return fail("bad sample line");
  const [, name, labelText, valueText, ts] = m;
  return {
    name: name!,
    labels: labelText ? parseLabels(labelText, fail) : {},
    value: parseValue(valueText!, fail),
    timestampMs: ts === undefined ? null : Number(ts),
  };
}

function parseLabels(
  text: string,
  fail: (m: string) => never,
): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text.slice(1, -1);
  while (rest !== "") {
    const m = /^([^=]*)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
    if (!m) return fail("bad label syntax");
    const [all, name, raw, comma] = m as unknown as string[];
    if (!LABEL.test(name!) || name!.startsWith("__")) fail("bad label name");
    if (name! in out) fail(`duplicate label "${name}"`);
    out[name!] = unescape(raw!, true, fail);
    rest = rest.slice(all!.length);
    if (comma === "" && rest !== "") fail("missing comma between labels");
  }
  return out;
}

function unescape(
  s: string,
  quotes: boolean,
  fail: (m: string) => never,
): string {
  return s.replace(/\\(.?)/g, (_, ch: string) => {
    if (ch === "\\") return "\\";
    if (ch === "n") return "\n";
    if (ch === '"' && quotes) return '"';
    return fail(`bad escape "\\${ch}"`);
  });
}

function parseValue(s: string, fail: (m: string) => never): number {
  if (s === "NaN") return NaN;
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (!FLOAT.test(s)) return fail(`bad value "${s}"`);
  return Number(s);
}

/**
 * Finds one sample's value.
 * @returns the value, or undefined if no sample has exactly these labels
 */
export function sampleValue(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const a = Object.entries(s.labels).sort();
      const b = Object.entries(labels).sort();
      if (JSON.stringify(a) === JSON.stringify(b)) return s.value;
    }
  }
  return undefined;
}
