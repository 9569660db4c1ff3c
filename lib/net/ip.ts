/**
 * IP address text ⇄ bytes, pure, and the one canonical text form every part
 * of goavail compares addresses by (RFC 5952 for IPv6): config values, probe
 * reply sources, DNS record contents and peer addresses.
 * @module
 */

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

/**
 * Parses dotted-quad IPv4 or IPv6 text (with `::` and an embedded IPv4 tail).
 * @param text the address; zone ids (`%eth0`) are rejected
 * @returns the bytes, or null when `text` is not an address
 */
export function parseIp(text: string): IpBytes | null {
  if (text.includes(":")) {
    const bytes = parseV6(text);
    return bytes ? { family: 6, bytes } : null;
  }
  const bytes = parseV4(text);
  return bytes ? { family: 4, bytes } : null;
}

function parseV4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? "";
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseGroups(text: string): number[] | null {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = parseV4(p);
      if (!v4) return null;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0));
      groups.push(((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

function parseV6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * Formats address bytes as canonical text.
 * @param bytes 4 or 16 bytes
 * @returns dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`)
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  }
  let bestAt = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(":");
  const left = hex.slice(0, bestAt).join(":");
  const right = hex.slice(bestAt + bestLen).join(":");
  return `${left}::${right}`;
}

/**
 * @param text an address
 * @returns its canonical text form, or null when it is not an address
 */
export function canonicalIp(text: string): string | null {
  const parsed = parseIp(text);
  return parsed ? formatIp(parsed.bytes) : null;
}
