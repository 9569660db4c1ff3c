/**
 * Whose fault a failed TCP connect is: the target's (the network answered,
 * or nothing answered in time) or this host's (the connect never left it).
 *
 * The difference decides whether a dead target is removed or the agent
 * suspects itself. A firewall that rejects with `icmp-host-prohibited` makes
 * `connect()` fail with EHOSTUNREACH — exactly the errno of a local
 * `unreachable` route — so the errno alone cannot tell: for the two
 * "unreachable" codes the kernel's routing table decides. With a usable route
 * the error came back from the network (a router's ICMP, or the neighbour
 * never answering ARP/ND); without one, no packet was sent.
 *
 * Linux sources of each code (net/ipv4/icmp.c `icmp_err_convert`,
 * net/ipv4/fib_semantics.c `fib_props`; Deno sets `err.code`, checked in a
 * namespace with iptables REJECT of every kind and every route type):
 * - from the network: ECONNREFUSED (RST, port unreachable), EHOSTUNREACH
 *   (host unreachable, host or admin prohibited, ARP failure), ENETUNREACH
 *   (net unreachable or prohibited), EHOSTDOWN, ENONET, ENOPROTOOPT, plus
 *   resets and timeouts;
 * - before any packet leaves: ENETUNREACH (no route), EHOSTUNREACH
 *   (`unreachable` route), EACCES (`prohibit` route), EINVAL (`blackhole`
 *   route), EADDRNOTAVAIL (no source address or ports), EPERM, and
 *   Deno's own permission errors.
 *
 * Two local causes look remote and are left to the isolation guard (every
 * target failing at once): an OUTPUT `DROP` (a silent timeout for TCP) and
 * an OUTPUT `REJECT` (the kernel delivers its own ICMP to the socket).
 * @module
 */

/** Who a failed connect counts against. */
export type ConnectFault = "target" | "local";

/** Codes that only the local host produces: no packet left. */
const LOCAL = new Set([
  "EACCES",
  "EPERM",
  "EINVAL",
  "EADDRNOTAVAIL",
  "EADDRINUSE",
  "EAFNOSUPPORT",
  "ENETDOWN",
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
  // Deno error classes, for errors that carry no errno code.
  "NotCapable",
  "PermissionDenied",
  "AddrNotAvailable",
  "AddrInUse",
]);

/** Codes that mean "no route" locally and "unreachable" from a router. */
const UNREACHABLE = new Set([
  "ENETUNREACH",
  "EHOSTUNREACH",
  "NetworkUnreachable",
  "HostUnreachable",
]);

/**
 * Classifies a failed connect.
 * @param code the error's `code` ("EHOSTUNREACH"), else its class name
 * @param routed whether the kernel has a usable route to the target; called
 *   only for the unreachable codes; null when it cannot tell
 * @returns "local" when the connect never left this host, else "target";
 *   an unreachable code with an unknown route counts as local (the agent
 *   abstains rather than remove on a guess)
 */
export function classifyConnectError(
  code: string,
  routed: () => boolean | null,
): ConnectFault {
  if (LOCAL.has(code)) return "local";
  if (UNREACHABLE.has(code)) return routed() === true ? "target" : "local";
  return "target";
}

/**
 * @param e what `Deno.connect` threw
 * @returns its errno code ("ECONNREFUSED"), else its class name
 */
export function connectErrorCode(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && code !== "" ? code : e.name;
  }
  return "Error";
}
