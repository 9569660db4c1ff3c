/**
 * Classifies what the AWS SDK throws into {@linkcode DnsProviderError}.
 * Works on structure only (`name`, `$metadata.httpStatusCode`, `message`),
 * so it needs no import of the SDK. Messages carry the AWS error code and
 * AWS's own message (names and values, never credentials), cut short.
 * @module
 */
import { DnsProviderError } from "./provider.ts";

/**
 * Codes that mean "slow down". `Throttling` is Route 53's rate limit (five
 * requests a second per account); `PriorRequestNotComplete` means the
 * zone's previous change is still being applied: "wait, in intervals of
 * increasing duration, before you try the request again" (Route 53 API
 * reference, ChangeResourceRecordSets, Errors).
 */
const SLOW_DOWN = new Set([
  "Throttling",
  "ThrottlingException",
  "PriorRequestNotComplete",
  "TooManyRequestsException",
]);

/** Codes that mean the credentials (or their rights) were refused. */
const AUTH = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "InvalidSignatureException",
  "MissingAuthenticationToken",
  "ExpiredToken",
  "ExpiredTokenException",
  "NotAuthorizedException",
  "CredentialsProviderError",
]);

const MAX_MESSAGE = 300;

/**
 * @param e the thrown value
 * @param op what was attempted, e.g. "ListResourceRecordSets"
 * @param retryAfterMs back-off to ask for when this is a "slow down"
 * @returns the classified error
 */
export function toRoute53Error(
  e: unknown,
  op: string,
  retryAfterMs: number,
): DnsProviderError {
  if (e instanceof DnsProviderError) return e;
  const err = (typeof e === "object" && e !== null ? e : {}) as {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const code = typeof err.name === "string" ? err.name : "Error";
  const status = typeof err.$metadata?.httpStatusCode === "number"
    ? err.$metadata.httpStatusCode
    : undefined;
  const text = typeof err.message === "string"
    ? err.message.slice(0, MAX_MESSAGE)
    : "";
  const base = `Route 53 ${op} failed: ${code}${
    status !== undefined ? ` (HTTP ${status})` : ""
  }${text ? `: ${text}` : ""}`;
  const options = { ...(status !== undefined ? { status } : {}), cause: e };
  if (SLOW_DOWN.has(code) || status === 429) {
    return new DnsProviderError("rate_limited", base, {
      ...options,
      retryAfterMs,
    });
  }
  if (AUTH.has(code) || status === 403 || status === 401) {
    return new DnsProviderError("auth", base, {
      ...options,
      hint:
        "check the credentials the AWS SDK finds (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, or the instance or container role) and that its IAM policy allows route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and route53:GetChange on the zone",
    });
  }
  // A 2xx that still threw: the reply broke off or could not be read, so
  // whether the call took effect is unknown (re-read, then retry).
  if (
    status === undefined || status < 300 || status >= 500 ||
    code === "TimeoutError"
  ) {
    return new DnsProviderError("server", base, options);
  }
  return new DnsProviderError("bad_request", base, options);
}

/**
 * What Route 53 says when a change's compare fails: the set is not as the
 * `DELETE` lists it ("Tried to delete resource record set [name='…',
 * type='A'] but it was not found" / "… but the values provided do not match
 * the current values"), or a `CREATE` meets a set that came back ("Tried to
 * create resource record set [name='…', type='A'] but it already exists").
 * The wording is AWS's, as quoted in hashicorp/terraform issue 18509 and
 * DefangLabs/docs-chatbot issue 22 (both from the real API, through the Go
 * SDK). The bracketed part is optional: older replies named the set as
 * "www.example.com. type A,".
 */
const STALE_REASON =
  /Tried to (?:delete|create) resource record set (?:\[[^\]]*\]|[^,\]]*,?) but (?:it was not found|the values provided do not match the current values|it already exists)/g;

/**
 * Whether a refused change batch was refused only because sets changed
 * since they were listed (see route53_sets.ts: every change is a DELETE of
 * the set as listed plus a CREATE): a re-read, not a fault. Any other
 * reason in the same batch (a bad value, a name outside the zone) makes it
 * an ordinary `InvalidChangeBatch`.
 * @param error a classified ChangeResourceRecordSets failure
 * @returns true when every reason Route 53 gave is a stale listing
 */
export function isStaleListing(error: DnsProviderError): boolean {
  const cause =
    (typeof error.cause === "object" && error.cause !== null
      ? error.cause
      : {}) as { name?: unknown; message?: unknown; messages?: unknown };
  if (cause.name !== "InvalidChangeBatch") return false;
  const reasons = Array.isArray(cause.messages) && cause.messages.length > 0
    ? cause.messages.filter((m): m is string => typeof m === "string")
    : [typeof cause.message === "string" ? cause.message : ""];
  return reasons.length > 0 && reasons.every((r) => {
    const left = r.replace(STALE_REASON, "");
    return left !== r && /^[\s,[\]]*$/.test(left);
  });
}
