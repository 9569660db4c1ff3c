/**
 * One HTTP(S) health check of one target IP: connect to the IP, send the
 * check's Host (and for https its SNI, verifying the certificate for that
 * name), follow no redirect, and match the status and, when asked, a
 * substring of the first 64 KiB of the body. Yields the same
 * {@linkcode Observation} as the ICMP and TCP probes.
 *
 * Whose fault a failure is:
 * - the target's: a status or body that does not match, no reply in time,
 *   a refused or reset connection, a TLS failure (bad certificate, failed
 *   handshake), an unreachable error the network sent back;
 * - this host's (`fault: "local"`, feeds the isolation guard, not the
 *   verdict): errors raised before a packet leaves — no route, no source
 *   address, out of file descriptors — classified by `connect_errors.ts`
 *   exactly as for TCP probes (Node's errors carry the same errno `code`).
 *
 * A target failure that is not a timeout carries no `fault`, only a
 * `detail` ("status 503", "body mismatch", "ECONNREFUSED"), so the verdict
 * says "3 consecutive failures (last: status 503)", not "timeouts".
 * @module
 */

import type { CheckConfig } from "../config/types.ts";
import { type Clock, systemClock } from "../observe/clock.ts";
import { canonicalIp } from "../net/ip.ts";
import { classifyConnectError, connectErrorCode } from "./connect_errors.ts";
import {
  type HttpRequestSpec,
  type HttpTransport,
  sendHttpRequest,
} from "./http_transport.ts";
import type { Observation, RouteLookup } from "./types.ts";

/** Bytes of the body searched for `expectBody`; no more is read. */
export const BODY_LIMIT = 64 * 1024;

/** What to check, resolved from a pool's `[pool.check]` or a `--check` URL. */
export interface HttpCheckSpec {
  /** "http" or "https". */
  scheme: "http" | "https";
  /** Host header, SNI and verified name; an IP literal sends no SNI. */
  host: string;
  /** Target port. @default 80 for http, 443 for https (see {@linkcode defaultPort}) */
  port: number;
  /** Request path with optional query, starting with "/". @default "/" */
  path: string;
  /** Accepted status codes; null: any 2xx or 3xx. @default null */
  expectStatus: readonly number[] | null;
  /** Substring the first 64 KiB of the body must contain; null: any body. */
  expectBody: string | null;
  /**
   * Milliseconds for the whole check, connect to body; the caller resolves
   * the pool's default, min(interval, 1 s).
   */
  timeoutMs: number;
  /** https: verify the certificate chain and name. @default true */
  tlsVerify: boolean;
  /** https: trusted roots in PEM for a private CA (Node's `ca` option). */
  caCerts?: string[];
  /** Source address; default: the kernel's choice. */
  localAddress?: string;
}

/** Dependencies of {@linkcode runHttpCheck}. */
export interface HttpCheckOptions {
  /** Times the check and stamps the observation. @default systemClock */
  clock?: Clock;
  /**
   * Tells a local "no route" from an unreachable sent by the network (see
   * `connect_errors.ts`). @default none: unreachable errors count as local
   */
  hasRoute?: RouteLookup;
  /** Sends the request; tests substitute it. @default sendHttpRequest */
  transport?: HttpTransport;
}

/**
 * @param scheme "http" or "https"
 * @returns 80 or 443
 */
export function defaultPort(scheme: "http" | "https"): number {
  return scheme === "https" ? 443 : 80;
}

/**
 * Checks `ip` once.
 * @param ip the target, as the observation should name it
 * @param spec what to send and what to expect
 * @param options clock, route lookup, transport
 * @returns the observation; `status` is set whenever a response arrived.
 *   `rttMicros` runs from the start to the response headers (connect, TLS
 *   and the server's time to answer). Never rejects.
 */
