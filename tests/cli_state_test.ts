/**
 * The state_dir from the command line: `goavail snapshots`, `goavail
 * restore` (through the real provider, against the fake Cloudflare API) and
 * the lock that keeps a second agent, or a restore, off a running agent's
 * state_dir. The monitors probe TCP on loopback, so no root is needed.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { FileStateStore } from "../lib/agent/state_store.ts";
import { MonitorProcess } from "./support/monitor_process.ts";
import { startFakeCloudflare } from "./support/fake_cloudflare.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const TOKEN = "cli-state-token-0123456789";

async function goavail(env: Record<string, string>, ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

/** A dry-run config probing TCP on loopback (only loopback is probed from the root namespace). */
function toml(stateDir: string, statusPort: number, apiUrl: string): string {
  return `interval = 0.2
failure_threshold = 2
probe_type = "tcp"
port = 9
dry_run = true
state_dir = ${JSON.stringify(stateDir)}
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["127.0.0.1", "::1"]
api_url = ${JSON.stringify(apiUrl)}
[status]
listen = "${statusPort === 0 ? "" : `127.0.0.1:${statusPort}`}"
`;
}

/** Withdrawn while 192.0.2.3 was still in the config. */
const WITHDRAWN = {
  type: "A" as const,
  name: "www.example.com",
  content: "192.0.2.3",
  // A proxied record's TTL is always automatic (1) in Cloudflare.
  ttl: 1,
  proxied: true,
  comment: "edge-3",
  tags: ["team:edge"],
};

async function seed(stateDir: string): Promise<void> {
  const store = await FileStateStore.open(stateDir);
  store.setOrigin({ by: "edge-a", zone: "example.com" });
  await store.putSnapshot(WITHDRAWN);
}

Deno.test("goavail snapshots and restore --help explain what they do", async () => {
  const help = async (cmd: string) => {
    const r = await goavail({}, cmd, "--help");
    return { code: r.code, out: r.out.replace(/\s+/g, " ") };
  };
  const s = await help("snapshots");
  assertEquals(s.code, 0);
  for (const w of ["--config-file", "--json", "Read-only", "by which agent"]) {
    assert(s.out.includes(w), `snapshots --help lacks ${w}`);
  }
  const r = await help("restore");
  assertEquals(r.code, 0);
  for (
    const w of ["--no-dry-run", "Dry-run unless", "lock", "stop the agent"]
  ) {
    assert(r.out.includes(w), `restore --help lacks ${w}`);
  }
});

Deno.test("goavail snapshots lists each withdrawn record with its fields, when, by whom, and whether the agent restores it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-cli-state-" });
  try {
    await seed(`${dir}/state`);
    await Deno.writeTextFile(
      `${dir}/g.toml`,
      toml(`${dir}/state`, 0, "http://127.0.0.1:9/client/v4"),
    );
    const t = await goavail({}, "snapshots", "-f", `${dir}/g.toml`);
    assertEquals(t.code, 0, t.err);
    const [title, header, row] = t.out.trim().split("\n");
    assert(title!.includes(`${dir}/state/state.json`));
    assert(header!.startsWith("NAME"));
    for (
      const w of [
        "www.example.com",
        "192.0.2.3",
        "true",
        '"edge-3"',
        "team:edge",
        "edge-a",
        "no (ip not in config)",
      ]
    ) {
      assert(row!.includes(w), `the row lacks ${w}: ${row}`);
    }
    const j = await goavail({}, "snapshots", "-f", `${dir}/g.toml`, "--json");
    const rows = JSON.parse(j.out);
    assertEquals(rows.length, 1);
    assertEquals(rows[0].comment, "edge-3");
    assertEquals(rows[0].savedBy, "edge-a");
    assertEquals(rows[0].managed, false);
    assert(!Number.isNaN(Date.parse(rows[0].savedAt)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a running agent's state_dir: a second agent and a restore refuse, naming the dir and its pid; after it stops, restore writes", async (t) => {
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ name: "example.com", records: [] }],
  });
  const root = await Deno.makeTempDir({ prefix: "goavail-cli-state-" });
  const stateDir = `${root}/state`;
  await seed(stateDir);
  const first = await MonitorProcess.start((_dir, port) =>
    toml(stateDir, port, fake.url)
  );
  try {
    const pid = Number(Deno.readTextFileSync(`${stateDir}/goavail.lock`));
    assertEquals(pid, first.child.pid);
    const warning = await first.waitFor(
      (r) =>
        String(r.msg).startsWith(
          "Withdrawn record A www.example.com 192.0.2.3",
        ),
      "the warning about the unmanaged withdrawn record",
    );
    assertEquals(warning.level, "warn");
    await t.step("a second agent on the same state_dir exits 1", async () => {
      const second = await MonitorProcess.spawn((_dir, port) =>
        toml(stateDir, port, fake.url)
      );
      try {
        const status = await second.child.status;
        assertEquals(status.code, 1);
        const line = second.records().map((r) => String(r.msg)).join("\n");
        assert(line.includes(`state_dir "${stateDir}"`), line);
        assert(line.includes(`process ${pid}`), line);
      } finally {
        await second.close();
      }
      assertEquals(first.exit, null, "the first agent died");
    });
    const env = { CLOUDFLARE_API_TOKEN: TOKEN };
    await t.step("restore --no-dry-run refuses while it runs", async () => {
      const r = await goavail(
        env,
        "restore",
        "-f",
        first.configPath,
        "--no-dry-run",
        "192.0.2.3",
      );
      assertEquals(r.code, 1);
      assert(r.err.includes(`state_dir "${stateDir}"`), r.err);
      assert(r.err.includes(`process ${pid}`), r.err);
      assertEquals(fake.audit, []);
    });
    await t.step("after it stops, restore puts the record back", async () => {
      first.signal("SIGTERM");
      assertEquals((await first.child.status).code, 0, first.tail());
      const r = await goavail(
        env,
        "restore",
        "-f",
        first.configPath,
        "--no-dry-run",
        "192.0.2.3",
      );
      assertEquals(r.code, 0, r.err);
      const made = fake.state.recordsOf("www.example.com");
      assertEquals(made.length, 1);
      const { ttl, proxied, comment, tags } = made[0]!;
      assertEquals({ ttl, proxied, comment, tags }, {
        ttl: 1,
        proxied: true,
        comment: "edge-3",
        tags: ["team:edge"],
      });
      const left = await FileStateStore.open(stateDir);
      assertEquals(left.snapshots().size, 0);
    });
  } finally {
    await first.close();
    await fake.close();
    await Deno.remove(root, { recursive: true });
  }
});
