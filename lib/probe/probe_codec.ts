/**
 * The pinger's wire format: an echo request whose payload starts with a
 * per-pinger cookie and the 32-bit probe number (its low 16 bits are the
 * ICMP sequence). Replies are accepted only when every field agrees, which
 * rejects other pingers' traffic on the same host (raw sockets see all
 * echo replies) and stale replies after a sequence wrap.
 * @module
 */

import { decodeEchoReply, encodeEchoRequest } from "./icmp_packet.ts";

/** Bytes of the payload the codec uses (cookie + probe number). */
export const TAG_BYTES = 8;

function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) |
    buf[at + 3]!) >>> 0;
}

/** Encodes probes and recognises their replies; reuses one buffer. */
export class ProbeCodec {
  /** Echo identifier written into requests. */
  readonly id: number;
  /** Random tag identifying this pinger's probes. */
  readonly cookie: number;
  #payload: Uint8Array;
  #packet: Uint8Array;

  /**
   * @param id 16-bit echo identifier
   * @param cookie 32-bit tag
   * @param payloadBytes payload size (at least {@linkcode TAG_BYTES})
   */
  constructor(id: number, cookie: number, payloadBytes: number) {
    this.id = id & 0xffff;
    this.cookie = cookie >>> 0;
    const size = Math.max(TAG_BYTES, payloadBytes);
    this.#payload = new Uint8Array(size);
    this.#packet = new Uint8Array(8 + size);
  }

  /**
   * @param family 4 or 6
   * @param probe 32-bit probe number
   * @returns the echo request; the buffer is reused by the next call
   */
  encode(family: 4 | 6, probe: number): Uint8Array {
    writeU32(this.#payload, 0, this.cookie);
    writeU32(this.#payload, 4, probe);
    return encodeEchoRequest(
      family,
      { id: this.id, seq: probe & 0xffff, payload: this.#payload },
      this.#packet,
    );
  }

  /**
   * @param socket family and kind of the socket the datagram came from
   * (datagram sockets rewrite the id, raw IPv4 ones include the IP header)
   * @param data the datagram
   * @returns the probe number of one of our echo replies, or null
   */
  decode(
    socket: { family: 4 | 6; kind: "raw" | "dgram" },
    data: Uint8Array,
  ): number | null {
    const decoded = decodeEchoReply(data, {
      family: socket.family,
      ipHeader: socket.family === 4 && socket.kind === "raw",
    });
    if (!decoded.ok) return null;
    const { id, seq, payload } = decoded.value;
    if (socket.kind === "raw" && id !== this.id) return null;
    if (payload.length < TAG_BYTES) return null;
    if (readU32(payload, 0) !== this.cookie) return null;
    const probe = readU32(payload, 4);
    return (probe & 0xffff) === seq ? probe : null;
  }
}
