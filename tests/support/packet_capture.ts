/**
 * A minimal packet capture (AF_PACKET, like tcpdump) with kernel receive
 * timestamps, used by the benchmark as the reference for RTT accuracy:
 * the wire RTT of an echo is the time between the request leaving the
 * interface and the reply arriving on it.
 * @module
 */

import { C, errno, libc, strerror } from "../../ffi/libc.ts";
import { Arena, MsgHdr, nextCmsg, timespecMicros } from "../../ffi/msg.ts";

const ETH_P_ALL_BE = 0x0300; // htons(0x0003)
const PACKET_OUTGOING = 4;

/** One captured ICMP echo packet. */
interface EchoSeen {
  key: string;
  request: boolean;
  micros: number;
}

/** Captures packets on one interface of the current namespace. */
export class PacketCapture {
  #fd: number;
  #msg = new MsgHdr(new Arena(8192), { name: 20, data: 2048, control: 128 });

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Opens a capture on `iface` with an 8 MiB buffer; packets queue in the
   * kernel until {@linkcode echoRtts} reads them.
   * @param iface interface name, e.g. "eth0"
   * @throws Error when the socket cannot be opened (needs root)
   */
  static open(iface: string): PacketCapture {
    const fd = libc().socket(C.AF_PACKET, C.SOCK_DGRAM, ETH_P_ALL_BE);
    if (fd < 0) throw new Error(`AF_PACKET socket: ${strerror(errno())}`);
    const index = libc().if_nametoindex(new TextEncoder().encode(iface + "\0"));
    const sll = new Uint8Array(20);
    const v = new DataView(sll.buffer);
    v.setUint16(0, C.AF_PACKET, true);
    v.setUint16(2, ETH_P_ALL_BE, true);
    v.setInt32(4, index, true);
    if (libc().bind(fd, sll, 20) !== 0) {
      libc().close(fd);
      throw new Error(`bind ${iface}: ${strerror(errno())}`);
    }
    const int = (n: number) => new Uint8Array(new Int32Array([n]).buffer);
    libc().setsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUFFORCE, int(8 << 20), 4);
    libc().setsockopt(fd, C.SOL_SOCKET, C.SO_TIMESTAMPNS, int(1), 4);
    return new PacketCapture(fd);
  }

  #read(): { data: Uint8Array; outgoing: boolean; micros: number } | null {
    const m = this.#msg;
    m.setLengths(20, 2048, 128);
    const n = Number(libc().recvmsg(this.#fd, m.hdr, C.MSG_DONTWAIT));
    if (n < 0) return null;
    let micros = 0;
    const v = m.controlView;
    for (
      let c = nextCmsg(v, 0, m.controlLength);
      c;
      c = nextCmsg(v, c.next, m.controlLength)
    ) {
      if (c.level === C.SOL_SOCKET && c.type === C.SO_TIMESTAMPNS) {
        micros = timespecMicros(v, c.at);
      }
    }
    return {
      data: m.data.slice(0, n),
      outgoing: m.name[10] === PACKET_OUTGOING,
      micros,
    };
  }

  #echo(p: { data: Uint8Array; micros: number }): EchoSeen | null {
    const d = p.data;
    let icmp: Uint8Array;
    let request: boolean;
    if (d[0]! >> 4 === 4 && d[9] === 1) {
      icmp = d.subarray((d[0]! & 0xf) * 4);
      if (icmp[0] !== 8 && icmp[0] !== 0) return null;
      request = icmp[0] === 8;
    } else if (d[0]! >> 4 === 6 && d[6] === 58) {
      icmp = d.subarray(40);
      if (icmp[0] !== 128 && icmp[0] !== 129) return null;
      request = icmp[0] === 128;
    } else return null;
    if (icmp.length < 8) return null;
    const key = `${(icmp[4]! << 8) | icmp[5]!}:${(icmp[6]! << 8) | icmp[7]!}`;
    return { key, request, micros: p.micros };
  }

  /**
   * Reads everything captured so far and pairs requests with replies.
   * @param prober where the prober is: "here" (this namespace sends the
   *   requests: requests outgoing, replies incoming) or "peer" (the
   *   interface faces the prober, e.g. its bridge port: requests incoming,
   *   replies outgoing)
   * @returns wire RTTs (µs) in request order, for requests that got a reply
   */
  echoRtts(prober: "here" | "peer" = "here"): number[] {
    const requestOut = prober === "here";
    const sent = new Map<string, number>();
    const order: string[] = [];
    const rtt = new Map<string, number>();
    for (let i = 0; i < 1_000_000; i++) {
      const p = this.#read();
      if (!p) break;
      const e = this.#echo(p);
      if (!e) continue;
      if (e.request && p.outgoing === requestOut) {
        sent.set(e.key, e.micros);
        order.push(e.key);
      } else if (!e.request && p.outgoing !== requestOut) {
        const at = sent.get(e.key);
        if (at !== undefined && !rtt.has(e.key)) rtt.set(e.key, e.micros - at);
      }
    }
    return order.flatMap((k) => {
      const r = rtt.get(k);
      return r === undefined ? [] : [r];
    });
  }

  /** Closes the capture socket. */
  close(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }
}
