/**
 * Review: a Route 53 hosted zone that cannot be used (none of that name,
 * several, `aws_zoneid` naming another zone or none) is kind "bad_request"
 * (route53_zone.ts, and a 404 NoSuchHostedZone through toRoute53Error),
 * where the Cloudflare provider says "config" for the same situations. The
 * reconciler blocks writes (and the writer role) only for "auth"/"config":
 * a Route 53 agent with a wrong zone keeps the writer role, retries every
 * pass with backoff and looks the zone up again on every call.
 */
import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { findZone } from "../../lib/dns/route53_zone.ts";
import { baseSets, withRoute53, WWW } from "./route53_fixtures.ts";

const kindOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return e instanceof DnsProviderError ? e.kind : String(e);
  }
};

Deno.test("review: an unusable Route 53 zone is a 'config' refusal, like Cloudflare's", async () => {
  const none = findZone("example.com", null, {
    getZone: () => Promise.resolve({}),
    listByName: () => Promise.resolve({ zones: [] }),
  });
  assert.equal(await kindOf(none), "config", "no zone of that name");
  const other = findZone("example.com", "Z0OTHER", {
    getZone: () => Promise.resolve({ Id: "Z0OTHER", Name: "example.org." }),
    listByName: () => Promise.resolve({ zones: [] }),
  });
  assert.equal(await kindOf(other), "config", "aws_zoneid names another zone");
  await withRoute53(baseSets(), async (_fake, provider) => {
    assert.equal(
      await kindOf(provider.list([WWW])),
      "config",
      "aws_zoneid not found (NoSuchHostedZone)",
    );
  }, { config: { zoneId: "Z0MISSING" } });
});
