/**
 * `goavail -p route53 restore` in-process: a real state file holding a
 * Route 53 snapshot (the set as it was), the real SDK against the fake
 * Route 53 API, the real state_dir lock.
 */
import assert from "node:assert/strict";
import { lockStateDir } from "../../ffi/file_lock.ts";
import { runRestore } from "../../lib/agent/restore_command.ts";
import { FileStateStore } from "../../lib/agent/state_store.ts";
import { createRoute53Provider } from "../../lib/dns/route53.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import { startFakeRoute53 } from "../support/fake_route53.ts";

const WITHDRAWN: DnsRecord = {
  type: "A",
  name: "www.example.com",
  content: "192.0.2.3",
  ttl: 99,
  proxied: false,
  comment: null,
  tags: [],
  recordSet: { zoneId: "Z0RESTORE", values: ["192.0.2.1", "192.0.2.3"] },
};

Deno.test("goavail -p route53 restore puts a withdrawn value back into its set, TTL as the set has it", async () => {
  const fake = startFakeRoute53({
    zones: [{
      id: "Z0RESTORE",
      name: "example.com",
      sets: [{
        Name: "www.example.com",
        Type: "A",
        TTL: 45,
        ResourceRecords: ["192.0.2.1"],
      }],
    }],
  });
  const dir = await Deno.makeTempDir({ prefix: "goavail-r53-restore-" });
  try {
    const configFile = `${dir}/goavail.toml`;
    await Deno.writeTextFile(
      configFile,
      `state_dir = "${dir}/state"
[cloudflare]
dns_domain = "example.org"
hostnames = ["www"]
ip_addresses = ["198.51.100.1"]
[route53]
aws_domain = "example.com"
aws_zoneid = "Z0RESTORE"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.3"]
`,
    );
    const store = await FileStateStore.open(`${dir}/state`);
    await store.putSnapshots([WITHDRAWN]);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRestore({
      configFile,
      targets: ["192.0.2.3"],
      dryRun: false,
      dnsProvider: "route53",
      write: (l) => out.push(l),
      writeErr: (l) => err.push(l),
    }, {
      lockStateDir,
      createDnsProvider: (c) =>
        createRoute53Provider(c.sections.route53!, {
          client: {
            endpoint: fake.url,
            credentials: {
              accessKeyId: "AKIDFAKE",
              secretAccessKey: "canary-restore-secret",
            },
          },
        }),
    });
    assert.equal(code, 0, err.join("\n"));
    assert.deepEqual(fake.state.values("Z0RESTORE", "www.example.com", "A"), [
      "192.0.2.1",
      "192.0.2.3",
    ]);
    assert.equal(fake.writes().length, 1);
    const set = fake.state.zones.get("Z0RESTORE")!.sets[0];
    assert.equal(set?.TTL, 45, "the set's TTL stays");
    assert.ok(out.some((l) => l.includes("restored")), out.join("\n"));
    assert.ok(
      ![...out, ...err].some((l) => l.includes("canary-restore-secret")),
    );
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
