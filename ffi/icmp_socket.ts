/**
 * The real {@linkcode IcmpSocket}: raw ICMP/ICMPv6 sockets through libc FFI,
 * with a fallback to unprivileged ping (datagram) sockets. Replies wake a
 * blocking `poll()` that runs off the JS thread; receive times come from
 * kernel timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME); send times are the
 * kernel's transmit timestamps where supported (see tx_stamps.ts), else
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
import { formatIp, parseIp } from "../lib/net/ip.ts";
import { C, errno, errnoName, libc, realtimeMicros, strerror } from "./libc.ts";
import { Arena, MsgHdr, nextCmsg, timespecMicros } from "./msg.ts";
import { TxStamps } from "./tx_stamps.ts";
import {
  installFilter,
  openFd,
  setBuffer,
  setInt,
  sockaddrFor,
} from "./socket_options.ts";

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
  #arena = new Arena(16384);
  #recv = new MsgHdr(this.#arena, {
    name: NAME_BYTES,
    data: RECV_BYTES,
    control: CONTROL_BYTES,
  });
  // Two pollfds: the socket, and an eventfd that abort/close write to so a
  // long poll() ends at once.
  #pollfd = this.#arena.take(16).bytes;
  #pollView = new DataView(this.#pollfd.buffer, this.#pollfd.byteOffset, 16);
  #wakeFd: number;
  #counter = new Uint8Array(8);
  #tx: TxStamps | null = null;
  #txConfirmed = false;

  constructor(fd: number, family: 4 | 6, kind: "raw" | "dgram") {
    this.#fd = fd;
    this.family = family;
    this.kind = kind;
    this.#wakeFd = libc().eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
    this.#pollView.setInt32(0, fd, true);
    this.#pollView.setInt16(4, C.POLLIN, true);
    this.#pollView.setInt32(8, this.#wakeFd, true);
    this.#pollView.setInt16(12, C.POLLIN, true);
    if (TxStamps.enable(fd)) this.#tx = new TxStamps(this.#arena);
  }

  #sockaddr(ip: string): Uint8Array | null {
    let sa = this.#destinations.get(ip);
    if (sa) return sa;
    const parsed = parseIp(ip);
    if (!parsed || parsed.family !== this.family) return null;
    sa = sockaddrFor(this.family, parsed.bytes);
    if (this.#destinations.size > 200_000) this.#destinations.clear();
    this.#destinations.set(ip, sa);
    return sa;
  }

  send(ip: string, packet: Uint8Array): SendResult {
    if (this.#closed) return { ok: false, code: "EBADF", message: "closed" };
    const sa = this.#sockaddr(ip);
    if (!sa) {
      return { ok: false, code: "EINVAL", message: `not IPv${this.family}` };
    }
    if (this.#tx) {
      const sentMicros = realtimeMicros();
      const { n, key } = this.#tx.send(this.#fd, sa, packet);
      if (n >= 0) {
        this.#txConfirmed = true;
        return { ok: true, sentMicros, token: key };
      }
      const e = errno();
      if (e !== 22 || this.#txConfirmed) return failure(e);
      // EINVAL before any success: maybe a kernel without SCM_TS_OPT_ID.
      const plain = this.#sendto(sa, packet);
      if (!plain.ok) return plain;
      TxStamps.disable(this.#fd);
      this.#tx = null;
      return plain;
    }
    return this.#sendto(sa, packet);
  }

  #sendto(sa: Uint8Array, packet: Uint8Array): SendResult {
    const sentMicros = realtimeMicros();
    const n = libc().sendto(
      this.#fd,
      packet,
      BigInt(packet.length),
      C.MSG_DONTWAIT,
      sa,
      sa.length,
    );
    return Number(n) >= 0 ? { ok: true, sentMicros } : failure(errno());
  }

  transmitMicros(token: number): number | null {
    if (!this.#tx || this.#closed) return null;
    return this.#tx.take(this.#fd, token);
  }

  receive(): ReceivedPacket | null {
    if (this.#closed) return null;
    const m = this.#recv;
    m.setLengths(NAME_BYTES, RECV_BYTES, CONTROL_BYTES);
    const n = Number(libc().recvmsg(this.#fd, m.hdr, C.MSG_DONTWAIT));
    if (n < 0) return null;
    const source = this.family === 4
      ? formatIp(m.name.subarray(4, 8))
      : formatIp(m.name.subarray(8, 24));
    return {
      data: m.data.subarray(0, n),
      source,
      receivedMicros: this.#kernelTime(m) ?? realtimeMicros(),
    };
  }

  #kernelTime(m: MsgHdr): number | null {
    const v = m.controlView;
    const end = m.controlLength;
    for (let c = nextCmsg(v, 0, end); c; c = nextCmsg(v, c.next, end)) {
      if (c.level === C.SOL_SOCKET && c.type === C.SO_TIMESTAMPNS) {
        return c.length >= 16 ? timespecMicros(v, c.at) : null;
      }
    }
    return null;
  }

  async wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed) return false;
    if (signal?.aborted) return true;
    // Without the eventfd an abort cannot end the poll: keep waits short.
    const cap = this.#wakeFd >= 0 ? 60_000 : 250;
    const ms = Math.max(0, Math.min(Math.ceil(timeoutMs), cap));
    this.#pollView.setInt16(6, 0, true);
    this.#pollView.setInt16(14, 0, true);
    const wake = () => this.#wake();
    signal?.addEventListener("abort", wake, { once: true });
    const nfds = this.#wakeFd >= 0 ? 2n : 1n;
    const pending = libc().poll(this.#pollfd, nfds, ms);
    this.#waiting = pending;
    try {
      await pending;
    } finally {
      signal?.removeEventListener("abort", wake);
      this.#waiting = null;
      if (this.#closed) this.#release();
    }
    if (this.#pollView.getInt16(14, true) & C.POLLIN) {
      libc().read(this.#wakeFd, this.#counter, 8n); // reset the eventfd
    }
    // POLLERR means queued transmit timestamps; reading them re-arms poll.
    const revents = this.#pollView.getInt16(6, true);
    if (this.#tx && (revents & C.POLLERR)) this.#tx.drain(this.#fd);
    return !this.#closed;
  }

  #wake(): void {
    if (this.#wakeFd < 0) return;
    const one = new Uint8Array(new BigUint64Array([1n]).buffer);
    libc().write(this.#wakeFd, one, 8n);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiting) this.#wake();
    else this.#release();
  }

  #release(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    if (this.#wakeFd >= 0) libc().close(this.#wakeFd);
    this.#fd = -1;
    this.#wakeFd = -1;
  }
}

function failure(e: number): SendResult {
  return { ok: false, code: errnoName(e), message: strerror(e) };
}
