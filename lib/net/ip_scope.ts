/**
 * Which addresses are not on the public Internet, and so cannot be the
 * origin of a Cloudflare-proxied record: Cloudflare refuses them with 9003
 * "Target <ip> is not allowed for a proxied record" (DNSControl issue
 * #4776; the same ranges are listed by maxfield-allison/dnsweaver #161:
 * RFC 1918, loopback, link-local, CGNAT 100.64.0.0/10, ULA fc00::/7,
 * unspecified). Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32) are deliberately not listed: Cloudflare
 * accepts them proxied — `192.0.2.1` and `100::` are the conventional
 * placeholders of proxied records in front of Workers (stephenou/fruitionsite
 * #223, alchemy.run's WorkerRoute docs) — so a warning would be wrong.
 * @module
 */
import { parseIp } from "./ip.ts";

/** One range: family, prefix bytes, prefix length and what it is. */
type Range = [4 | 6, number[], number, string];

// deno-fmt-ignore
const RANGES: readonly Range[] = [
  [4, [0], 8, "a \"this network\" address (0.0.0.0/8)"],
  [4, [10], 8, "a private address (RFC 1918)"],
  [4, [100, 64], 10, "a CGNAT address (100.64.0.0/10, RFC 6598)"],
  [4, [127], 8, "a loopback address"],
  [4, [169, 254], 16, "a link-local address"],
  [4, [172, 16], 12, "a private address (RFC 1918)"],
  [4, [192, 168], 16, "a private address (RFC 1918)"],
  [4, [198, 18], 15, "a benchmarking address (198.18.0.0/15)"],
  [4, [224], 4, "a multicast address"],
  [4, [240], 4, "a reserved address (240.0.0.0/4)"],
  [6, [], 128, "the unspecified address"],
  [6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, "a loopback address"],
  [6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, "an IPv4-mapped address"],
  [6, [0xfc], 7, "a unique local address (fc00::/7)"],
  [6, [0xfe, 0x80], 10, "a link-local address"],
  [6, [0xff], 8, "a multicast address"],
];

function inRange(bytes: Uint8Array, prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * @param ip an IPv4 or IPv6 address
 * @returns what kind of non-public address it is ("a private address
 *   (RFC 1918)", "a loopback address", …), or null for a public one (and
 *   for text that is not an address)
 */
export function nonPublicKind(ip: string): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  for (const [family, prefix, bits, kind] of RANGES) {
    if (family === parsed.family && inRange(parsed.bytes, prefix, bits)) {
      return kind;
    }
  }
  return null;
}

// deno-fmt-ignore
const DOCUMENTATION: readonly Range[] = [
  [4, [192, 0, 2], 24, "a documentation address (192.0.2.0/24, RFC 5737)"],
  [4, [198, 51, 100], 24, "a documentation address (198.51.100.0/24, RFC 5737)"],
  [4, [203, 0, 113], 24, "a documentation address (203.0.113.0/24, RFC 5737)"],
  [6, [0x20, 0x01, 0x0d, 0xb8], 32, "a documentation address (2001:db8::/32, RFC 3849)"],
];

/**
 * @param ip an IPv4 or IPv6 address
 * @returns which documentation range holds it, or null. Cloudflare proxies
 *   these (as placeholder origins), but nothing answers there on the
 *   Internet: in a production config they are usually a copied example.
 */
export function documentationKind(ip: string): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  for (const [family, prefix, bits, kind] of DOCUMENTATION) {
    if (family === parsed.family && inRange(parsed.bytes, prefix, bits)) {
      return kind;
    }
  }
  return null;
}
