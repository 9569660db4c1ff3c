/**
 * Whether the kernel has a usable route to an address, asked the way
 * `ip route get` asks but without a process or a packet: `connect()` on a
 * UDP socket runs the full route lookup (policy rules, every table, source
 * address selection) and fails at once with ENETUNREACH (no route),
 * EHOSTUNREACH (`unreachable` route), EACCES (`prohibit`), EINVAL
 * (`blackhole`) or EADDRNOTAVAIL (no source address). A UDP connect sends
 * nothing (Linux `ip4_datagram_connect` / `ip6_datagram_connect` only look
 * the route up and remember the peer).
 * @module
 */

import { parseIp } from "../lib/net/ip.ts";
import { C, libc } from "./libc.ts";
import { sockaddrFor } from "./socket_options.ts";

/** Port written into the lookup's address; nothing is sent to it. */
const DISCARD_PORT = 9;

/**
 * @param ip an IPv4 or IPv6 address
 * @returns true when a usable route exists, false when the kernel refuses
 *   one, null when the address does not parse or no socket could be opened
 * @throws Deno.errors.NotCapable without `--allow-ffi`
 */
export function hasRoute(ip: string): boolean | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  const sys = libc();
  const family = parsed.family === 4 ? C.AF_INET : C.AF_INET6;
  const fd = sys.socket(family, C.SOCK_DGRAM | C.SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  try {
    const sa = sockaddrFor(parsed.family, parsed.bytes);
    new DataView(sa.buffer).setUint16(2, DISCARD_PORT, false);
    return sys.connect(fd, sa, sa.length) === 0;
  } finally {
    sys.close(fd);
  }
}

/**
 * {@linkcode hasRoute}, or null when FFI is not permitted (the caller then
 * treats unreachable errors as local and says so once).
 * @param ip an address
 * @returns whether a usable route exists, or null when unknown
 */
export function lookupRoute(ip: string): boolean | null {
  try {
    return hasRoute(ip);
  } catch {
    return null;
  }
}
