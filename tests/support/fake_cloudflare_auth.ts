/**
 * How the fake Cloudflare API refuses credentials, with the statuses, codes
 * and `error_chain`s the real API sends:
 *
 * - a token that is not well formed (API tokens are 40 characters of
 *   A–Z, a–z, 0–9, `-` and `_`: cloudflare/terraform-provider-cloudflare
 *   #1992 quotes the validator) → 400, 6003 "Invalid request headers" with
 *   chain 6111 "Invalid format for Authorization header" (jeessy2/ddns-go
 *   #916, #1296);
 * - a malformed Global API Key (37 hex characters) or email → 400, 6003 with
 *   chain 6103 / 6102 (cloudflare/cloudflare-typescript #161,
 *   NewFuture/DDNS #152);
 * - no credential header at all → 400, 9106 "Missing X-Auth-Key,
 *   X-Auth-Email or Authorization headers" (cloudflare/cloudflare-python
 *   #2678);
 * - a token whose IP filter excludes the caller → 403, 9109 "Cannot use the
 *   access token from location: <ip>" (jeessy2/ddns-go #1341);
 * - a well-formed but unknown token or key → 401, 10000 "Authentication
 *   error".
 *
 * The token a test configures is always accepted, whatever its shape, so
 * tests can keep short readable tokens.
 * @module
 */

/** What the fake accepts. */
export interface FakeCredentials {
  /** Accepted bearer token. @default "test-token" */
  token?: string;
  /** Accepted legacy key + email (`X-Auth-Key`, `X-Auth-Email`). */
  apiKey?: string;
  apiEmail?: string;
  /**
   * The token's Client IP Address Filtering: when set, a caller whose
   * address is not listed gets 403 / 9109.
   */
  allowedClientIps?: string[];
}

/** One entry of the error envelope, as the API writes it. */
export interface ApiErrorEntry {
  code: number;
  message: string;
  error_chain?: { code: number; message: string }[];
}

/** A refusal: the status and the envelope's `errors`. */
export interface CredentialRefusal {
  status: number;
  errors: ApiErrorEntry[];
}

const WELL_FORMED_TOKEN = /^[A-Za-z0-9_-]{40}$/;
const WELL_FORMED_KEY = /^[0-9a-f]{37}$/;
const WELL_FORMED_EMAIL = /^[^@\s]+@[^@\s]+$/;

const invalidHeaders = (
  chain: { code: number; message: string }[],
): CredentialRefusal => ({
  status: 400,
  errors: [{
    code: 6003,
    message: "Invalid request headers",
    error_chain: chain,
  }],
});

/**
 * Checks a request's credentials.
 * @param accepted what the fake accepts
 * @param headers the request headers
 * @param clientIp the caller's address
 * @returns the refusal, or null when the credentials are accepted
 */
export function refuseCredentials(
  accepted: FakeCredentials,
  headers: Headers,
  clientIp: string,
): CredentialRefusal | null {
  const auth = headers.get("authorization");
  const key = headers.get("x-auth-key");
  const email = headers.get("x-auth-email");
  if (auth !== null) {
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : null;
    if (token !== null && token === (accepted.token ?? "test-token")) {
      return ipFiltered(accepted, clientIp);
    }
    if (token === null || !WELL_FORMED_TOKEN.test(token)) {
      return invalidHeaders([{
        code: 6111,
        message: "Invalid format for Authorization header",
      }]);
    }
    return authenticationError();
  }
  if (key !== null || email !== null) {
    if (
      accepted.apiKey !== undefined && key === accepted.apiKey &&
      email === accepted.apiEmail
    ) return null;
    const chain = [
      ...(email === null || !WELL_FORMED_EMAIL.test(email)
        ? [{ code: 6102, message: "Invalid format for X-Auth-Email header" }]
        : []),
      ...(key === null || !WELL_FORMED_KEY.test(key)
        ? [{ code: 6103, message: "Invalid format for X-Auth-Key header" }]
        : []),
    ];
    return chain.length > 0 ? invalidHeaders(chain) : authenticationError();
  }
  return {
    status: 400,
    errors: [{
      code: 9106,
      message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
    }],
  };
}

function ipFiltered(
  accepted: FakeCredentials,
  clientIp: string,
): CredentialRefusal | null {
  if (
    !accepted.allowedClientIps || accepted.allowedClientIps.includes(clientIp)
  ) {
    return null;
  }
  return {
    status: 403,
    errors: [{
      code: 9109,
      message: `Cannot use the access token from location: ${clientIp}`,
    }],
  };
}

function authenticationError(): CredentialRefusal {
  return {
    status: 401,
    errors: [{ code: 10000, message: "Authentication error" }],
  };
}
