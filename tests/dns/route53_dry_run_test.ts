import assert from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";
import { dnsProviderFor } from "../../lib/agent/dns_provider_for.ts";
import { createLogger } from "../../lib/observe/log.ts";

const TOML = `dry_run = true
[Route53]
aws_domain = "example.com"
aws_zoneid = "Z0DRYRUN"
hostnames = ["www"]
ip_addresses = ["203.0.113.11", "203.0.113.12"]
ttl = 30
`;

Deno.test("dnsProviderFor() in dry-run with Route 53 logs the change and the zone, and sends nothing", async () => {
  const r = loadConfigText(TOML);
  assert.ok(r.ok);
  const lines: string[] = [];
  const { logger, settings } = createLogger({ sink: (l) => lines.push(l) });
  const provider = await dnsProviderFor(r.value.config, {
    logger,
    secrets: settings.secrets,
  });
  assert.equal(provider.dryRun, true);
  const listed = await provider.list(["www.example.com"]);
  const rec = listed.get("www.example.com")!.find((x) =>
    x.content === "203.0.113.12"
  )!;
  assert.equal(rec.ttl, 30);
  const result = await provider.apply([{ kind: "delete", record: rec }]);
  assert.equal(result.requests, 0);
  assert.ok(
    lines.some((l) =>
      l.includes(
        "would remove A www.example.com 203.0.113.12 (route53 Z0DRYRUN)",
      )
    ),
    lines.join("\n"),
  );
});
