/**
 * Pure mapping between Cloudflare API shapes and goavail's: records in,
 * SDK errors to {@linkcode DnsProviderError}. Works on structure only, so it
 * needs no import of the SDK.
 * @module
 */

import { canonicalIp, DnsProviderError, type DnsRecord } from "./provider.ts";
import {
  allCodes,
  describeDetails,
  errorDetails,
  isCredentialError,
  proxyHint,
} from "./cloudflare_errors.ts";

/**
 * Parses one record from an API reply.
 * @param raw a record object from the API
 * @returns the record, or null when it is not a well-formed A/AAAA record
 */
export function toDnsRecord(raw: unknown): DnsRecord | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (r.type !== "A" && r.type !== "AAAA") return null;
  if (typeof r.name !== "string" || typeof r.content !== "string") return null;
  const tags = Array.isArray(r.tags)
    ? r.tags.filter((t): t is string => typeof t === "string")
    : [];
  return {
    ...(typeof r.id === "string" ? { id: r.id } : {}),
    type: r.type,
    name: r.name.toLowerCase().replace(/\.$/, ""),
    content: canonicalIp(r.content),
    ttl: typeof r.ttl === "number" ? r.ttl : 1,
    proxied: r.proxied === true,
    comment: typeof r.comment === "string" && r.comment !== ""
      ? r.comment
      : null,
    tags,
    ...(isPlainObject(r.settings) && Object.keys(r.settings).length > 0
      ? { settings: structuredClone(r.settings) }
      : {}),
    // Only a set flag is kept: false is the default, and a restore then
    // sends nothing a zone without private routing could refuse.
    ...(r.private_routing === true ? { privateRouting: true } : {}),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses `retry-after` (seconds or HTTP date) or `retry-after-ms`.
 * @param headers reply headers, if any
 * @param nowMs current wall-clock time, for HTTP dates
 * @returns milliseconds to wait, or undefined when absent or unparsable
 */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Classifies anything the SDK threw. The message is built from the HTTP
 * status and Cloudflare's error codes/messages (with their `error_chain`)
 * only, never from request data, so no credential can leak through it.
 * Refused credentials are kind "auth" whether they come as 401, 403 or a
 * 400 carrying a credential code (see `cloudflare_errors.ts`).
 * @param e the thrown value
 * @param op what was attempted, e.g. "batch"
 * @returns the classified error
 */
export function toProviderError(e: unknown, op: string): DnsProviderError {
  if (e instanceof DnsProviderError) return e;
  const err = (typeof e === "object" && e !== null ? e : {}) as {
    name?: unknown;
    status?: unknown;
    errors?: unknown;
    headers?: { get(name: string): string | null };
  };
  const ctor = (e as { constructor?: { name?: unknown } } | null)?.constructor;
  const name = typeof ctor?.name === "string" && ctor.name !== "Error"
    ? ctor.name
    : typeof err.name === "string"
    ? err.name
    : "Error";
  const status = typeof err.status === "number" ? err.status : undefined;
  const details = errorDetails(err.errors);
  const codes = allCodes(details);
  const text = describeDetails(details);
  const base = `Cloudflare ${op} failed`;
  if (status === undefined) {
    const what = /timeout/i.test(name) ? "timed out" : `no reply (${name})`;
    return new DnsProviderError("server", `${base}: ${what}`, { cause: e });
  }
  const hint = proxyHint(codes);
  const message = `${base}: HTTP ${status}${text ? ` (${text})` : ""}${
    hint ? `: ${hint}` : ""
  }`;
  const options = { status, codes, cause: e };
  if (status === 429) {
    // Without a usable retry-after the reconciler backs off on its own.
    const retryAfterMs = parseRetryAfter(err.headers);
    return new DnsProviderError("rate_limited", message, {
      ...options,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (isCredentialError(status, codes)) {
    return new DnsProviderError("auth", message, options);
  }
  if (status === 409) return new DnsProviderError("conflict", message, options);
  if (status >= 500 || status === 408) {
    return new DnsProviderError("server", message, options);
  }
  return new DnsProviderError("bad_request", message, options);
}
