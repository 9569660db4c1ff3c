/**
 * Address syntax checks used by config validation: IPv4, IPv6 (with a
 * canonical form, so "2001:DB8::1" and "2001:db8:0::1" are one target),
 * `host:port` and DNS labels.
 * @module
 */

/** @returns whether `s` is a dotted-quad IPv4 address without leading zeros. */
export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * Parses an IPv6 address (no zone id) into eight 16-bit groups.
 * @returns the groups, or null when `s` is not an IPv6 address
 */
export function parseIPv6(s: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    const b = v4.split(".").map(Number) as [number, number, number, number];
    const hex = `${((b[0] << 8) | b[1]).toString(16)}:${
      ((b[2] << 8) | b[3]).toString(16)
    }`;
    return parseIPv6(s.slice(0, lastColon + 1) + hex);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    return null;
  }
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const fill = new Array(8 - explicit).fill(0);
  const hex = (g: string) => parseInt(g, 16);
  return [...head.map(hex), ...fill, ...rest.map(hex)];
}

/** @returns whether `s` is an IPv6 address. */
export function isIPv6(s: string): boolean {
  return parseIPv6(s) !== null;
}

/**
 * Canonical text of an IP (RFC 5952 for IPv6: lowercase, longest zero run
 * compressed).
 * @returns the canonical form, or null when `s` is not an IP address
 */
export function canonicalIP(s: string): string | null {
  if (isIPv4(s)) return s;
  const g = parseIPv6(s);
  if (!g) return null;
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((n) => n.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
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
