/**
 * Peer addresses: node ids are `host:port` strings compared in canonical
 * form, and a heartbeat's source IP is checked against the peer's host.
 * @module
 */

import { formatIp, parseIp } from "../net/ip.ts";

/** A peer or local address split into parts. */
export interface PeerAddr {
  /** Canonical `host:port` (lowercase host, IPv6 in brackets). */
  id: string;
  /** Host without brackets: an IP literal or a DNS name. */
  host: string;
  port: number;
  /** Canonical IP when `host` is an IP literal, else null. */
  ip: string | null;
}

/**
 * Canonical text of an IP literal: lowercase, compressed IPv6, and
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`) reduced to IPv4.
 * @param s an address, with or without IPv6 brackets
 * @returns the canonical IP, or null when `s` is not an IP literal
 */
export function canonicalIp(s: string): string | null {
  const bare = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
  const parsed = parseIp(bare);
  if (!parsed) return null;
  const b = parsed.bytes;
  const mapped = parsed.family === 6 &&
    b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return formatIp(mapped ? b.subarray(12) : b);
}

/**
 * Parses `host:port`, `[v6]:port`, or a bare host (given `defaultPort`).
 * @param s the configured address
 * @param defaultPort port used when `s` has none
 * @returns the parts, or null when malformed
 */
export function parsePeerAddr(s: string, defaultPort: number): PeerAddr | null {
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracket) {
    host = bracket[1] ?? "";
    portText = bracket[2];
  } else if ((s.match(/:/g) ?? []).length > 1) {
    host = s;
  } else {
    const i = s.indexOf(":");
    host = i < 0 ? s : s.slice(0, i);
    portText = i < 0 ? undefined : s.slice(i + 1);
  }
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) return null;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const ip = canonicalIp(host);
  if (ip === null) {
    if (host.includes(":") || !/^[A-Za-z0-9_.-]{1,253}$/.test(host)) {
      return null;
    }
    host = host.toLowerCase().replace(/\.$/, "");
  }
  const h = ip ?? host;
  const id = h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
  return { id, host: h, port, ip };
}

/**
 * @param s a configured address
 * @param defaultPort port used when `s` has none
 * @returns the canonical node id (a bare name gets `defaultPort`), or `s`
 *   unchanged when it does not parse
 */
export function canonicalNodeId(s: string, defaultPort: number): string {
  return parsePeerAddr(s, defaultPort)?.id ?? s;
}

/** Looks up the IPs of a DNS name. */
export type HostResolver = (host: string) => Promise<string[]>;

/**
 * The real resolver: "localhost" is loopback; other names are resolved
 * with `Deno.resolveDns` (A and AAAA).
 */
export const systemResolver: HostResolver = async (
  host: string,
): Promise<string[]> => {
  if (host === "localhost") return ["127.0.0.1", "::1"];
  const found = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  const ips: string[] = [];
  for (const r of found) {
    if (r.status !== "fulfilled") continue;
    for (const a of r.value) {
      const c = canonicalIp(a);
      if (c) ips.push(c);
    }
  }
  return ips;
};
