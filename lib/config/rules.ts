/**
 * Value checks for config keys. Each rule turns one raw TOML value into a
 * typed value or an explanation of what is wrong with it; rules never throw.
 * @module
 */
import { canonicalIp } from "../net/ip.ts";
import { isHostname, parseHostPort } from "./net.ts";

/** Outcome of checking one value. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Turns a raw value into a typed one, or says why it cannot. */
export type Rule<T> = (raw: unknown) => Checked<T>;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(error: string): Checked<T> => ({ ok: false, error });

/** @returns `value` as it would appear in TOML, for error messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object" && value !== null) {
    const text = JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + "..." : text;
  }
  return String(value);
}

/** An integer in [min, max]. */
export function integer(
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): Rule<number> {
  const range = max === Number.MAX_SAFE_INTEGER
    ? `≥ ${min}`
    : `from ${min} to ${max}`;
  return (raw) =>
    typeof raw === "number" && Number.isInteger(raw) && raw >= min && raw <= max
      ? ok(raw)
      : bad(`must be an integer ${range}, got ${show(raw)}`);
}

/** A finite number in [min, max] (TOML integers and floats both count). */
export function number(min: number, max: number, unit = ""): Rule<number> {
  return (raw) =>
    typeof raw === "number" && Number.isFinite(raw) && raw >= min && raw <= max
      ? ok(raw)
      : bad(`must be a number from ${min} to ${max}${unit}, got ${show(raw)}`);
}

/**
 * 0 (off), or a number from `min` to `max`.
 * @param unit what the number counts, for the message
 */
export function offOrNumber(
  min: number,
  max: number,
  unit = "",
): Rule<number> {
  return (raw) =>
    raw === 0 ||
      (typeof raw === "number" && Number.isFinite(raw) && raw >= min &&
        raw <= max)
      ? ok(raw)
      : bad(
        `must be 0 (off) or a number from ${min} to ${max}${unit}, got ${
          show(raw)
        }`,
      );
}

/** A number in (0, 1]. */
export function fraction(raw: unknown): Checked<number> {
  return typeof raw === "number" && raw > 0 && raw <= 1
    ? ok(raw)
    : bad(`must be a number greater than 0 and at most 1, got ${show(raw)}`);
}

/** `true` or `false`. */
export function boolean(raw: unknown): Checked<boolean> {
  return typeof raw === "boolean"
    ? ok(raw)
    : bad(`must be true or false, got ${show(raw)}`);
}

/** A string, optionally non-empty. */
export function string(nonEmpty = true): Rule<string> {
  return (raw) =>
    typeof raw === "string" && (!nonEmpty || raw.trim() !== "") ? ok(raw) : bad(
      `must be a ${nonEmpty ? "non-empty " : ""}string, got ${show(raw)}`,
    );
}

/** One of a fixed set of strings; `aliases` map old spellings to new ones. */
export function oneOf<T extends string>(
  choices: readonly T[],
  aliases: Record<string, T> = {},
): Rule<T> {
  return (raw) => {
    if (typeof raw === "string") {
      if ((choices as readonly string[]).includes(raw)) return ok(raw as T);
      // Own keys only: `in` also finds Object.prototype's ("toString").
      if (Object.hasOwn(aliases, raw)) return ok(aliases[raw] as T);
    }
    return bad(
      `must be one of ${choices.map(show).join(", ")}, got ${show(raw)}`,
    );
  };
}

/** A string at least `min` characters long (secrets: the value is never shown). */
export function secret(min: number): Rule<string> {
  return (raw) =>
    typeof raw === "string" && raw.length >= min ? ok(raw) : bad(
      typeof raw === "string"
        ? `must be at least ${min} characters long, got ${raw.length} (value hidden); make one with "goavail keygen"`
        : `must be a string, got a ${typeof raw}`,
    );
}

/** An http:// or https:// URL. */
export function url(raw: unknown): Checked<string> {
  if (typeof raw === "string" && URL.canParse(raw)) {
    const u = new URL(raw);
    if (u.protocol === "http:" || u.protocol === "https:") return ok(raw);
  }
  return bad(
    `must be an http:// or https:// URL, got ${
      typeof raw === "string" ? "an invalid one" : show(raw)
    }`,
  );
}

/** Where the original goavail's `slack_addr` path is appended. */
export const SLACK_HOOKS_BASE = "https://hooks.slack.com/services/";

/** A Slack webhook as `slack_addr` takes it. */
export interface SlackAddr {
  url: string;
  /** "form" for the original's short form (sent as it sent it), else "json". */
  format: "json" | "form";
}

