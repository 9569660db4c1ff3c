/**
 * The error code of a failed HTTP(S) check, in the vocabulary of
 * `connect_errors.ts` ("ECONNREFUSED", "EADDRNOTAVAIL"), so the HTTP check
 * tells local faults from target failures exactly as the TCP prober does.
 *
 * The two transports report errors differently:
 * - `node:https` (Deno's Node layer) sets Node's `code`: an errno name for
 *   socket errors, an OpenSSL-style name for certificate errors
 *   ("DEPTH_ZERO_SELF_SIGNED_CERT", "ERR_TLS_CERT_ALTNAME_INVALID").
 * - `fetch` throws `TypeError("fetch failed")` whose `cause` carries only a
 *   message, e.g. "error sending request for url (…): client error (Connect):
 *   tcp connect error: Connection refused (os error 111)" (Deno 2.9.6,
 *   ext/fetch/lib.rs wraps hyper-util's connect error). The errno number is
 *   mapped back to its Linux name; a message without one (reset mid-reply,
 *   a malformed response) is the target's failure.
 * @module
 */

import { connectErrorCode } from "./connect_errors.ts";

/**
 * Linux errno numbers (asm-generic/errno-base.h, errno.h) of the codes that
 * `connect_errors.ts` classifies, plus the resets and timeouts a server
 * causes. The agent runs on Linux only (raw ICMP through libc).
 */
const LINUX_ERRNO: ReadonlyMap<number, string> = new Map([
  [1, "EPERM"],
  [12, "ENOMEM"],
  [13, "EACCES"],
  [22, "EINVAL"],
  [23, "ENFILE"],
  [24, "EMFILE"],
  [32, "EPIPE"],
  [64, "ENONET"],
  [92, "ENOPROTOOPT"],
  [97, "EAFNOSUPPORT"],
  [98, "EADDRINUSE"],
  [99, "EADDRNOTAVAIL"],
  [100, "ENETDOWN"],
  [101, "ENETUNREACH"],
  [103, "ECONNABORTED"],
  [104, "ECONNRESET"],
  [105, "ENOBUFS"],
  [110, "ETIMEDOUT"],
  [111, "ECONNREFUSED"],
  [112, "EHOSTDOWN"],
  [113, "EHOSTUNREACH"],
]);

/**
 * @param e what `fetch` or `node:https` rejected with
 * @returns the errno name ("ECONNREFUSED"), Node's code for TLS errors,
 *   "BlockedPort" for a port the Fetch standard forbids, else the error's
 *   class name ("TypeError")
 */
export function httpErrorCode(e: unknown): string {
  const node = (e as { code?: unknown } | null)?.code;
  if (typeof node === "string" && node !== "") return node;
  for (let err: unknown = e; err instanceof Error; err = err.cause) {
    const errno = /\(os error (\d+)\)/.exec(err.message)?.[1];
    if (errno !== undefined) {
      return LINUX_ERRNO.get(Number(errno)) ?? `errno ${errno}`;
    }
    if (/Requests to port \d+ are blocked/.test(err.message)) {
      return "BlockedPort";
    }
  }
  return connectErrorCode(e instanceof Error && e.cause ? e.cause : e);
}
