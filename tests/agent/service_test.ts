import assert from "node:assert/strict";
import {
  installUnit,
  quoteExecArg,
  renderUnit,
  serviceCommand,
  ServiceError,
} from "../../lib/agent/service.ts";

const BASE = {
  execPath: "/usr/local/bin/goavail",
  configPath: "/etc/goavail/goavail.toml",
};

/** @returns the value of every `Key=` line (not comments), by key. */
function keys(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

Deno.test("renderUnit() writes a hardened unit that runs monitor with the config", () => {
  const unit = renderUnit({
    ...BASE,
    tokenFile: "/etc/goavail/cloudflare_token",
  });
  const k = keys(unit);
  const one = (key: string) => {
    assert.equal(k.get(key)?.length, 1, key);
    return k.get(key)![0];
  };
  assert.equal(
    one("ExecStart"),
    "/usr/local/bin/goavail monitor -f /etc/goavail/goavail.toml",
  );
  assert.equal(one("ExecReload"), "/bin/kill -HUP $MAINPID");
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("RestartSec"), "2");
  assert.equal(one("User"), "goavail");
  assert.equal(one("DynamicUser"), "yes");
  assert.equal(one("AmbientCapabilities"), "CAP_NET_RAW");
  assert.equal(one("CapabilityBoundingSet"), "CAP_NET_RAW");
  assert.equal(
    one("LoadCredential"),
    "cloudflare_token:/etc/goavail/cloudflare_token",
  );
  assert.equal(one("StateDirectory"), "goavail");
  for (
    const yes of [
      "NoNewPrivileges",
      "ProtectHome",
      "PrivateTmp",
      "LockPersonality",
    ]
  ) {
    assert.equal(one(yes), "yes", yes);
  }
  assert.equal(one("ProtectSystem"), "strict");
  assert.equal(
    one("RestrictAddressFamilies"),
    "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
  );
  assert.equal(one("SystemCallArchitectures"), "native");
  assert.equal(one("MemoryDenyWriteExecute"), "no");
  assert.match(unit, /# V8's JIT .*\nMemoryDenyWriteExecute=no/);
  assert.equal(one("WantedBy"), "multi-user.target");
  assert.deepEqual(
    unit.split("\n").filter((l) => l.startsWith("[")),
    ["[Unit]", "[Service]", "[Install]"],
  );
  assert.ok(unit.endsWith("\n"));
});

Deno.test("renderUnit() comments the credential out without a token file", () => {
  const unit = renderUnit(BASE);
  assert.equal(keys(unit).get("LoadCredential"), undefined);
  assert.match(
    unit,
    /^#LoadCredential=cloudflare_token:\/etc\/goavail\/cloudflare_token$/m,
  );
});

Deno.test("renderUnit() handles root, extra exec args and a custom state dir", () => {
  const unit = renderUnit({
    ...BASE,
    user: "root",
    execArgs: ["run", "-A", "/opt/goavail dir/main.ts"],
    stateDir: "/srv/goavail",
  });
  const k = keys(unit);
  assert.deepEqual(k.get("User"), ["root"]);
  assert.equal(k.get("DynamicUser"), undefined);
  assert.deepEqual(k.get("ReadWritePaths"), ["/srv/goavail"]);
  assert.deepEqual(k.get("ExecStart"), [
    '/usr/local/bin/goavail run -A "/opt/goavail dir/main.ts" monitor -f /etc/goavail/goavail.toml',
  ]);
  assert.deepEqual(k.get("CacheDirectory"), ["goavail"]);
  assert.deepEqual(k.get("Environment"), [
    "DENO_DIR=%C/goavail DENO_NO_UPDATE_CHECK=1",
  ]);
  assert.deepEqual(k.get("ProtectHome"), ["yes"]);
  const home = keys(renderUnit({ ...BASE, configPath: "/root/goavail.toml" }));
  assert.deepEqual(home.get("ProtectHome"), ["read-only"]);
  assert.equal(home.get("CacheDirectory"), undefined);
});

Deno.test("renderUnit() rejects relative paths, newlines and odd names", () => {
  assert.throws(
    () => renderUnit({ ...BASE, configPath: "goavail.toml" }),
    ServiceError,
  );
  assert.throws(
    () => renderUnit({ ...BASE, execPath: "goavail" }),
    ServiceError,
  );
  assert.throws(
    () => renderUnit({ ...BASE, configPath: "/etc/x\nExecStartPre=/bin/sh" }),
    ServiceError,
  );
  assert.throws(() => renderUnit({ ...BASE, user: "a b" }), ServiceError);
  assert.throws(
    () => renderUnit({ ...BASE, tokenFile: "/etc/my token" }),
    ServiceError,
  );
});

Deno.test("quoteExecArg() escapes systemd specifiers and quotes spaces", () => {
  assert.equal(quoteExecArg("/a/b"), "/a/b");
  assert.equal(quoteExecArg("100%"), "100%%");
  assert.equal(quoteExecArg("$HOME"), "$$HOME");
  assert.equal(quoteExecArg('a "b"'), '"a \\"b\\""');
  assert.equal(quoteExecArg(""), '""');
});

Deno.test({
  name: "renderUnit() passes systemd-analyze verify",
  ignore: await Deno.stat("/usr/bin/systemd-analyze").then(() => false, () => {
    // deno-lint-ignore no-console
    console.error("skipping systemd-analyze test: not installed");
    return true;
  }),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "goavail-unit-" });
    try {
      const path = `${dir}/goavail.service`;
      await Deno.writeTextFile(
        path,
        renderUnit({ ...BASE, execPath: "/bin/true" }),
      );
      const out = await new Deno.Command("/usr/bin/systemd-analyze", {
        args: ["verify", path],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, err);
      assert.ok(!err.includes("goavail.service:"), err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("installUnit() writes the file and runs daemon-reload through the runner", async () => {
  const dir = await Deno.makeTempDir({ prefix: "goavail-unit-" });
  try {
    const ran: string[][] = [];
    const path = `${dir}/goavail.service`;
    const r = await installUnit(path, "[Unit]\n", (argv) => {
      ran.push(argv);
      return Promise.resolve({ code: 0, stderr: "" });
    });
    assert.deepEqual(r, { ok: true, value: undefined });
    assert.equal(await Deno.readTextFile(path), "[Unit]\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    assert.deepEqual(ran, [["systemctl", "daemon-reload"]]);
    const failed = await installUnit(
      path,
      "[Unit]\n",
      () => Promise.resolve({ code: 1, stderr: "Failed to connect to bus\n" }),
    );
    assert.equal(failed.ok, false);
    assert.match(
      !failed.ok ? failed.error : "",
      /daemon-reload" failed \(exit 1\): Failed to connect to bus$/,
    );
    const missing = await installUnit(
      `${dir}/no/such/dir/x.service`,
      "",
      () => {
        throw new Error("must not run");
      },
    );
    assert.equal(missing.ok, false);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "goavail.service",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serviceCommand() prints the unit, or installs it and prints next steps", async () => {
  const lines: string[] = [];
  const code = await serviceCommand({
    ...BASE,
    install: false,
    tokenFile: "/etc/goavail/cloudflare_token",
    write: (l) => lines.push(l),
    readConfig: () => Promise.resolve(""),
  });
  assert.equal(code, 0);
  assert.equal(
    lines.join("\n") + "\n",
    renderUnit({ ...BASE, tokenFile: "/etc/goavail/cloudflare_token" }),
  );

  const dir = await Deno.makeTempDir({ prefix: "goavail-unit-" });
  try {
    const out: string[] = [];
    const ran: string[][] = [];
    const installed = await serviceCommand({
      ...BASE,
      configPath: "goavail.toml",
      install: true,
      unitPath: `${dir}/goavail.service`,
      write: (l) => out.push(l),
      run: (argv) => {
        ran.push(argv);
        return Promise.resolve({ code: 0, stderr: "" });
      },
    });
    assert.equal(installed, 0);
    assert.deepEqual(ran, [["systemctl", "daemon-reload"]]);
    const unit = await Deno.readTextFile(`${dir}/goavail.service`);
    assert.ok(unit.includes(`-f ${Deno.cwd()}/goavail.toml`));
    assert.ok(out.some((l) => l.includes("systemctl enable --now goavail")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const errs: string[] = [];
  const bad = await serviceCommand({
    ...BASE,
    execPath: "rel/goavail",
    install: false,
    readConfig: () => Promise.resolve(""),
    write: () => assert.fail("nothing goes to stdout on error"),
    writeErr: (l) => errs.push(l),
  });
  assert.equal(bad, 2);
  assert.deepEqual(errs, [
    'error: The binary must be an absolute path, got "rel/goavail"',
  ]);
});

Deno.test("serviceCommand() passes the config's secret files with LoadCredential=", async () => {
  const lines: string[] = [];
  const code = await serviceCommand({
    ...BASE,
    install: false,
    tokenFile: "/etc/goavail/cloudflare_token",
    write: (l) => lines.push(l),
    readConfig: (path) => {
      assert.equal(path, "/etc/goavail/goavail.toml");
      return Promise.resolve(`[members]
crypto_keys_file = "/etc/goavail/crypto_keys"
[notify]
webhook_url_file = "/etc/goavail/webhook_url"
slack_webhook_url_file = "/etc/goavail/slack_webhook_url"
`);
    },
  });
  assert.equal(code, 0);
  assert.deepEqual(keys(lines.join("\n")).get("LoadCredential"), [
    "cloudflare_token:/etc/goavail/cloudflare_token",
    "crypto_keys:/etc/goavail/crypto_keys",
    "webhook_url:/etc/goavail/webhook_url",
    "slack_webhook_url:/etc/goavail/slack_webhook_url",
  ]);
});

Deno.test("serviceCommand() says so when it cannot read the config for its secret files", async () => {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await serviceCommand({
    ...BASE,
    install: false,
    write: (l) => lines.push(l),
    writeErr: (l) => errs.push(l),
    readConfig: () => Promise.reject(new Deno.errors.NotFound("gone")),
  });
  assert.equal(code, 0);
  assert.ok(
    errs.some((l) => l.includes("no LoadCredential= lines")),
    errs.join(),
  );
  assert.ok(lines[0]?.startsWith("[Unit]"));
});

Deno.test("renderUnit() refuses a relative secret file path", () => {
  assert.throws(
    () =>
      renderUnit({
        ...BASE,
        credentials: [{ name: "crypto_key", path: "crypto_key" }],
      }),
    /secret file must be an absolute path/,
  );
});