/**
 * The original goavail's `slack_addr`: the path after
 * {@linkcode SLACK_HOOKS_BASE} ("T000/B000/XXXX"), or a full http(s) URL.
 * The value is a secret and never appears in an error.
 */
export function slackAddr(raw: unknown): Checked<SlackAddr> {
  if (typeof raw === "string") {
    const path = raw.trim().replace(/^\//, "");
    if (/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)+$/.test(path)) {
      return ok({ url: SLACK_HOOKS_BASE + path, format: "form" });
    }
    const full = url(raw);
    if (full.ok) return ok({ url: full.value, format: "json" });
  }
  return bad(
    `must be the path after ${SLACK_HOOKS_BASE} ("T000/B000/XXXX") or an ` +
      `http:// or https:// URL, got ${
        typeof raw === "string" ? "neither (value hidden)" : show(raw)
      }`,
  );
}

/** An IPv4 or IPv6 address, returned in canonical form. */
export function ip(raw: unknown): Checked<string> {
  const c = typeof raw === "string" ? canonicalIp(raw.trim()) : null;
  return c ? ok(c) : bad(`must be an IPv4 or IPv6 address, got ${show(raw)}`);
}

/** `host:port` (port 1–65535); a bare host takes `defaultPort` when given. */
export function hostPort(defaultPort?: number): Rule<string> {
  return (raw) => {
    const hp = typeof raw === "string"
      ? parseHostPort(raw.trim(), defaultPort)
      : null;
    if (!hp) {
      return bad(
        `must be "host:port" (IPv6 as "[addr]:port"), got ${show(raw)}`,
      );
    }
    return ok(
      hp.host.includes(":")
        ? `[${hp.host}]:${hp.port}`
        : `${hp.host}:${hp.port}`,
    );
  };
}

/**
 * `host:port`, or a bare host returned without a port (an IPv6 one in
 * brackets, "[2001:db8::1]") for the caller to add the port it configures:
 * `[members]` entries take `members_port`, known only once the section is read.
 */
export function hostOptionalPort(raw: unknown): Checked<string> {
  const withPort = hostPort()(raw);
  if (withPort.ok) return withPort;
  // Port 1 stands in for the missing one: it only checks the host.
  const bare = hostPort(1)(raw);
  return bare.ok ? ok(bare.value.slice(0, -":1".length)) : bare;
}

/** A DNS zone name such as "example.com". */
export function domain(raw: unknown): Checked<string> {
  return typeof raw === "string" && isHostname(raw) && raw.includes(".") &&
      !raw.includes("*")
    ? ok(raw.toLowerCase().replace(/\.$/, ""))
    : bad(`must be a domain name such as "example.com", got ${show(raw)}`);
}

/** A record name relative to the zone, "@" for the apex, or a full name. */
export function recordName(raw: unknown): Checked<string> {
  return typeof raw === "string" && (raw === "@" || isHostname(raw))
    ? ok(raw.toLowerCase().replace(/\.$/, ""))
    : bad(
      `must be a DNS name ("www", "@" for the zone apex), got ${show(raw)}`,
    );
}

/** A 32-character hexadecimal Cloudflare id. */
export function cloudflareId(raw: unknown): Checked<string> {
  return typeof raw === "string" && /^[0-9a-f]{32}$/.test(raw)
    ? ok(raw)
    : bad(`must be a 32-character lowercase hex id, got ${show(raw)}`);
}

/**
 * A list whose items all pass `item`; `unique` rejects repeats (after the
 * item rule's normalisation). Item errors name the index: `[2] must be …`.
 */
export function list<T>(
  item: Rule<T>,
  opts: { unique?: boolean; nonEmpty?: boolean } = {},
): Rule<T[]> {
  return (raw) => {
    if (!Array.isArray(raw)) {
      return bad(`must be a list such as ["a", "b"], got ${show(raw)}`);
    }
    if (opts.nonEmpty && raw.length === 0) {
      return bad("must list at least one entry");
    }
    const out: T[] = [];
    const errors: string[] = [];
    raw.forEach((r, i) => {
      const c = item(r);
      if (!c.ok) errors.push(`[${i}] ${c.error}`);
      else if (opts.unique && out.includes(c.value)) {
        errors.push(`[${i}] repeats ${show(c.value)}`);
      } else out.push(c.value);
    });
    return errors.length ? bad(errors.join("; ")) : ok(out);
  };
}
