/**
 * The original goavail's command lines (kingpin: flags global, before or
 * after the command) and the checks around secrets, by spawning main.ts.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { freePort } from "./support/free_port.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const KEY = "cli-test-key-0123456789abcdef";

async function goavail(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

/**
 * A temp dir with `goavail.toml` (dry_run = false, icmp, loopback targets),
 * with `extra` top-level keys, `sections` at the end, and `mode`.
 */
async function configDir(
  extra = "",
  sections = "",
  mode = 0o600,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "goavail-cli-" });
  await Deno.writeTextFile(
    `${dir}/goavail.toml`,
    `interval = 0.2
failure_threshold = 2
dry_run = false
state_dir = "${dir}/state"
${extra}
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["127.0.0.1"]
[status]
listen = "127.0.0.1:${freePort()}"
${sections}`,
  );
  await Deno.chmod(`${dir}/goavail.toml`, mode);
  return dir;
}

/**
 * Runs `goavail ARGS` until its log shows `until` (bounded), then stops it
 * with SIGTERM.
 * @returns its exit code and log
 */
async function runUntil(
  args: string[],
  until: (log: string) => boolean,
): Promise<{ code: number; log: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = (async () => {
    for await (const s of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += s;
    }
  })();
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  try {
    for (let i = 0; i < 300 && !until(log) && !exited; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(until(log), `never saw what was awaited:\n${log}`);
  } finally {
    if (!exited) child.kill("SIGTERM");
    await status;
    await reading;
  }
  return { code: (await status).code, log };
}

Deno.test("goavail --config-file FILE monitor runs (the original's flag before the command)", async () => {
  const dir = await configDir();
  try {
    const r = await runUntil(
      ["--config-file", `${dir}/goavail.toml`, "-d", "monitor"],
      (l) => l.includes('msg="agent started"'),
    );
    assertEquals(r.code, 0, r.log);
    assert(r.log.includes(`file=${dir}/goavail.toml`), r.log);
    assert(r.log.includes("dry_run=true"), r.log);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail monitor -f FILE -d -b -t tcp runs dry, at debug level, probing TCP", async () => {
  const dir = await configDir('probe_type = "icmp"\nport = 9');
  try {
    const r = await runUntil(
      ["monitor", "-f", `${dir}/goavail.toml`, "-d", "-b", "-t", "tcp"],
      (l) => l.includes('msg="agent started"') && l.includes("level=debug"),
    );
    assertEquals(r.code, 0, r.log);
    const loaded = r.log.split("\n").find((l) =>
      l.includes('msg="config loaded"')
    );
    assert(loaded?.includes("probe=tcp"), loaded);
    assert(loaded?.includes("dry_run=true"), loaded);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail -t ip means icmp, and flags mix before and after the command", async () => {
  const dir = await configDir('probe_type = "tcp"');
  try {
    const f = `${dir}/goavail.toml`;
    const icmp = await goavail("-f", f, "check-config", "-t", "ip");
    assertEquals(icmp.code, 0, icmp.err);
    assert(icmp.out.includes("probing:    icmp every"), icmp.out);
    const tcp = await goavail("--type", "tcp", "check-config", "-f", f, "-d");
    assertEquals(tcp.code, 0, tcp.err);
    assert(tcp.out.includes("probing:    tcp port 80"), tcp.out);
    assert(tcp.out.includes("dns:        dry-run"), tcp.out);
    const live = await goavail("check-config", "--config-file", f);
    assert(live.out.includes("LIVE: changes Cloudflare DNS"), live.out);
    const bad = await goavail("monitor", "-f", f, "-t", "udp");
    assertEquals(bad.code, 2);
    assert(bad.err.includes("udp"), bad.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail -p route53 says it is not supported yet and exits 1; -p cloudflare runs", async () => {
  const dir = await configDir();
  try {
    const f = `${dir}/goavail.toml`;
    for (
      const args of [
        ["monitor", "-f", f, "-p", "route53"],
        ["--dns-provider", "route53", "monitor", "-f", f],
        ["check-config", "-f", f, "-p", "route53"],
      ]
    ) {
      const r = await goavail(...args);
      assertEquals(r.code, 1, args.join(" "));
      assert(/route53\\?" is not supported yet/.test(r.err), r.err);
    }
    const ok = await goavail("check-config", "-f", f, "-p", "cloudflare");
    assertEquals(ok.code, 0, ok.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail check-config says where a key at the wrong level belongs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-cli-" });
  try {
    await Deno.writeTextFile(
      `${dir}/goavail.toml`,
      `heartbeat_interval = 1
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1"]
interval = 2
`,
    );
    const r = await goavail("check-config", "-f", `${dir}/goavail.toml`);
    assertEquals(r.code, 1);
    const lines = r.err.split("\n").map((l) => l.trim());
    assert(
      lines.includes(
        '"heartbeat_interval" is not a top-level key; did you mean "members.heartbeat_interval"?',
      ),
      r.err,
    );
    assert(
      lines.includes(
        '"cloudflare.interval" is not a known key of [cloudflare]; "interval" is a top-level key: move it above the first [section]',
      ),
      r.err,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail check-config and monitor warn when a secret is readable by others", async () => {
  const inline = await configDir(
    "",
    `[members]\ncrypto_key = "${KEY}"\n`,
    0o644,
  );
  const dir = await configDir(
    "",
    `[notify]\nwebhook_url_file = "WEBHOOK"\n`,
    0o640,
  );
  try {
    const a = await goavail("check-config", "-f", `${inline}/goavail.toml`);
    assertEquals(a.code, 0, a.err);
    assert(
      a.err.includes(
        "holds secrets (members.crypto_key) and is readable by group and others (mode 0644)",
      ),
      a.err,
    );
    assert(!a.err.includes(KEY) && !a.out.includes(KEY), "key printed");

    const hook = `${dir}/webhook_url`;
    await Deno.writeTextFile(hook, "https://hooks.example.com/secret\n");
    await Deno.chmod(hook, 0o604);
    const f = `${dir}/goavail.toml`;
    await Deno.writeTextFile(
      f,
      (await Deno.readTextFile(f)).replace("WEBHOOK", hook),
    );
    const b = await goavail("check-config", "-f", f);
    assertEquals(b.code, 0, b.err);
    assert(b.err.includes("readable by others (mode 0604)"), b.err);
    assert(!b.err.includes("holds secrets"), "a 0640 config without secrets");

    const m = await runUntil(
      ["monitor", "-f", f, "-d"],
      (l) => l.includes('msg="agent started"'),
    );
    assertEquals(m.code, 0, m.log);
    assert(
      m.log.split("\n").some((l) =>
        l.includes("level=warn") && l.includes("mode 0604")
      ),
      m.log,
    );
    assert(!m.log.includes("hooks.example.com/secret"), "webhook URL logged");
  } finally {
    await Deno.remove(inline, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goavail --config-file FILE reaches every command that reads a config", async () => {
  const dir = await configDir();
  try {
    const f = `${dir}/goavail.toml`;
    const snapshots = await goavail("--config-file", f, "snapshots");
    assertEquals(snapshots.code, 0, snapshots.err);
    assert(snapshots.out.includes(`${dir}/state`), snapshots.out);
    const missing = `${dir}/missing.toml`;
    const restore = await goavail("-f", missing, "restore", "192.0.2.1");
    assertEquals(restore.code, 1);
    assert(restore.err.includes(`Cannot read "${missing}"`), restore.err);
    const r53 = await goavail("-p", "route53", "restore", "192.0.2.1");
    assertEquals(r53.code, 1);
    assert(r53.err.includes("not supported yet"), r53.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
