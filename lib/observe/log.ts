/**
 * Structured logging: one line per event, logfmt by default or JSON, written
 * to stderr. Secrets registered with the logger never reach a line: any field
 * value or message containing one is masked, and fields whose name looks like a
 * credential are masked whatever their value.
 * @module
 */

/** Severity of a log line, from most to least verbose. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Output encoding of log lines. */
export type LogFormat = "text" | "json";
/** Extra key/value pairs attached to a log line. */
export type LogFields = Record<string, unknown>;

/** The one logging interface every component receives. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** @returns a logger that tags every line with `component`. */
  child(component: string): Logger;
  /** @returns whether lines at `level` are written. */
  enabled(level: LogLevel): boolean;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** @default "text" */
  format?: LogFormat;
  /** @default "info" */
  level?: LogLevel;
  /** Where finished lines go. @default a stderr writer */
  sink?: (line: string) => void;
  /** Wall-clock source for timestamps. @default Date.now */
  now?: () => number;
}

/** Shared, mutable settings of a logger and all its children. */
export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
  /** Secret strings to mask wherever they appear. */
  secrets: Set<string>;
}

const LEVELS: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};
const SECRET_FIELD =
  /token|secret|password|crypto_?key|api_?key|webhook|slack/i;
const MASK = "[redacted]";
const encoder = new TextEncoder();

function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Creates the root logger.
 * @returns the logger and its live settings (level, format, secrets), which
 * reload may change and which all children share.
 */
export function createLogger(
  options: LoggerOptions = {},
): { logger: Logger; settings: LogSettings } {
  const settings: LogSettings = {
    format: options.format ?? "text",
    level: options.level ?? "info",
    secrets: new Set(),
  };
  const sink = options.sink ?? stderrSink;
  const now = options.now ?? Date.now;
  return { logger: makeLogger(settings, sink, now, undefined), settings };
}

/** A logger that drops everything; for tests that do not read logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
  enabled: () => false,
};

function makeLogger(
  settings: LogSettings,
  sink: (line: string) => void,
  now: () => number,
  component: string | undefined,
): Logger {
  const write = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LEVELS[level] < LEVELS[settings.level]) return;
    const record: LogFields = { ts: new Date(now()).toISOString(), level };
    if (component) record.component = component;
    record.msg = msg;
    for (const [k, v] of Object.entries(fields ?? {})) record[k] = v;
    sink(redact(encode(record, settings.format), settings.secrets));
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (name) => makeLogger(settings, sink, now, name),
    enabled: (level) => LEVELS[level] >= LEVELS[settings.level],
  };
}

function plain(key: string, value: unknown): unknown {
  if (
    SECRET_FIELD.test(key) && value !== undefined && value !== null &&
    value !== ""
  ) {
    return MASK;
  }
  if (value instanceof Error) return value.message;
  return value;
}

function encode(record: LogFields, format: LogFormat): string {
  if (format === "json") {
    const out: LogFields = {};
    for (const [k, v] of Object.entries(record)) out[k] = plain(k, v);
    return JSON.stringify(out);
  }
  return Object.entries(record)
    .map(([k, v]) => `${k}=${logfmtValue(plain(k, v))}`)
    .join(" ");
}

function logfmtValue(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value) ?? "null";
  return s === "" || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}

/**
 * Masks every registered secret inside a finished line.
 * @param line an encoded log line
 * @param secrets strings to mask; entries shorter than 4 characters are ignored
 * @returns the line with each secret replaced by `[redacted]`
 */
export function redact(line: string, secrets: Iterable<string>): string {
  let out = line;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join(MASK);
    const quoted = JSON.stringify(s).slice(1, -1);
    if (quoted !== s) out = out.split(quoted).join(MASK);
  }
  return out;
}
