/**
 * `goavail restore` in-process: real state files, the real Cloudflare SDK
 * against the project's fake API, the real state_dir lock.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { lockStateDir } from "../../ffi/file_lock.ts";
import {
  pickRecords,
  type RestoreOptions,
  runRestore,
} from "../../lib/agent/restore_command.ts";
import { FileStateStore } from "../../lib/agent/state_store.ts";
import { withdrawnRecords } from "../../lib/agent/withdrawn.ts";
import type { Config } from "../../lib/config/types.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import type { DnsRecord } from "../../lib/dns/provider.ts";
import {
  type ApiRecord,
  type FakeCloudflare,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";
import { configOf } from "./harness.ts";

const TOKEN = "restore-token-0123456789";

function rec(name: string, content: string, extra: Partial<DnsRecord> = {}) {
  return {
    type: "A" as const,
    name,
    content,
    ttl: 300,
    proxied: false,
    comment: null,
    tags: [],
    ...extra,
  };
}

/** Withdrawn under an older config: 192.0.2.3 (IP since dropped) and a record of another zone. */
// A proxied record's TTL is always automatic (1) in Cloudflare.
const WITHDRAWN = rec("www.example.com", "192.0.2.3", {
  ttl: 1,
  proxied: true,
  comment: "edge-3",
  tags: ["team:edge", "idx:3"],
});
const OTHER_ZONE = rec("www.example.org", "192.0.2.3", { comment: "org" });
const STILL_THERE = rec("www.example.com", "192.0.2.2");

interface Env {
  fake: FakeCloudflare;
  dir: string;
  configFile: string;
  out: string[];
  err: string[];
  run: (targets: string[], dryRun?: boolean) => Promise<number>;
  saved: () => Promise<string[]>;
}

