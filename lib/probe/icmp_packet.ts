/**
 * ICMP / ICMPv6 echo messages, pure: encode requests, decode and validate
 * replies, compute the Internet checksum.
 * @module
 */

/** ICMP echo request type per family. */
export const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
/** ICMP echo reply type per family. */
export const ECHO_REPLY = { 4: 0, 6: 129 } as const;
/** Length of the ICMP echo header (type, code, checksum, id, seq). */
export const ECHO_HEADER_LENGTH = 8;

/** The fields of an echo request or reply. */
export interface Echo {
  /** Identifier (16 bits). */
  id: number;
  /** Sequence number (16 bits). */
  seq: number;
  /** Data after the header. */
  payload: Uint8Array;
}

/** Why a datagram is not an acceptable echo reply. */
export type DecodeError =
  | "truncated"
  | "bad-ip-header"
  | "not-icmp"
  | "not-echo-reply"
  | "bad-checksum";

/** Result of {@linkcode decodeEchoReply}. */
export type DecodeResult =
  | { ok: true; value: Echo }
  | { ok: false; error: DecodeError };

/** How a socket delivers datagrams. */
export interface DecodeOptions {
  /** Address family of the socket. */
  family: 4 | 6;
  /** True for raw IPv4 sockets, which deliver the IP header too. */
  ipHeader: boolean;
}

/**
 * Computes the Internet checksum (RFC 1071) of `data`.
 * @param data bytes; an odd length is padded with a zero byte
 * @returns the 16-bit ones'-complement checksum
 */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) {
    sum += (data[i]! << 8) | data[i + 1]!;
  }
  if (even !== data.length) sum += data[even]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Builds an echo request. IPv4 carries its checksum; for IPv6 the field is
 * left zero because the kernel fills it (it needs the pseudo-header).
 * @param family 4 or 6
 * @param echo id, seq (masked to 16 bits) and payload
 * @param out buffer of exactly 8 + payload bytes to write into (reused by
 * the pinger to avoid an allocation per probe). @default a new buffer
 * @returns the ICMP message (no IP header)
 */
export function encodeEchoRequest(
  family: 4 | 6,
  echo: Echo,
  out: Uint8Array = new Uint8Array(ECHO_HEADER_LENGTH + echo.payload.length),
): Uint8Array {
  if (out.length !== ECHO_HEADER_LENGTH + echo.payload.length) {
    throw new RangeError("output buffer length must be 8 + payload length");
  }
  out[0] = ECHO_REQUEST[family];
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out[4] = (echo.id >> 8) & 0xff;
  out[5] = echo.id & 0xff;
  out[6] = (echo.seq >> 8) & 0xff;
  out[7] = echo.seq & 0xff;
  out.set(echo.payload, ECHO_HEADER_LENGTH);
  if (family === 4) {
    const sum = internetChecksum(out);
    out[2] = sum >> 8;
    out[3] = sum & 0xff;
  }
  return out;
}

/**
 * Locates the ICMP message inside a raw IPv4 datagram.
 * @returns the offset of the ICMP header, or a decode error
 */
function skipIpv4Header(data: Uint8Array): number | DecodeError {
  if (data.length < 20) return "truncated";
  const b0 = data[0]!;
  const ihl = (b0 & 0x0f) * 4;
  if (b0 >> 4 !== 4 || ihl < 20) return "bad-ip-header";
  if (data.length < ihl) return "truncated";
  if (data[9] !== 1) return "not-icmp";
  return ihl;
}

/**
 * Decodes and validates an echo reply as a socket delivered it.
 * Rejects truncated data, other ICMP types, non-zero codes and (IPv4) bad
 * checksums. Matching the id is the caller's job: datagram sockets rewrite it.
 * @param data the datagram
 * @param options family and whether an IPv4 header precedes the message
 * @returns the echo fields, or why the datagram was rejected
 */
export function decodeEchoReply(
  data: Uint8Array,
  options: DecodeOptions,
): DecodeResult {
  let offset = 0;
  if (options.family === 4 && options.ipHeader) {
    const skipped = skipIpv4Header(data);
    if (typeof skipped === "string") return { ok: false, error: skipped };
    offset = skipped;
  }
  const icmp = data.subarray(offset);
  if (icmp.length < ECHO_HEADER_LENGTH) {
    return { ok: false, error: "truncated" };
  }
  if (icmp[0] !== ECHO_REPLY[options.family] || icmp[1] !== 0) {
    return { ok: false, error: "not-echo-reply" };
  }
  if (options.family === 4 && internetChecksum(icmp) !== 0) {
    return { ok: false, error: "bad-checksum" };
  }
  return {
    ok: true,
    value: {
      id: (icmp[4]! << 8) | icmp[5]!,
      seq: (icmp[6]! << 8) | icmp[7]!,
      payload: icmp.subarray(ECHO_HEADER_LENGTH),
    },
  };
}

/**
 * Builds an echo reply for a request; used by fakes and tests.
 * @param family 4 or 6
 * @param echo the request's fields
 * @returns the reply message (IPv4 checksummed)
 */
export function encodeEchoReply(family: 4 | 6, echo: Echo): Uint8Array {
  const out = encodeEchoRequest(family, echo);
  out[0] = ECHO_REPLY[family];
  if (family === 4) {
    out[2] = 0;
    out[3] = 0;
    const sum = internetChecksum(out);
    out[2] = sum >> 8;
    out[3] = sum & 0xff;
  }
  return out;
}
