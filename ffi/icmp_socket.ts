/**
 * The real {@linkcode IcmpSocket}: raw ICMP/ICMPv6 sockets through libc FFI,
 * with a fallback to unprivileged ping (datagram) sockets. Replies wake a
 * blocking `poll()` that runs off the JS thread; receive times come from
 * kernel timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME) and send times from
 * clock_gettime(CLOCK_REALTIME) taken right before `sendto`.
 * @module
 */

import {
  type IcmpSocket,
  type IcmpSockets,
  ProbeError,
  type ReceivedPacket,
  type SendResult,
} from "../lib/probe/types.ts";
import { formatIp, parseIp } from "../lib/probe/ip_addr.ts";
import { C, errno, errnoName, libc, realtimeMicros, strerror } from "./libc.ts";

/** Options of {@linkcode openIcmpSocket}. */
export interface IcmpSocketOptions {
  /** Receive buffer size asked for. @default 8 MiB */
  receiveBufferBytes?: number;
  /** Send buffer size asked for. @default 4 MiB */
  sendBufferBytes?: number;
  /** Never try raw sockets (tests the fallback). @default false */
  datagramOnly?: boolean;
}

const FIXES = "run goavail as root, or grant the binary raw sockets with " +
  '"setcap cap_net_raw+ep <binary>", or allow ping sockets with ' +
  '"sysctl -w net.ipv4.ping_group_range=\\"0 2147483647\\""';

const RECV_BYTES = 4096;
const NAME_BYTES = 28;
const CONTROL_BYTES = 128;

