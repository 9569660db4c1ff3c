/**
 * Value checks for the `[route53]` section's AWS-specific keys.
 * @module
 */
import { type Checked, show } from "./rules.ts";

/**
 * A hosted zone id such as "Z0123456789ABCDEFGHIJ" (the API's
 * "/hostedzone/" prefix is accepted and dropped). Ids are at most 32
 * characters of upper-case letters and digits (Route 53 API reference,
 * HostedZone.Id: "Length Constraints: Maximum length of 32").
 */
export function route53ZoneId(raw: unknown): Checked<string> {
  const id = typeof raw === "string" ? raw.replace(/^\/hostedzone\//, "") : "";
  return /^[A-Z0-9]{1,32}$/.test(id) ? { ok: true, value: id } : {
    ok: false,
    error: `must be a hosted zone id such as "Z0123456789ABCDEFGHIJ", got ${
      show(raw)
    }`,
  };
}

/** An AWS region name such as "us-east-1" or "us-gov-west-1". */
export function awsRegion(raw: unknown): Checked<string> {
  return typeof raw === "string" && /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(raw)
    ? { ok: true, value: raw }
    : {
      ok: false,
      error: `must be an AWS region such as "us-east-1", got ${show(raw)}`,
    };
}
