import assert from "node:assert/strict";
import { a, cfConfig, only, TOKEN, WWW } from "./fixtures.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { resolveCredentials } from "../../lib/dns/cloudflare_credentials.ts";
import { startFakeCloudflare } from "../support/fake_cloudflare.ts";

Deno.test("createCloudflareProvider() refuses to start without credentials", async () => {
  await assert.rejects(
    createCloudflareProvider(cfConfig(), { env: {} }),
    (e: unknown) =>
      e instanceof DnsProviderError && e.kind === "auth" &&
      /CLOUDFLARE_API_TOKEN/.test(e.message),
  );
});

Deno.test("createCloudflareProvider() reads api_token_file and names the file on error", async () => {
  const dir = await Deno.makeTempDir();
  const fake = startFakeCloudflare({
    token: TOKEN,
    zones: [{ name: "example.com", records: [a("192.0.2.1")] }],
  });
  try {
    await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
    const provider = await createCloudflareProvider(
      cfConfig({ apiTokenFile: `${dir}/token`, apiUrl: fake.url }),
      { env: {} },
    );
    assert.equal(only(await provider.list([WWW])).length, 1);
    await assert.rejects(
      createCloudflareProvider(cfConfig({ apiTokenFile: `${dir}/missing` }), {
        env: {},
      }),
      (e: unknown) =>
        e instanceof DnsProviderError && e.message.includes(`${dir}/missing`),
    );
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createCloudflareProvider() accepts the original CF_API_KEY and CF_API_EMAIL", async () => {
  const fake = startFakeCloudflare({
    apiKey: "legacy-key-123456",
    apiEmail: "ops@example.com",
    zones: [{ name: "example.com", records: [a("192.0.2.1")] }],
  });
  try {
    const secrets = new Set<string>();
    const provider = await createCloudflareProvider(cfConfig(), {
      env: {
        CF_API_KEY: "legacy-key-123456",
        CF_API_EMAIL: "ops@example.com",
        CLOUDFLARE_BASE_URL: fake.url,
      },
      secrets,
    });
    assert.equal(only(await provider.list([WWW])).length, 1);
    assert.ok(secrets.has("legacy-key-123456"));
  } finally {
    await fake.close();
  }
});

Deno.test("resolveCredentials() prefers CLOUDFLARE_API_TOKEN, then api_token_file, then CF_API_KEY", async () => {
  const read = (path: string) =>
    Promise.resolve(path === "/t" ? " file-token \n" : "");
  const env = {
    CLOUDFLARE_API_TOKEN: "env-token",
    CF_API_KEY: "k",
    CF_API_EMAIL: "e@example.com",
  };
  assert.deepEqual(
    await resolveCredentials(cfConfig({ apiTokenFile: "/t" }), env, read),
    { apiToken: "env-token" },
  );
  const noToken = { ...env, CLOUDFLARE_API_TOKEN: " " };
  assert.deepEqual(
    await resolveCredentials(cfConfig({ apiTokenFile: "/t" }), noToken, read),
    { apiToken: "file-token" },
  );
  assert.deepEqual(await resolveCredentials(cfConfig(), noToken, read), {
    apiKey: "k",
    apiEmail: "e@example.com",
  });
  await assert.rejects(
    resolveCredentials(cfConfig({ apiTokenFile: "/empty" }), {}, read),
    (e: unknown) => e instanceof DnsProviderError && /is empty/.test(e.message),
  );
  await assert.rejects(
    resolveCredentials(cfConfig(), { CF_API_KEY: "k" }, read),
    DnsProviderError,
  );
});

Deno.test("resolveCredentials() falls back to the systemd credential cloudflare_token", async () => {
  const files: Record<string, string> = {
    "/run/credentials/goavail.service/cloudflare_token": "cred-token\n",
  };
  const read = (p: string) =>
    p in files
      ? Promise.resolve(files[p]!)
      : Promise.reject(new Deno.errors.NotFound(p));
  const creds = await resolveCredentials(
    cfConfig(),
    { CREDENTIALS_DIRECTORY: "/run/credentials/goavail.service" },
    read,
  );
  assert.deepEqual(creds, { apiToken: "cred-token" });
  const env = await resolveCredentials(
    cfConfig(),
    {
      CREDENTIALS_DIRECTORY: "/run/credentials/goavail.service",
      CLOUDFLARE_API_TOKEN: "env-token",
    },
    read,
  );
  assert.deepEqual(env, { apiToken: "env-token" }, "the environment wins");
  await assert.rejects(
    resolveCredentials(cfConfig(), { CREDENTIALS_DIRECTORY: "/nowhere" }, read),
    (e) =>
      e instanceof DnsProviderError && e.message.includes("cloudflare_token"),
  );
});
