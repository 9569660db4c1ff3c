/**
 * What Cloudflare's error envelope says, read the way the API writes it:
 * each entry of `errors` has a `code`, a `message` and, for wrapped
 * failures, an `error_chain` of further `{code, message}` entries. The
 * outer code is often generic (6003 "Invalid request headers", 1004 "DNS
 * Validation Error"); the chain holds the reason, e.g.
 * `{"code":6003,"message":"Invalid request headers","error_chain":
 * [{"code":6111,"message":"Invalid format for Authorization header"}]}` with
 * HTTP 400 (seen in cloudflare/cloudflare-typescript issue #161 and
 * jeessy2/ddns-go issue #916). The SDK keeps the parsed `errors` array as it
 * came (cloudflare-typescript `src/core/error.ts`: `this.errors =
 * data?.errors`), so the chain is there to read.
 * @module
 */

/** One `{code, message}` of an error envelope, chain entries flattened in. */
export interface CloudflareErrorDetail {
  code: number;
  message: string;
  /** Codes of this entry's `error_chain`, in order (empty when none). */
  chain: CloudflareErrorDetail[];
}

/**
 * Codes that mean "these credentials are refused", whatever the HTTP status:
 * - 6111 "Invalid format for Authorization header" (a malformed token; 400
 *   under 6003, jeessy2/ddns-go #916);
 * - 6102 / 6103 "Invalid format for X-Auth-Email / X-Auth-Key header" (a
 *   malformed Global API Key or email; 400 under 6003,
 *   cloudflare/cloudflare-typescript #161, NewFuture/DDNS #152);
 * - 9106 "Missing X-Auth-Key, X-Auth-Email or Authorization headers" (400,
 *   cloudflare/cloudflare-python #2678);
 * - 9109 "Cannot use the access token from location: …" (403, the token's
 *   IP filter; jeessy2/ddns-go #1341) — also "Invalid access token";
 * - 10000 "Authentication error" (401/403: an unknown token or one without
 *   the permission; cloudflare/terraform-provider-cloudflare #913).
 */
export const CREDENTIAL_CODES: readonly number[] = [
  6102,
  6103,
  6111,
  9106,
  9109,
  10000,
];

/** Code of "Target … is not allowed for a proxied record" (DNSControl #4776). */
export const PROXY_REFUSED_CODE = 9003;

/**
 * Reads the `errors` array of an API error, chains included. Entries
 * without a numeric code are dropped.
 * @param raw the SDK error's `errors` (anything)
 * @returns the entries, each with its chain
 */
export function errorDetails(raw: unknown): CloudflareErrorDetail[] {
  if (!Array.isArray(raw)) return [];
  const out: CloudflareErrorDetail[] = [];
  for (const e of raw) {
    if (typeof e !== "object" || e === null) continue;
    const r = e as { code?: unknown; message?: unknown; error_chain?: unknown };
    if (typeof r.code !== "number") continue;
    out.push({
      code: r.code,
      message: typeof r.message === "string" ? r.message : "",
      chain: errorDetails(r.error_chain),
    });
  }
  return out;
}

/** @returns every code, outer ones and those of their chains, in order. */
export function allCodes(details: readonly CloudflareErrorDetail[]): number[] {
  return details.flatMap((d) => [d.code, ...allCodes(d.chain)]);
}

/**
 * @returns the details as one line, chains in brackets: `6003 Invalid request
 *   headers [6111 Invalid format for Authorization header]`
 */
export function describeDetails(
  details: readonly CloudflareErrorDetail[],
): string {
  return details.map((d) => {
    const head = d.message ? `${d.code} ${d.message}` : `${d.code}`;
    return d.chain.length > 0 ? `${head} [${describeDetails(d.chain)}]` : head;
  }).join("; ");
}

/**
 * Whether a reply says the credentials are refused: HTTP 401 or 403, or a
 * credential code ({@linkcode CREDENTIAL_CODES}) at the top level or in a
 * chain, as a 400 often carries it.
 */
export function isCredentialError(
  status: number,
  codes: readonly number[],
): boolean {
  return status === 401 || status === 403 ||
    codes.some((c) => CREDENTIAL_CODES.includes(c));
}

/**
 * What the operator should check for a refused credential, from its codes.
 * @returns one sentence naming the settings to look at
 */
export function credentialHint(codes: readonly number[]): string {
  if (codes.includes(6111)) {
    return 'the API token is malformed: check CLOUDFLARE_API_TOKEN or the file in cloudflare.api_token_file (no quotes, spaces or "Bearer "; a Global API Key goes in CF_API_KEY + CF_API_EMAIL instead)';
  }
  if (codes.includes(6102) || codes.includes(6103)) {
    return "the Global API Key or email is malformed: check CF_API_KEY and CF_API_EMAIL (an API token goes in CLOUDFLARE_API_TOKEN instead)";
  }
  if (codes.includes(9106)) {
    return "no credentials reached Cloudflare: set CLOUDFLARE_API_TOKEN or cloudflare.api_token_file";
  }
  if (codes.includes(9109)) {
    return "the token's IP filtering does not allow this host's address: add it to the token's Client IP Address Filtering, or check CLOUDFLARE_API_TOKEN / cloudflare.api_token_file";
  }
  return "check that the token in CLOUDFLARE_API_TOKEN or cloudflare.api_token_file is valid and has the permissions Zone:DNS:Edit and Zone:Read on this zone, and that its IP filtering allows this host";
}

/** @returns the hint for a refused proxied record, or "" for other codes. */
export function proxyHint(codes: readonly number[]): string {
  return codes.includes(PROXY_REFUSED_CODE)
    ? "Cloudflare refuses to proxy this IP (9003: a private, loopback, link-local, CGNAT or documentation address cannot be proxied): set cloudflare.dns_proxied = false or use a public IP"
    : "";
}
