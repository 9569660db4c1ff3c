import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  loadConfigFile,
  loadConfigText,
  type LoadResult,
} from "../../lib/config/load.ts";
import type { SecretSource } from "../../lib/config/secret_source.ts";

const KEY = "file-key-0123456789abcdef";
const CF = `[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;
const CLUSTER = `[members]
peers = ["198.51.100.2:7947"]
local_addr = "198.51.100.1:7947"
min_peers_agree = 1
`;

/** An in-memory file system: path → [text, mode]. */
function source(
  files: Record<string, [string, number]>,
  credentialsDir: string | null = null,
): SecretSource {
  return {
    credentialsDir,
    readTextFile(path) {
      const f = files[path];
      if (!f) throw new Deno.errors.NotFound(path);
      if (f[1] === 0) throw new Deno.errors.PermissionDenied(path);
      return f[0];
    },
    mode: (path) => files[path]?.[1] ?? null,
  };
}

function ok(r: LoadResult) {
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

function errorAt(r: LoadResult, path: string): string {
  assert(!r.ok, "was accepted");
  const hit = r.errors.find((e) => e.path === path);
  assert(hit, `no error at ${path}: ${JSON.stringify(r.errors)}`);
  return hit.message;
}

Deno.test("loadConfigText() reads crypto_key_file into the cluster key", () => {
  const v = ok(loadConfigText(
    `${CF}${CLUSTER}crypto_key_file = "/etc/goavail/crypto_key"\n`,
    { secrets: source({ "/etc/goavail/crypto_key": [`${KEY}\n`, 0o600] }) },
  ));
  assertEquals(v.config.members.cryptoKeys, [KEY]);
  assertEquals(v.warnings, []);
  assertEquals(v.config.secretFiles, [{
    key: "members.crypto_key_file",
    credential: "crypto_key",
    path: "/etc/goavail/crypto_key",
  }]);
});

Deno.test("loadConfigText() reads crypto_keys_file one key per line, skipping blanks and comments", () => {
  const v = ok(loadConfigText(
    `${CF}${CLUSTER}crypto_keys_file = "/k"\n`,
    {
      secrets: source({
        "/k": [`# new first\n${KEY}\n\n  old-key-0123456789abcdef  \n`, 0o400],
      }),
    },
  ));
  assertEquals(v.config.members.cryptoKeys, [KEY, "old-key-0123456789abcdef"]);
});

Deno.test("loadConfigText() reads webhook_url_file and slack_webhook_url_file", () => {
  const v = ok(loadConfigText(
    `${CF}[notify]\nwebhook_url_file = "/w"\nslack_webhook_url_file = "/s"\n`,
    {
      secrets: source({
        "/w": ["https://hooks.example.com/abc\n", 0o600],
        "/s": ["https://hooks.slack.com/services/T1/B2/c3\n", 0o600],
      }),
    },
  ));
  assertEquals(v.config.notify.webhookUrl, "https://hooks.example.com/abc");
  assertEquals(
    v.config.notify.slackWebhookUrl,
    "https://hooks.slack.com/services/T1/B2/c3",
  );
  assertEquals(v.config.notify.slackFormat, "json");
});

Deno.test("loadConfigText() rejects a secret file key next to its inline key, naming both", () => {
  const cases: [string, string, string][] = [
    [
      `crypto_key = "${KEY}"\ncrypto_key_file = "/k"\n`,
      "members.crypto_key_file",
      '"crypto_key"',
    ],
    [
      `crypto_keys = ["${KEY}"]\ncrypto_key_file = "/k"\n`,
      "members.crypto_key_file",
      '"crypto_keys"',
    ],
    [
      `crypto_key_file = "/k"\ncrypto_keys_file = "/k"\n`,
      "members.crypto_key_file",
      '"crypto_keys_file"',
    ],
  ];
  for (const [keys, path, other] of cases) {
    const msg = errorAt(
      loadConfigText(`${CF}${CLUSTER}${keys}`, {
        secrets: source({ "/k": [KEY, 0o600] }),
      }),
      path,
    );
    assert(msg.includes(other) && msg.includes("keep one"), msg);
  }
  const msg = errorAt(
    loadConfigText(
      `${CF}[notify]\nwebhook_url = "https://a.example/x"\nwebhook_url_file = "/k"\n`,
      { secrets: source({}) },
    ),
    "notify.webhook_url_file",
  );
  assert(msg.includes('"webhook_url"'), msg);
});

Deno.test("loadConfigText() names the key and the file when a secret file is missing, unreadable, empty or bad, never its content", () => {
  const files = source({
    "/short": ["sekrit\n", 0o600],
    "/empty": ["\n", 0o600],
    "/locked": [KEY, 0],
    "/badurl": ["not a url sekrit", 0o600],
  });
  const cases: [string, string, string, string][] = [
    [
      "members",
      "crypto_key_file",
      "/missing",
      'cannot read "/missing": no such file',
    ],
    [
      "members",
      "crypto_key_file",
      "/locked",
      "LoadCredential=crypto_key:/locked",
    ],
    ["members", "crypto_key_file", "/empty", 'reads "/empty", which is empty'],
    ["members", "crypto_key_file", "/short", "at least 16 characters"],
    ["notify", "webhook_url_file", "/badurl", "URL"],
  ];
  for (const [section, key, path, words] of cases) {
    const r = loadConfigText(
      `${CF}${
        section === "members" ? CLUSTER : "[notify]\n"
      }${key} = "${path}"\n`,
      { secrets: files },
    );
    const msg = errorAt(r, `${section}.${key}`);
    assert(msg.includes(words), `${path}: ${msg}`);
    assert(!JSON.stringify(r).includes("sekrit"), "content shown");
  }
});