function ptrValue(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

function sockaddrFor(family: 4 | 6, bytes: Uint8Array): Uint8Array {
  const sa = new Uint8Array(family === 4 ? 16 : 28);
  const view = new DataView(sa.buffer);
  view.setUint16(0, family === 4 ? C.AF_INET : C.AF_INET6, true);
  sa.set(bytes, family === 4 ? 4 : 8);
  return sa;
}

function setInt(fd: number, level: number, name: number, value: number) {
  const v = new Int32Array([value]);
  return libc().setsockopt(fd, level, name, new Uint8Array(v.buffer), 4) === 0;
}

function setBuffer(fd: number, force: number, plain: number, bytes: number) {
  if (!setInt(fd, C.SOL_SOCKET, force, bytes)) {
    setInt(fd, C.SOL_SOCKET, plain, bytes);
  }
}

function installFilter(fd: number, family: 4 | 6): void {
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

type Opened =
  | { ok: true; fd: number; kind: "raw" | "dgram" }
  | { ok: false; err: number };

function openFd(family: 4 | 6, datagramOnly: boolean): Opened {
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

/**
 * Opens an ICMP socket for one family: raw when permitted, otherwise an
 * unprivileged ping socket.
 * @param family 4 or 6
 * @param options buffer sizes; `datagramOnly` to skip raw
 * @returns the socket (caller closes it)
 * @throws ProbeError when neither socket kind may be opened
 */
export function openIcmpSocket(
  family: 4 | 6,
  options: IcmpSocketOptions = {},
): IcmpSocket {
  const opened = openFd(family, options.datagramOnly ?? false);
  if (!opened.ok) {
    const err = opened.err;
    if (err !== 1 && err !== 13) {
      throw new ProbeError(
        `Cannot open an IPv${family} ICMP socket (${errnoName(err)}: ` +
          `${strerror(err)})`,
      );
    }
    throw new ProbeError(
      `Cannot open an IPv${family} ICMP socket (${errnoName(err)}: ` +
        `${strerror(err)}): ${FIXES}`,
    );
  }
  const { fd, kind } = opened;
  if (kind === "raw") installFilter(fd, family);
  setBuffer(
    fd,
    C.SO_RCVBUFFORCE,
    C.SO_RCVBUF,
    options.receiveBufferBytes ?? 8 << 20,
  );
  setBuffer(
    fd,
    C.SO_SNDBUFFORCE,
    C.SO_SNDBUF,
    options.sendBufferBytes ?? 4 << 20,
  );
  setInt(fd, C.SOL_SOCKET, C.SO_TIMESTAMPNS, 1);
  return new FfiIcmpSocket(fd, family, kind);
}

/**
 * Opens one socket per family. A family the host lacks (no IPv6) is left
 * out; a permission failure on IPv4 is thrown.
 * @param options passed to {@linkcode openIcmpSocket}
 * @returns the sockets opened (caller closes them)
 * @throws ProbeError naming the three fixes when ICMP is not permitted
 */
export function openIcmpSockets(options: IcmpSocketOptions = {}): IcmpSockets {
  const v4 = openIcmpSocket(4, options);
  try {
    return { v4, v6: openIcmpSocket(6, options) };
  } catch (e) {
    // Without IPv6 (EAFNOSUPPORT and the like) keep IPv4 alone.
    if (e instanceof ProbeError && !e.message.includes(FIXES)) return { v4 };
    v4.close();
    throw e;
  }
}

class FfiIcmpSocket implements IcmpSocket {
  readonly family: 4 | 6;
  readonly kind: "raw" | "dgram";
  #fd: number;
  #closed = false;
  #waiting: Promise<unknown> | null = null;
  #destinations = new Map<string, Uint8Array>();
  #data = new Uint8Array(RECV_BYTES);
  #name = new Uint8Array(NAME_BYTES);
  #control = new Uint8Array(CONTROL_BYTES);
  #iov = new BigUint64Array(2);
  #msghdr = new BigUint64Array(7);
  #msghdrBytes = new Uint8Array(this.#msghdr.buffer);
  #controlView = new DataView(this.#control.buffer);
  #pollfd = new Uint8Array(8);

  constructor(fd: number, family: 4 | 6, kind: "raw" | "dgram") {
    this.#fd = fd;
    this.family = family;
    this.kind = kind;
    this.#iov[0] = ptrValue(this.#data);
    this.#iov[1] = BigInt(RECV_BYTES);
    this.#msghdr[0] = ptrValue(this.#name);
    this.#msghdr[2] = ptrValue(new Uint8Array(this.#iov.buffer));
    this.#msghdr[3] = 1n;
    this.#msghdr[4] = ptrValue(this.#control);
    const pv = new DataView(this.#pollfd.buffer);
    pv.setInt32(0, fd, true);
    pv.setInt16(4, C.POLLIN, true);
  }

  send(ip: string, packet: Uint8Array): SendResult {
    if (this.#closed) return { ok: false, code: "EBADF", message: "closed" };
    let sa = this.#destinations.get(ip);
    if (!sa) {
      const parsed = parseIp(ip);
      if (!parsed || parsed.family !== this.family) {
        return { ok: false, code: "EINVAL", message: `not IPv${this.family}` };
      }
      sa = sockaddrFor(this.family, parsed.bytes);
      if (this.#destinations.size > 200_000) this.#destinations.clear();
      this.#destinations.set(ip, sa);
    }
    const sentMicros = realtimeMicros();
    const n = libc().sendto(
      this.#fd,
      packet,
      BigInt(packet.length),
      C.MSG_DONTWAIT,
      sa,
      sa.length,
    );
    if (Number(n) >= 0) {
      if (Deno.env.get("GAP_AFTER") === "1") {
        return { ok: true, sentMicros: realtimeMicros() };
      }
      if (Deno.env.get("GAP_AFTER") === "2") {
        return { ok: true, sentMicros: (sentMicros + realtimeMicros()) / 2 };
      }
      return { ok: true, sentMicros };
    }
    const e = errno();
    return { ok: false, code: errnoName(e), message: strerror(e) };
  }

  receive(): ReceivedPacket | null {
    if (this.#closed) return null;
    const m = this.#msghdr;
    m[1] = BigInt(NAME_BYTES); // msg_namelen (u32 + padding)
    m[5] = BigInt(CONTROL_BYTES); // msg_controllen
    m[6] = 0n; // msg_flags
    const n = Number(
      libc().recvmsg(this.#fd, this.#msghdrBytes, C.MSG_DONTWAIT),
    );
    if (n < 0) return null;
    const source = this.family === 4
      ? formatIp(this.#name.subarray(4, 8))
      : formatIp(this.#name.subarray(8, 24));
    return {
      data: this.#data.subarray(0, n),
      source,
      receivedMicros: this.#kernelTime(Number(m[5])) ?? realtimeMicros(),
    };
  }

  #kernelTime(controlLength: number): number | null {
    const v = this.#controlView;
    let at = 0;
    while (at + 16 <= controlLength) {
      const len = Number(v.getBigUint64(at, true));
      if (len < 16) return null;
      const level = v.getInt32(at + 8, true);
      const type = v.getInt32(at + 12, true);
      if (level === C.SOL_SOCKET && type === C.SO_TIMESTAMPNS && len >= 32) {
        const sec = Number(v.getBigInt64(at + 16, true));
        const nsec = Number(v.getBigInt64(at + 24, true));
        return sec * 1e6 + nsec / 1e3;
      }
      at += (len + 7) & ~7;
    }
    return null;
  }

  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return;
    const ms = Math.max(0, Math.min(Math.ceil(timeoutMs), 1000));
    const pending = libc().poll(this.#pollfd, 1n, ms);
    this.#waiting = pending;
    try {
      await pending;
    } finally {
      this.#waiting = null;
      if (this.#closed) this.#release();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#waiting) this.#release();
  }

  #release(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }
}
