/**
 * The fake Cloudflare API's record checks that depend on the zone's plan,
 * the proxy flag, or other records at the name.
 * @module
 */

import {
  ApiFailure,
  type FakePlan,
  type FakeRecordInput,
  type FakeZone,
} from "./fake_cloudflare_state.ts";

/** Longest comment per plan: Free 100, paid plans 500. */
const COMMENT_LIMIT: Record<FakePlan, number> = {
  free: 100,
  pro: 500,
  business: 500,
  enterprise: 500,
};

/**
 * The plan- and proxy-dependent checks of a record's fields.
 * - Comments: 100 characters on Free, 500 on paid plans
 *   (https://developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/);
 *   the refusal is 9313 "DNS record comment exceeds the maximum length of
 *   100 characters."
 *   (https://github.com/STRRL/cloudflare-tunnel-ingress-controller/issues/168).
 * - Tags: a quota of 0 on Free, refused as 1004 "DNS Validation Error" with
 *   `error_chain` 9300 (https://github.com/kubernetes-sigs/external-dns/issues/3706).
 * - Proxied records: "all proxied records have a TTL of Auto [...] This value
 *   cannot be edited" (https://developers.cloudflare.com/dns/manage-dns-records/reference/ttl/);
 *   a proxied write with another TTL fails at apply time
 *   (https://github.com/pulumi/pulumi-cloudflare/issues/669). Its code is
 *   not documented; the fake answers 1004 "DNS Validation Error".
 */
export function validateRecordFields(
  zone: FakeZone,
  input: Partial<FakeRecordInput>,
): void {
  const limit = COMMENT_LIMIT[zone.plan];
  if (typeof input.comment === "string" && input.comment.length > limit) {
    throw new ApiFailure(
      400,
      9313,
      `DNS record comment exceeds the maximum length of ${limit} characters.`,
    );
  }
  const tags = input.tags ?? [];
  if (zone.plan === "free" && tags.length > 0) {
    throw new ApiFailure(400, 1004, "DNS Validation Error", [{
      code: 9300,
      message: `DNS record has ${tags.length} tags, exceeding the quota of 0.`,
    }]);
  }
  if (input.proxied === true && input.ttl !== undefined && input.ttl !== 1) {
    throw new ApiFailure(400, 1004, "DNS Validation Error", [{
      code: 9999,
      message: "Proxied records must have TTL 1 (automatic).",
    }]);
  }
}

/**
 * A/AAAA records cannot share a name with a CNAME: 81054 "A CNAME record
 * with that host already exists."
 * (https://github.com/favonia/cloudflare-ddns/issues/990).
 */
export function refuseTakenName(zone: FakeZone, input: FakeRecordInput): void {
  if (input.type !== "A" && input.type !== "AAAA") return;
  const name = input.name.toLowerCase();
  for (const r of zone.records.values()) {
    if (r.name === name && r.type === "CNAME") {
      throw new ApiFailure(
        400,
        81054,
        "A CNAME record with that host already exists.",
      );
    }
  }
}
