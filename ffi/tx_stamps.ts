/**
 * Kernel software transmit timestamps (SO_TIMESTAMPING with
 * SOF_TIMESTAMPING_TX_SOFTWARE): the time a probe reached the device, read
 * from the socket error queue and keyed by the id we set per send with
 * SCM_TS_OPT_ID (Linux ≥ 6.13). More accurate than the time taken before
 * `sendto`, which also counts the syscall and the stack.
 * @module
 */

import { C, libc } from "./libc.ts";
import { type Arena, MsgHdr, nextCmsg, timespecMicros } from "./msg.ts";

const RING = 1 << 16;

/** Transmit timestamps of one socket, kept in a ring by send key. */
export class TxStamps {
  #keys = new Int32Array(RING).fill(-1);
  #micros = new Float64Array(RING);
  #err: MsgHdr;
  #send: MsgHdr;
  #next = 0;

  /** @param arena off-heap memory for the error-queue and send headers */
  constructor(arena: Arena) {
    this.#err = new MsgHdr(arena, { name: 0, data: 64, control: 256 });
    this.#send = new MsgHdr(arena, { name: 28, data: 2048, control: 24 });
  }

  /**
   * Turns transmit timestamps on for a socket.
   * @param fd the socket
   * @returns whether the kernel accepted
   */
  static enable(fd: number): boolean {
    const flags = C.SOF_TIMESTAMPING_TX_SOFTWARE | C.SOF_TIMESTAMPING_SOFTWARE |
      C.SOF_TIMESTAMPING_OPT_ID | C.SOF_TIMESTAMPING_OPT_TSONLY;
    const v = new Uint8Array(new Int32Array([flags]).buffer);
    return libc().setsockopt(fd, C.SOL_SOCKET, C.SO_TIMESTAMPING, v, 4) === 0;
  }

  /** Turns transmit timestamps off again (kernel without SCM_TS_OPT_ID). */
  static disable(fd: number): void {
    const v = new Uint8Array(4);
    libc().setsockopt(fd, C.SOL_SOCKET, C.SO_TIMESTAMPING, v, 4);
  }

  /**
   * Sends with sendmsg, tagging the packet's timestamp with a fresh key.
   * @param fd the socket
   * @param sockaddr destination
   * @param packet the ICMP message (copied)
   * @returns sendmsg's result and the key used
   */
  send(
    fd: number,
    sockaddr: Uint8Array,
    packet: Uint8Array,
  ): { n: number; key: number } {
    const m = this.#send;
    const key = this.#next;
    this.#next = (key + 1) & 0x7fffffff;
    m.name.set(sockaddr);
    m.data.set(packet);
    const v = m.controlView;
    v.setBigUint64(0, 20n, true); // CMSG_LEN(sizeof(__u32))
    v.setInt32(8, C.SOL_SOCKET, true);
    v.setInt32(12, C.SCM_TS_OPT_ID, true);
    v.setUint32(16, key, true);
    m.setLengths(sockaddr.length, packet.length, 24);
    const n = Number(libc().sendmsg(fd, m.hdr, C.MSG_DONTWAIT));
    return { n, key };
  }

  /**
   * Reads every queued timestamp from the socket's error queue.
   * @param fd the socket
   */
  drain(fd: number): void {
    const m = this.#err;
    for (let i = 0; i < RING; i++) {
      m.setLengths(0, 64, 256);
      const n = Number(
        libc().recvmsg(fd, m.hdr, C.MSG_ERRQUEUE | C.MSG_DONTWAIT),
      );
      if (n < 0) return;
      this.#record(m);
    }
  }

  #record(m: MsgHdr): void {
    const v = m.controlView;
    const end = m.controlLength;
    let micros = -1;
    let key = -1;
    for (let c = nextCmsg(v, 0, end); c; c = nextCmsg(v, c.next, end)) {
      if (c.level === C.SOL_SOCKET && c.type === C.SO_TIMESTAMPING) {
        if (c.length >= 16) micros = timespecMicros(v, c.at);
      } else if (
        (c.level === C.SOL_IP && c.type === C.IP_RECVERR) ||
        (c.level === C.SOL_IPV6 && c.type === C.IPV6_RECVERR)
      ) {
        // struct sock_extended_err: errno u32, origin u8, type, code, pad,
        // info u32 (SCM_TSTAMP_SND = 0), data u32 (our key)
        if (
          c.length >= 16 &&
          v.getUint8(c.at + 4) === C.SO_EE_ORIGIN_TIMESTAMPING &&
          v.getUint32(c.at + 8, true) === 0
        ) key = v.getUint32(c.at + 12, true);
      }
    }
    if (micros > 0 && key >= 0) {
      this.#keys[key & (RING - 1)] = key;
      this.#micros[key & (RING - 1)] = micros;
    }
  }

  /**
   * @param fd the socket (its error queue is read when the key is missing)
   * @param key the key returned by `send`
   * @returns the kernel transmit time in µs, or null when unknown
   */
  take(fd: number, key: number): number | null {
    const slot = key & (RING - 1);
    if (this.#keys[slot] !== key) this.drain(fd);
    if (this.#keys[slot] !== key) return null;
    this.#keys[slot] = -1;
    return this.#micros[slot]!;
  }
}