export async function runHttpCheck(
  ip: string,
  spec: HttpCheckSpec,
  options: HttpCheckOptions = {},
): Promise<Observation> {
  const clock = options.clock ?? systemClock;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = clock.sleep(spec.timeoutMs, ctl.signal).then(() => {
    if (ctl.signal.aborted) return;
    timedOut = true;
    ctl.abort();
  });
  const started = clock.monotonicMicros();
  let status: number | undefined; // once a response arrived
  const fail = (rest: Partial<Observation>): Observation => ({
    ip,
    ok: false,
    rttMicros: null,
    at: clock.now(),
    ...(status === undefined ? {} : { status }),
    ...rest,
  });
  try {
    const send = options.transport ?? sendHttpRequest;
    const reply = await send(requestOf(ip, spec, ctl.signal));
    const rttMicros = Math.round(clock.monotonicMicros() - started);
    status = reply.status;
    try {
      if (!statusMatches(status, spec.expectStatus)) {
        return fail({ detail: `status ${status}` });
      }
      if (spec.expectBody !== null) {
        const needle = new TextEncoder().encode(spec.expectBody);
        if (!(await bodyContains(reply.body, needle, BODY_LIMIT))) {
          // a body cut short by the timeout is a timeout, not a mismatch
          return fail(
            timedOut ? { fault: "timeout" } : { detail: "body mismatch" },
          );
        }
      }
    } finally {
      await reply.close();
    }
    if (timedOut) return fail({ fault: "timeout" });
    return { ip, ok: true, rttMicros, at: clock.now(), status };
  } catch (e) {
    if (timedOut) return fail({ fault: "timeout" });
    const code = connectErrorCode(e);
    if (whoseFault(ip, code, options.hasRoute) === "local") {
      return fail({ fault: "local", detail: code });
    }
    return fail({ detail: code });
  } finally {
    ctl.abort();
    await timer;
  }
}

function requestOf(
  ip: string,
  spec: HttpCheckSpec,
  signal: AbortSignal,
): HttpRequestSpec {
  return {
    scheme: spec.scheme,
    ip: canonicalIp(ip) ?? ip,
    port: spec.port,
    path: spec.path,
    hostHeader: hostHeader(spec),
    tlsHost: spec.host,
    tlsVerify: spec.tlsVerify,
    ...(spec.caCerts ? { caCerts: spec.caCerts } : {}),
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
    signal,
  };
}

/**
 * @param spec the check
 * @returns the Host header a browser would send for the check's URL: the
 *   host, bracketed when IPv6, with the port unless it is the default
 */
export function hostHeader(spec: HttpCheckSpec): string {
  const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
  return spec.port === defaultPort(spec.scheme) ? host : `${host}:${spec.port}`;
}

/**
 * @param status the response's status code
 * @param expected accepted codes, or null for any 2xx or 3xx
 * @returns whether the status passes
 */
export function statusMatches(
  status: number,
  expected: readonly number[] | null,
): boolean {
  return expected === null
    ? status >= 200 && status <= 399
    : expected.includes(status);
}

function whoseFault(
  ip: string,
  code: string,
  hasRoute: RouteLookup | undefined,
): "local" | "target" {
  return classifyConnectError(code, () => hasRoute?.(ip) ?? null);
}

/**
 * Reads the body until `needle` shows up within its first `limit` bytes;
 * stops reading as soon as it does, or at the limit (the rest stays unread).
 * @param body the body's chunks
 * @param needle bytes sought
 * @param limit bytes searched at most
 * @returns whether `needle` lies wholly within the first `limit` bytes
 */
export async function bodyContains(
  body: AsyncIterable<Uint8Array>,
  needle: Uint8Array,
  limit: number,
): Promise<boolean> {
  if (needle.length === 0) return true;
  const head = new Uint8Array(limit);
  let size = 0;
  for await (const chunk of body) {
    const take = Math.min(chunk.length, limit - size);
    head.set(chunk.subarray(0, take), size);
    // only matches that end in the new bytes are new
    const from = Math.max(0, size - needle.length + 1);
    size += take;
    if (contains(head.subarray(from, size), needle)) return true;
    if (size >= limit) return false;
  }
  return false;
}

/**
 * @param haystack bytes searched
 * @param needle bytes sought; an empty needle is always found
 * @returns whether `needle` occurs in `haystack`
 */
export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  if (first === undefined) return true;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first); i !== -1 && i <= last;) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
    i = haystack.indexOf(first, i + 1);
  }
  return false;
}

/**
 * @param c a pool's HTTP(S) check (`type` "http" or "https", port resolved)
 * @returns what {@linkcode runHttpCheck} needs of it, but the timeout
 */
export function httpCheckSpec(
  c: CheckConfig & { type: "http" | "https" },
): Omit<HttpCheckSpec, "timeoutMs"> {
  return {
    scheme: c.type,
    host: c.host,
    port: c.port!,
    path: c.path,
    expectStatus: c.expectStatus,
    expectBody: c.expectBody,
    tlsVerify: c.tlsVerify,
  };
}