async function withEnv(fn: (env: Env) => Promise<void>): Promise<void> {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [
      {
        name: "example.com",
        records: [rec("www.example.com", "192.0.2.1"), STILL_THERE],
      },
      { name: "example.org", records: [rec("www.example.org", "192.0.2.1")] },
      // A second zone whose name differs: a mismatch would show up here.
      { name: "example.net", records: [] },
    ],
  });
  const dir = await Deno.makeTempDir({ prefix: "goavail-restore-" });
  try {
    const configFile = `${dir}/goavail.toml`;
    await Deno.writeTextFile(
      configFile,
      `state_dir = "${dir}/state"
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
api_url = "${fake.url}"
`,
    );
    const store = await FileStateStore.open(`${dir}/state`);
    store.setOrigin({ by: "edge-a", zone: "example.org" });
    await store.putSnapshots([OTHER_ZONE]);
    store.setOrigin({ by: "edge-a", zone: "example.com" });
    await store.putSnapshots([WITHDRAWN, STILL_THERE]);
    const out: string[] = [];
    const err: string[] = [];
    const run = (targets: string[], dryRun?: boolean) => {
      const opts: RestoreOptions = {
        configFile,
        targets,
        dryRun,
        write: (l) => out.push(l),
        writeErr: (l) => err.push(l),
      };
      return runRestore(opts, {
        lockStateDir,
        createDnsProvider: (c: Config) =>
          createCloudflareProvider(c.cloudflare, {
            env: { CLOUDFLARE_API_TOKEN: TOKEN },
          }),
      });
    };
    const saved = async () =>
      [...(await FileStateStore.open(`${dir}/state`)).snapshots().keys()]
        .sort();
    await fn({ fake, dir, configFile, out, err, run, saved });
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function strip(r: ApiRecord | undefined) {
  if (!r) return undefined;
  const { type, name, content, ttl, proxied, comment, tags } = r;
  return { type, name, content, ttl, proxied, comment, tags };
}

const ALL_KEYS = [
  "www.example.com|A|192.0.2.2",
  "www.example.com|A|192.0.2.3",
  "www.example.org|A|192.0.2.3",
];

Deno.test("runRestore() is a dry run by default: prints each record, calls no API, keeps the snapshots", async () => {
  await withEnv(async ({ fake, out, run, saved }) => {
    assertEquals(await run(["192.0.2.3"]), 0);
    assertEquals(fake.audit, [], "the dry run called the API");
    assertEquals(await saved(), ALL_KEYS);
    assert(
      out.includes(
        'would restore A www.example.com 192.0.2.3 (ttl auto, proxied true, comment "edge-3", tags team:edge,idx:3) in zone example.com',
      ),
      out.join("\n"),
    );
    assert(out.some((l) => l.includes("in zone example.org")));
    assert(out.at(-1)!.includes("--no-dry-run"));
  });
});

Deno.test("runRestore() --no-dry-run recreates the record exactly, in its own zone, and drops its snapshot", async () => {
  await withEnv(async ({ fake, out, err, run, saved }) => {
    assertEquals(await run(["192.0.2.3"], false), 0, err.join("\n"));
    const { id: _id, ...want } = { id: "", ...WITHDRAWN };
    assertEquals(
      strip(
        fake.state.recordsOf("www.example.com").find((r) =>
          r.content === "192.0.2.3"
        ),
      ),
      want,
    );
    const org = fake.state.recordsOf("www.example.org").find((r) =>
      r.content === "192.0.2.3"
    );
    assertEquals(org?.zone_name, "example.org");
    assertEquals(org?.comment, "org");
    assertEquals(await saved(), ["www.example.com|A|192.0.2.2"]);
    assert(
      out.some((l) => l.startsWith("restored A www.example.com 192.0.2.3")),
    );
    // Nothing else was written.
    assertEquals(fake.writes().length, 2);
  });
});

Deno.test("runRestore() counts a record that is already back as restored and creates nothing", async () => {
  await withEnv(async ({ fake, out, run, saved }) => {
    assertEquals(await run(["www.example.com"], false), 0);
    assert(out.includes("already present: A www.example.com 192.0.2.2"));
    assertEquals(
      fake.writes().map((w) => w.method),
      ["POST"],
      "only 192.0.2.3 is created",
    );
    assertEquals(await saved(), ["www.example.org|A|192.0.2.3"]);
  });
});

Deno.test("runRestore() refuses while another process holds the state_dir lock", async () => {
  await withEnv(async ({ fake, dir, err, run, saved }) => {
    const lock = lockStateDir(`${dir}/state`);
    try {
      assertEquals(await run(["192.0.2.3"], false), 1);
    } finally {
      lock.release();
    }
    assertEquals(fake.audit, []);
    assertEquals(await saved(), ALL_KEYS);
    assert(err[0]!.includes(`state_dir "${dir}/state"`), err[0]);
    assert(err[0]!.includes(`process ${Deno.pid}`), err[0]);
    assert(err[0]!.includes("Stop that agent first"), err[0]);
  });
});

Deno.test("runRestore() does nothing when an argument matches no snapshot", async () => {
  await withEnv(async ({ fake, err, run, saved }) => {
    assertEquals(await run(["192.0.2.3", "198.51.100.7", "api"], false), 1);
    assertEquals(fake.audit, []);
    assertEquals(await saved(), ALL_KEYS);
    assert(err.some((l) => l.includes('matches "198.51.100.7"')));
    assert(err.some((l) => l.includes('matches "api"')));
    assertEquals(err.at(-1), "Nothing was restored.");
  });
});

Deno.test("runRestore() keeps the snapshot and exits 1 when the API refuses the create", async () => {
  await withEnv(async ({ fake, err, run, saved }) => {
    fake.faults.push({
      kind: "status",
      status: 500,
      match: { method: "POST" },
      times: 10,
    });
    assertEquals(await run(["www.example.com"], false), 1);
    assertEquals(await saved(), [
      "www.example.com|A|192.0.2.3",
      "www.example.org|A|192.0.2.3",
    ]);
    assert(
      err.some((l) =>
        l.startsWith("Cannot restore A www.example.com 192.0.2.3")
      ),
      err.join("\n"),
    );
  });
});

Deno.test("pickRecords() matches IPs canonically and names relative to the zone, each record once", async () => {
  await withEnv(async ({ dir }) => {
    const store = await FileStateStore.open(`${dir}/state`);
    await store.putSnapshots([rec("www.example.com", "2001:db8::1", {
      type: "AAAA",
    })]);
    const all = withdrawnRecords(store);
    const config = configOf(`state_dir = "${dir}/state"
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
`);
    const picked = pickRecords(
      all,
      ["2001:DB8:0::1", "www", "WWW.example.com."],
      config,
    );
    assert(picked.ok);
    assertEquals(picked.picks.map((p) => p.withdrawn.key).sort(), [
      "www.example.com|AAAA|2001:db8::1",
      "www.example.com|A|192.0.2.2",
      "www.example.com|A|192.0.2.3",
    ]);
  });
});

Deno.test("runRestore() --no-dry-run refuses a corrupt state file and leaves it in place", async () => {
  await withEnv(async ({ fake, dir, err, run }) => {
    await Deno.writeTextFile(`${dir}/state/state.json`, '{"version":1,"snap');
    assertEquals(await run(["192.0.2.3"], false), 1);
    assert(err[0]!.includes("is not valid"), err[0]);
    assertEquals(
      await Deno.readTextFile(`${dir}/state/state.json`),
      '{"version":1,"snap',
    );
    assertEquals(fake.audit, []);
  });
});
