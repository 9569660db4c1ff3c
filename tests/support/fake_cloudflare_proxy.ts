/**
 * The fake API's refusal of a proxied record whose IP cannot be an origin:
 * 400 with 9003 "Target <ip> is not allowed for a proxied record." (the
 * wording DNSControl issue #4776 and maxfield-allison/dnsweaver #161 quote
 * from the API). The ranges are goavail's model of them
 * (`lib/net/ip_scope.ts`, which cites its sources).
 * @module
 */
import { nonPublicKind } from "../../lib/net/ip_scope.ts";

/** Code and message of the refusal, or null when the record may be proxied. */
export function proxyRefusal(
  input: { type?: string; content?: string; proxied?: boolean },
): { code: number; message: string } | null {
  if (input.proxied !== true || (input.type !== "A" && input.type !== "AAAA")) {
    return null;
  }
  if (input.content === undefined || nonPublicKind(input.content) === null) {
    return null;
  }
  return {
    code: 9003,
    message: `Target ${input.content} is not allowed for a proxied record.`,
  };
}
