/**
 * Parses the URL of `goavail probe --check http://HOST[:PORT]/PATH`.
 * @module
 */

import { canonicalIp } from "../net/ip.ts";
import { defaultPort } from "./http_check.ts";

/** What a `--check` URL names. */
export interface CheckUrl {
  /** "http" or "https". */
  scheme: "http" | "https";
  /** Host header and TLS name: lowercased, IDNs in punycode, IPv6 unbracketed. */
  host: string;
  /** Whether `host` is an IP literal (then it is also the default target). */
  hostIsIp: boolean;
  /** Port, the scheme's default when absent. */
  port: number;
  /** Path with query, starting with "/". */
  path: string;
}

/**
 * @param text the URL as the user typed it
 * @returns the parsed URL, or a message that names the value and the fix
 */
export function parseCheckUrl(
  text: string,
): { ok: true; value: CheckUrl } | { ok: false; error: string } {
  const bad = (why: string) => ({
    ok: false as const,
    error: `--check "${text}": ${why}`,
  });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad(
      "not a URL; use http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH",
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") {
    return bad(`the scheme must be "http" or "https", got "${scheme}"`);
  }
  if (url.username !== "" || url.password !== "") {
    return bad("credentials in the URL are not supported");
  }
  if (url.hash !== "") {
    return bad("a #fragment is never sent to the server; remove it");
  }
  if (url.port === "0") return bad("the port must be 1-65535, got 0");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    ok: true,
    value: {
      scheme,
      host,
      hostIsIp: canonicalIp(host) !== null,
      port: url.port === "" ? defaultPort(scheme) : Number(url.port),
      path: url.pathname + url.search,
    },
  };
}
