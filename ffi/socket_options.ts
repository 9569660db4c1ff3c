/**
 * Socket creation and options for the ICMP sockets: raw with a fallback to
 * ping sockets, type filters, buffer sizes, destination addresses.
 * @module
 */

import { C, errno, libc } from "./libc.ts";

/**
 * @param family 4 or 6
 * @param bytes the address
 * @returns a `struct sockaddr_in` / `sockaddr_in6` (port 0)
 */
export function sockaddrFor(family: 4 | 6, bytes: Uint8Array): Uint8Array {
  const sa = new Uint8Array(family === 4 ? 16 : 28);
  const view = new DataView(sa.buffer);
  view.setUint16(0, family === 4 ? C.AF_INET : C.AF_INET6, true);
  sa.set(bytes, family === 4 ? 4 : 8);
  return sa;
}

/**
 * Sets an int socket option.
 * @returns whether the kernel accepted it
 */
export function setInt(
  fd: number,
  level: number,
  name: number,
  value: number,
): boolean {
  const v = new Int32Array([value]);
  return libc().setsockopt(fd, level, name, new Uint8Array(v.buffer), 4) === 0;
}

/** Sets a buffer size with the *FORCE option (root), else the plain one. */
export function setBuffer(
  fd: number,
  force: number,
  plain: number,
  bytes: number,
): void {
  if (!setInt(fd, C.SOL_SOCKET, force, bytes)) {
    setInt(fd, C.SOL_SOCKET, plain, bytes);
  }
}

/** Lets only echo replies reach a raw socket (ICMP_FILTER / ICMP6_FILTER). */
export function installFilter(fd: number, family: 4 | 6): void {
  if (family === 4) {
    // struct icmp_filter { __u32 data; }: a set bit drops that type; pass 0.
    const mask = new Uint32Array([~(1 << 0) >>> 0]);
    libc().setsockopt(
      fd,
      C.SOL_RAW,
      C.ICMP_FILTER,
      new Uint8Array(mask.buffer),
      4,
    );
    return;
  }
  // struct icmp6_filter { __u32 data[8]; }: a set bit blocks; pass 129 only.
  const filter = new Uint32Array(8).fill(0xffffffff);
  filter[129 >> 5] = (filter[129 >> 5]! & ~(1 << (129 & 31))) >>> 0;
  libc().setsockopt(
    fd,
    C.IPPROTO_ICMPV6,
    C.ICMP6_FILTER,
    new Uint8Array(filter.buffer),
    32,
  );
}

/** Outcome of {@linkcode openFd}. */
export type Opened =
  | { ok: true; fd: number; kind: "raw" | "dgram" }
  | { ok: false; err: number };

/**
 * Opens a raw ICMP socket, or a ping socket when raw is refused.
 * @param family 4 or 6
 * @param datagramOnly skip the raw attempt
 * @returns the fd and its kind, or the errno that stopped both
 */
export function openFd(family: 4 | 6, datagramOnly: boolean): Opened {
  const domain = family === 4 ? C.AF_INET : C.AF_INET6;
  const proto = family === 4 ? C.IPPROTO_ICMP : C.IPPROTO_ICMPV6;
  let rawErr = 0;
  if (!datagramOnly) {
    const fd = libc().socket(domain, C.SOCK_RAW | C.SOCK_CLOEXEC, proto);
    if (fd >= 0) return { ok: true, fd, kind: "raw" };
    rawErr = errno();
    if (rawErr !== 1 && rawErr !== 13) return { ok: false, err: rawErr };
  }
  const fd = libc().socket(domain, C.SOCK_DGRAM | C.SOCK_CLOEXEC, proto);
  if (fd >= 0) return { ok: true, fd, kind: "dgram" };
  return { ok: false, err: rawErr || errno() };
}
