/**
 * Sealing and opening peer messages (DESIGN.md §3), WebCrypto only.
 *
 * Frame: `version(1)=1 ‖ keyId(1) ‖ nonce(12, random) ‖ AES-256-GCM(ciphertext ‖ tag(16))`.
 * - AAD = UTF-8 `"goavail/1"` ‖ keyId byte ‖ UTF-8 sender node id. The
 *   sender id travels in the `x-goavail-from` HTTP header, is bound by the
 *   AAD (a changed header fails the tag), and must equal the plaintext's
 *   `from` (checked by {@linkcode openHeartbeat}).
 * - Key = HKDF-SHA256(ikm = UTF-8 bytes of the configured `crypto_key`
 *   string as written, salt = UTF-8 `"goavail peer salt v1"`, info =
 *   `"goavail peer v1"`), 256 bits. The key string is opaque: `goavail
 *   keygen` prints 32 random bytes in base64, but any string works the same
 *   on every agent.
 * - keyId = first byte of SHA-256(derived key bytes). Two configured keys
 *   may share an id (1 in 256); opening then tries each.
 * - `crypto_keys = [new, old]`: seal with the first, open with any.
 * - Plaintext = JSON heartbeat, gzip-compressed when longer than 512
 *   bytes (detected by the gzip magic `1f 8b`, which JSON never starts
 *   with); at most 8 MiB once inflated.
 * - `insecure_plaintext`: with no key, frames are `version(1)=0 ‖ plaintext`,
 *   accepted only by receivers configured the same way.
 * @module
 */

import { compactView } from "./compact_view.ts";
import { gunzip, gzip } from "./gzip.ts";
import {
  type Heartbeat,
  parseHeartbeat,
  type RejectReason,
  type Result,
} from "./types.ts";

/** Version byte of encrypted frames. */
export const WIRE_VERSION = 1;
/** Version byte of plaintext frames (`insecure_plaintext` only). */
export const PLAINTEXT_VERSION = 0;
/** HKDF salt (fixed, public). */
export const HKDF_SALT = "goavail peer salt v1";
/** HKDF info. */
export const HKDF_INFO = "goavail peer v1";
/** AAD prefix. */
export const AAD_PREFIX = "goavail/1";
/** Bytes before the ciphertext: version, key id, nonce. */
export const HEADER_BYTES = 14;
/** GCM tag length in bytes. */
export const TAG_BYTES = 16;
/** Largest plaintext accepted after inflating. */
export const MAX_PLAINTEXT_BYTES = 8 * 1024 * 1024;
const COMPRESS_ABOVE = 512;

const enc = new TextEncoder();
/** Bytes backed by a plain ArrayBuffer (what `fetch` and WebCrypto take). */
export type Bytes = Uint8Array<ArrayBuffer>;
/** Views any byte array as ArrayBuffer-backed (what WebCrypto's types want). */
const buf = (u: Uint8Array): Bytes => u as Bytes;
const dec = new TextDecoder("utf-8", { fatal: true });

/** One derived AES-256-GCM key and its id byte. */
export interface PeerKey {
  id: number;
  key: CryptoKey;
}

/** The keys in force: the first seals, any opens. */
export interface Keyring {
  keys: PeerKey[];
  /** Whether version-0 plaintext frames are sent (without keys) and accepted. */
  allowPlaintext: boolean;
}

/** Raised when sealing is impossible (no key and no plaintext mode). */
export class PeerAuthError extends Error {
  /** @param message what failed and what to do */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PeerAuthError";
  }
}

/**
 * Derives the AES key and key id of one configured secret.
 * @param secret the `crypto_key` string as configured
 */
export async function deriveKey(secret: string): Promise<PeerKey> {
  const ikm = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    "HKDF",
    false,
    ["deriveBits"],
  );
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: enc.encode(HKDF_SALT),
        info: enc.encode(HKDF_INFO),
      },
      ikm,
      256,
    ),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bits));
  const key = await crypto.subtle.importKey("raw", bits, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  bits.fill(0);
  return { id: digest[0] ?? 0, key };
}

/**
 * Builds the keyring from `members.crypto_keys`. Plaintext is allowed only
 * when no key is set: with a key, an unauthenticated frame could forge any
 * peer's votes, so `insecure_plaintext` is then ignored.
 * @param secrets configured keys; the first seals, all open
 * @param insecurePlaintext `members.insecure_plaintext`
 */
export async function deriveKeyring(
  secrets: readonly string[],
  insecurePlaintext: boolean,
): Promise<Keyring> {
  const keys = await Promise.all(secrets.map(deriveKey));
  return { keys, allowPlaintext: insecurePlaintext && keys.length === 0 };
}

/**
 * Seals bytes for `sender` with the ring's first key (or as a plaintext
 * frame when the ring has no key and allows plaintext).
 * @throws {PeerAuthError} when the ring has no key and forbids plaintext
 */
