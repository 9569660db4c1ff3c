/**
 * Address syntax checks used by config validation: `host:port` and DNS
 * labels. IP literals are parsed by `lib/net/ip.ts`.
 * @module
 */
import { parseIp } from "../net/ip.ts";

/** @returns whether `s` is an IPv4 address (dotted quad, no leading zeros). */
export function isIPv4(s: string): boolean {
  return parseIp(s)?.family === 4;
}

/** @returns whether `s` is an IPv6 address (no zone id). */
export function isIPv6(s: string): boolean {
  return parseIp(s)?.family === 6;
}

/** A parsed `host:port`. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, or (with `defaultPort`) a bare host.
 * @returns the parts, or null when malformed
 */
export function parseHostPort(
  s: string,
  defaultPort?: number,
): HostPort | null {
  let host: string, portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1] ?? "";
    portText = bracket[2];
    if (!isIPv6(host)) return null;
  } else if ((s.match(/:/g) ?? []).length > 1) {
    if (!isIPv6(s) || defaultPort === undefined) return null;
    host = s;
  } else {
    const i = s.indexOf(":");
    host = i < 0 ? s : s.slice(0, i);
    portText = i < 0 ? undefined : s.slice(i + 1);
    if (!isIPv4(host) && !isHostname(host)) return null;
  }
  if (portText === undefined && defaultPort === undefined) return null;
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (!/^\d+$/.test(String(port)) || port < 1 || port > 65535) return null;
  return { host, port };
}

/** @returns whether `s` is a DNS name of valid labels (letters, digits, hyphens, `_`, `*` first). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.replace(/\.$/, "").split(".");
  return labels.every((l, i) =>
    (i === 0 && l === "*") ||
    /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/.test(l)
  );
}
