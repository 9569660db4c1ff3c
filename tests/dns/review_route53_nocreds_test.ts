/**
 * Review: a Route 53 agent that finds no AWS credentials gets an "auth"
 * error without a hint (route53.ts `#maskCredentials`), and ReconcileLog
 * then words the blocked-writes error for Cloudflare: "Cloudflare rejected
 * the API token/key ... check that the token in CLOUDFLARE_API_TOKEN ...".
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type { Route53ProviderOptions } from "../../lib/dns/route53.ts";
import { baseSets, withRoute53, WWW } from "./route53_fixtures.ts";

Deno.test("review: Route 53 without credentials is not reported as a refused Cloudflare token", async () => {
  const noCreds = (() =>
    Promise.reject(
      new Error("Could not load credentials from any providers"),
    )) as unknown as NonNullable<
      Route53ProviderOptions["client"]
    >["credentials"];
  await withRoute53(baseSets(), async (_fake, provider) => {
    const lines: string[] = [];
    const clock = new ManualClock();
    const { logger } = createLogger({ sink: (l) => lines.push(l) });
    const rec = new DnsReconciler(provider, new MemoryStateStore(), {
      zone: "example.com",
      hostnames: ["www"],
      ips: ["192.0.2.10"],
      minRecords: 1,
      maxRemovalsFraction: 0.5,
      ttl: 300,
      proxied: false,
    }, { clock, logger });
    const r = await rec.reconcile(
      new Map([["192.0.2.10", "present"]]),
      new Set(),
    );
    assert.equal(r.status, "auth_blocked");
    const error = lines.find((l) => l.includes("level=error")) ?? "";
    assert.doesNotMatch(error, /Cloudflare|CLOUDFLARE_API_TOKEN/, error);
    assert.ok(WWW);
  }, { client: { credentials: noCreds } });
});