export async function seal(
  plaintext: Uint8Array,
  sender: string,
  ring: Keyring,
): Promise<Bytes> {
  const k = ring.keys[0];
  if (!k) {
    if (!ring.allowPlaintext) {
      throw new PeerAuthError(
        'Cannot send heartbeats: no "crypto_key" is set; add one (goavail keygen) or set "insecure_plaintext = true"',
      );
    }
    const out = new Uint8Array(1 + plaintext.length);
    out[0] = PLAINTEXT_VERSION;
    out.set(plaintext, 1);
    return out;
  }
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: aad(k.id, sender) },
      k.key,
      buf(plaintext),
    ),
  );
  const out = new Uint8Array(HEADER_BYTES + sealed.length);
  out[0] = WIRE_VERSION;
  out[1] = k.id;
  out.set(nonce, 2);
  out.set(sealed, HEADER_BYTES);
  return out;
}

function aad(keyId: number, sender: string): Bytes {
  const prefix = enc.encode(AAD_PREFIX);
  const who = enc.encode(sender);
  const out = new Uint8Array(prefix.length + 1 + who.length);
  out.set(prefix, 0);
  out[prefix.length] = keyId;
  out.set(who, prefix.length + 1);
  return out;
}

/**
 * Opens a frame claimed to come from `sender`. Never throws.
 * @returns the plaintext bytes, or why the frame was refused
 */
export async function open(
  frame: Uint8Array,
  sender: string,
  ring: Keyring,
): Promise<Result<Uint8Array, RejectReason>> {
  if (frame.length < 1) return { ok: false, error: "truncated" };
  if (frame[0] === PLAINTEXT_VERSION) {
    if (!ring.allowPlaintext) return { ok: false, error: "plaintext_refused" };
    return { ok: true, value: frame.subarray(1) };
  }
  if (frame[0] !== WIRE_VERSION) return { ok: false, error: "bad_version" };
  if (frame.length < HEADER_BYTES + TAG_BYTES) {
    return { ok: false, error: "truncated" };
  }
  const keyId = frame[1] ?? 0;
  const candidates = ring.keys.filter((k) => k.id === keyId);
  if (candidates.length === 0) return { ok: false, error: "unknown_key" };
  const iv = buf(frame.subarray(2, HEADER_BYTES));
  const body = buf(frame.subarray(HEADER_BYTES));
  const additionalData = aad(keyId, sender);
  for (const k of candidates) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData },
        k.key,
        body,
      );
      return { ok: true, value: new Uint8Array(plain) };
    } catch {
      // wrong key or tampered frame: try the next candidate
    }
  }
  return { ok: false, error: "bad_tag" };
}

/**
 * Encodes and seals a heartbeat (JSON, gzip above 512 bytes).
 * @param hb the heartbeat
 * @param ring the keys
 * @param compact send the view as columns (lib/cluster/compact_view.ts);
 *   only for peers that read it @default false
 * @throws {PeerAuthError} when the ring has no key and forbids plaintext
 */
export async function sealHeartbeat(
  hb: Heartbeat,
  ring: Keyring,
  compact = false,
): Promise<Bytes> {
  const { view, ...rest } = hb;
  const body = compact ? { ...rest, cols: compactView(view, hb.sentAt) } : hb;
  let bytes: Uint8Array = enc.encode(JSON.stringify(body));
  if (bytes.length > COMPRESS_ABOVE) bytes = await gzip(bytes);
  return await seal(bytes, hb.from, ring);
}

/**
 * Opens, inflates, parses and validates a heartbeat; the plaintext `from`
 * must equal `sender`. Never throws.
 * @returns the heartbeat, or why it was refused
 */
export async function openHeartbeat(
  frame: Uint8Array,
  sender: string,
  ring: Keyring,
): Promise<Result<Heartbeat, RejectReason>> {
  const opened = await open(frame, sender, ring);
  if (!opened.ok) return opened;
  let bytes = opened.value;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const inflated = await gunzip(bytes, MAX_PLAINTEXT_BYTES);
    if (!inflated) return { ok: false, error: "bad_encoding" };
    bytes = inflated;
  }
  let json: unknown;
  try {
    json = JSON.parse(dec.decode(bytes));
  } catch {
    return { ok: false, error: "bad_json" };
  }
  const hb = parseHeartbeat(json);
  if (!hb.ok) return { ok: false, error: "bad_schema" };
  if (hb.value.from !== sender) return { ok: false, error: "sender_mismatch" };
  return hb;
}

/**
 * Checks a configured key's strength. HKDF does not slow down guessing, so
 * a short or human-chosen key can be brute-forced from one captured frame.
 * @param secret a `crypto_key` value
 * @returns a warning (without the key) when it is shorter than 24
 *   characters, else null
 */
export function weakKeyWarning(secret: string): string | null {
  if (secret.length >= 24) return null;
  return `a "crypto_key" of ${secret.length} characters is easy to guess; make one with "goavail keygen"`;
}

/** @returns a new random key for `crypto_key`: 32 bytes in base64. */
export function generateCryptoKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b));
}