Deno.test("loadConfigText() takes a systemd credential when no key is set", () => {
  const v = ok(loadConfigText(`${CF}${CLUSTER}`, {
    secrets: source({
      "/run/credentials/goavail.service/crypto_key": [KEY, 0o440],
      "/run/credentials/goavail.service/webhook_url": [
        "https://hooks.example.com/x",
        0o440,
      ],
    }, "/run/credentials/goavail.service"),
  }));
  assertEquals(v.config.members.cryptoKeys, [KEY]);
  assertEquals(v.config.notify.webhookUrl, "https://hooks.example.com/x");
  assertEquals(v.warnings, [], "credential files are systemd's to protect");
});

Deno.test("loadConfigText() prefers the credential of a file key under systemd (the service user may not read the path)", () => {
  const v = ok(loadConfigText(
    `${CF}${CLUSTER}crypto_key_file = "/etc/goavail/crypto_key"\n`,
    {
      secrets: source({
        "/etc/goavail/crypto_key": [KEY, 0], // root-only
        "/cred/crypto_key": ["credential-key-0123456789", 0o400],
      }, "/cred"),
    },
  ));
  assertEquals(v.config.members.cryptoKeys, ["credential-key-0123456789"]);
});

Deno.test("loadConfigText() keeps an inline key over a credential, and refuses two credentials for one key", () => {
  const creds = {
    "/cred/crypto_key": ["credential-key-0123456789", 0o400],
    "/cred/crypto_keys": [`${KEY}\n`, 0o400],
  } as Record<string, [string, number]>;
  const inline = ok(loadConfigText(
    `${CF}${CLUSTER}crypto_key = "${KEY}"\n`,
    { secrets: source(creds, "/cred") },
  ));
  assertEquals(inline.config.members.cryptoKeys, [KEY]);
  const msg = errorAt(
    loadConfigText(`${CF}${CLUSTER}`, { secrets: source(creds, "/cred") }),
    "members.crypto_key",
  );
  assert(msg.includes('"crypto_key" and "crypto_keys"'), msg);
});

Deno.test("loadConfigText() warns when a secret file is readable by group or others", () => {
  const warnings = (mode: number) =>
    ok(loadConfigText(
      `${CF}${CLUSTER}crypto_key_file = "/k"\n[notify]\nslack_webhook_url_file = "/s"\n`,
      {
        secrets: source({
          "/k": [KEY, mode],
          "/s": ["https://hooks.slack.com/services/T/B/x", 0o600],
        }),
      },
    )).warnings;
  assertEquals(warnings(0o600), []);
  assertEquals(warnings(0o400), []);
  assertEquals(warnings(0o644), [
    '"members.crypto_key_file" names "/k", which is readable by group and others (mode 0644): "chmod 600" it',
  ]);
  assert(warnings(0o640)[0]?.includes("readable by group (mode 0640)"));
  assert(warnings(0o604)[0]?.includes("readable by others (mode 0604)"));
});

Deno.test("loadConfigText() warns about an api_token_file readable by others", () => {
  const v = ok(loadConfigText(`${CF}api_token_file = "/t"\n`, {
    secrets: source({ "/t": ["token", 0o644] }),
  }));
  assert(v.warnings.some((w) => w.includes('"cloudflare.api_token_file"')));
});

Deno.test("loadConfigText() warns when the config itself holds secrets and others may read it", () => {
  const files = (mode: number) =>
    source({ "/etc/goavail/goavail.toml": ["", mode] });
  const inline =
    `slack_addr = "T0/B0/x"\n${CF}${CLUSTER}crypto_key = "${KEY}"\n`;
  const shared = ok(loadConfigText(inline, {
    path: "/etc/goavail/goavail.toml",
    secrets: files(0o644),
  })).warnings;
  assertEquals(shared, [
    '"/etc/goavail/goavail.toml" holds secrets (members.crypto_key, slack_addr) and is readable by group and others (mode 0644): "chmod 600" it, or move them to files or systemd credentials (crypto_key_file, webhook_url_file, slack_webhook_url_file)',
  ]);
  assertEquals(
    ok(loadConfigText(inline, {
      path: "/etc/goavail/goavail.toml",
      secrets: files(0o600),
    })).warnings,
    [],
  );
  // Secrets moved out: a group-readable config (the unit's 0640) is fine.
  assertEquals(
    ok(loadConfigText(`${CF}${CLUSTER}crypto_key_file = "/k"\n`, {
      path: "/etc/goavail/goavail.toml",
      secrets: source({
        "/etc/goavail/goavail.toml": ["", 0o640],
        "/k": [KEY, 0o600],
      }),
    })).warnings,
    [],
  );
});

Deno.test("loadConfigFile() reads real secret files and checks real modes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/crypto_key`, `${KEY}\n`, { mode: 0o600 });
    await Deno.chmod(`${dir}/crypto_key`, 0o644);
    const config = `${dir}/goavail.toml`;
    await Deno.writeTextFile(
      config,
      `${CF}${CLUSTER}crypto_key_file = "${dir}/crypto_key"\n`,
    );
    const v = ok(await loadConfigFile(config));
    assertEquals(v.config.members.cryptoKeys, [KEY]);
    assertEquals(v.warnings.length, 1);
    assert(v.warnings[0]!.includes("mode 0644"), v.warnings[0]);
    await Deno.chmod(`${dir}/crypto_key`, 0o600);
    assertEquals(ok(await loadConfigFile(config)).warnings, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
