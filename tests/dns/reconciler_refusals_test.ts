/**
 * Record-level refusals seen through the reconciler, the real SDK and the
 * strict fake: a restore the zone cannot take fails loudly, naming the
 * record and the cause, and is never counted as done.
 */
import assert from "node:assert/strict";
import { DnsReconciler } from "../../lib/dns/reconciler.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import { MemoryStateStore } from "../../lib/agent/state_store.ts";
import { createLogger } from "../../lib/observe/log.ts";
import {
  type FakeCloudflare,
  type FakeRecordInput,
  type Fault,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";
import { a, cfConfig, TOKEN, WWW } from "./fixtures.ts";

const X = "192.0.2.1";
const Y = "192.0.2.2";
const Z = "192.0.2.3";

interface Pass {
  status: string;
  done: number;
  failed: number;
  lines: string[];
  fake: FakeCloudflare;
}

async function pass(
  records: FakeRecordInput[],
  zone: { recordQuota?: number } = {},
  options: { down?: string[]; faults?: Fault[]; ips?: string[] } = {},
): Promise<Pass> {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ name: "example.com", records, ...zone }],
  });
  fake.faults.push(...(options.faults ?? []));
  const lines: string[] = [];
  try {
    const { logger } = createLogger({ sink: (l) => lines.push(l) });
    const provider = await createCloudflareProvider(cfConfig(), {
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      logger,
    });
    const rec = new DnsReconciler(provider, new MemoryStateStore(), {
      zone: "example.com",
      hostnames: ["www"],
      ips: options.ips ?? [X, Y],
      minRecords: 1,
      maxRemovalsFraction: 0.5,
      ttl: 1,
      proxied: false,
    }, { logger, backoffMs: 1, maxAttempts: 2 });
    const down = new Set(options.down ?? []);
    const intents = new Map(
      (options.ips ?? [X, Y]).map((ip) =>
        [ip, down.has(ip) ? "absent" : "present"] as const
      ),
    );
    const report = await rec.reconcile(intents, down);
    return {
      status: report.status,
      done: report.writes.done + report.writes.already,
      failed: report.writes.failed,
      lines,
      fake,
    };
  } finally {
    await fake.close();
  }
}

Deno.test("DnsReconciler with Cloudflare: a CNAME at the name fails the restore, naming the record and the CNAME", async () => {
  const r = await pass([{
    type: "CNAME",
    name: WWW,
    content: "elsewhere.example.net",
  }]);
  assert.notEqual(r.status, "ok");
  assert.equal(r.done, 0);
  assert.ok(r.failed >= 2);
  const line = r.lines.find((l) =>
    /Cannot restore A www\.example\.com 192\.0\.2\.1/.test(l)
  );
  assert.ok(line, r.lines.join("\n"));
  assert.match(line, /CNAME/);
});

Deno.test("DnsReconciler with Cloudflare: a full record quota fails the restore, naming the record and the quota", async () => {
  const r = await pass([a(X)], { recordQuota: 1 });
  assert.notEqual(r.status, "ok");
  assert.equal(r.done, 0);
  const line = r.lines.find((l) =>
    /Cannot restore A www\.example\.com 192\.0\.2\.2/.test(l)
  );
  assert.ok(line, r.lines.join("\n"));
  assert.match(line, /record quota/);
});

Deno.test("DnsReconciler with Cloudflare: a failed restore keeps the same-name delete back, and the retry converges from a fresh listing", async () => {
  const r = await pass([a(Y)], {}, {
    down: [Y],
    faults: [{ kind: "status", status: 500, match: { method: "POST" } }],
  });
  assert.equal(r.status, "ok", r.lines.join("\n"));
  const writes = r.fake.writes().map((w) => `${w.method} ${w.status}`);
  assert.deepEqual(writes, ["POST 500", "POST 200", "DELETE 200"]);
  assert.equal(r.fake.minRecordsSeen(WWW, "A"), 1);
  assert.deepEqual(r.fake.state.recordsOf(WWW).map((x) => x.content), [X]);
  assert.ok(
    r.lines.some((l) =>
      /Not removing A www\.example\.com 192\.0\.2\.2/.test(l)
    ),
  );
});

Deno.test("DnsReconciler with Cloudflare: a refused restore does not hold back a dead record's removal when a live one stays", async () => {
  // The zone's quota is full, so X cannot come back while dead Y is there;
  // Z is live and stays, so Y's removal does not need X. Held back, as it
  // once was, Y would keep the quota full and X out forever.
  const r = await pass([a(Y), a(Z)], { recordQuota: 2 }, {
    down: [Y],
    ips: [X, Y, Z],
  });
  assert.ok(
    r.lines.some((l) =>
      /Cannot restore A www\.example\.com 192\.0\.2\.1/.test(l)
    ),
    r.lines.join("\n"),
  );
  assert.equal(r.status, "ok", "converged on the retry");
  assert.deepEqual(
    r.fake.state.recordsOf(WWW).map((x) => x.content).sort(),
    [X, Z],
  );
  assert.equal(r.fake.minRecordsSeen(WWW, "A"), 1);
});
