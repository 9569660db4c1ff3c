import assert from "node:assert/strict";
import { cfConfig, WWW } from "./fixtures.ts";
import { createCloudflareProvider } from "../../lib/dns/cloudflare.ts";
import { toProviderError } from "../../lib/dns/cloudflare_map.ts";
import {
  credentialHint,
  describeDetails,
  errorDetails,
} from "../../lib/dns/cloudflare_errors.ts";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import {
  type FakeCloudflareOptions,
  startFakeCloudflare,
} from "../support/fake_cloudflare.ts";

const chain6111 = [{
  code: 6003,
  message: "Invalid request headers",
  error_chain: [{
    code: 6111,
    message: "Invalid format for Authorization header",
  }],
}];

function sdkError(status: number, errors: unknown[]): unknown {
  return Object.assign(new Error(`${status} raw body`), {
    status,
    errors,
    headers: new Headers(),
  });
}

for (
  const [what, status, errors, kind] of [
    ["400 6003 [6111] (malformed token)", 400, chain6111, "auth"],
    ["400 6003 [6103] (malformed key)", 400, [{
      code: 6003,
      message: "Invalid request headers",
      error_chain: [{
        code: 6103,
        message: "Invalid format for X-Auth-Key header",
      }],
    }], "auth"],
    ["400 9106 (no credentials)", 400, [{
      code: 9106,
      message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
    }], "auth"],
    [
      "403 10000",
      403,
      [{ code: 10000, message: "Authentication error" }],
      "auth",
    ],
    ["403 9109 (IP filter)", 403, [{
      code: 9109,
      message: "Cannot use the access token from location: 192.0.2.9",
    }], "auth"],
    ["401", 401, [], "auth"],
    ["400 6003 without a credential code", 400, [{
      code: 6003,
      message: "Invalid request headers",
      error_chain: [{ code: 6100, message: "Invalid format for Content-Type" }],
    }], "bad_request"],
    ["400 1004 [9003] (proxy refused)", 400, [{
      code: 1004,
      message: "DNS Validation Error",
      error_chain: [{
        code: 9003,
        message: "Target 10.0.0.1 is not allowed for a proxied record.",
      }],
    }], "bad_request"],
  ] as const
) {
  Deno.test(`toProviderError() classifies ${what} as ${kind}`, () => {
    const e = toProviderError(sdkError(status, [...errors]), "list zones");
    assert.equal(e.kind, kind);
    assert.equal(e.status, status);
    assert.ok(!e.message.includes("raw body"));
  });
}

Deno.test("toProviderError() reads codes and messages inside error_chain", () => {
  const e = toProviderError(sdkError(400, chain6111), "list zones");
  assert.deepEqual(e.codes, [6003, 6111]);
  assert.equal(
    e.message,
    "Cloudflare list zones failed: HTTP 400 (6003 Invalid request headers [6111 Invalid format for Authorization header])",
  );
});

Deno.test("toProviderError() says when Cloudflare refuses to proxy an IP (9003)", () => {
  const e = toProviderError(
    sdkError(400, [{
      code: 1004,
      message: "DNS Validation Error",
      error_chain: [{
        code: 9003,
        message: "Target 10.0.0.1 is not allowed for a proxied record.",
      }],
    }]),
    "create",
  );
  assert.deepEqual(e.codes, [1004, 9003]);
  assert.match(e.message, /9003 Target 10\.0\.0\.1 is not allowed/);
  assert.match(e.message, /refuses to proxy this IP/);
  assert.match(e.message, /cloudflare\.dns_proxied = false/);
});

Deno.test("errorDetails() keeps nested chains and drops entries without a code", () => {
  const d = errorDetails([
    { code: 1, message: "a", error_chain: [{ code: 2, message: "b" }, {}] },
    "junk",
  ]);
  assert.equal(describeDetails(d), "1 a [2 b]");
});

Deno.test("credentialHint() names what to check for each refusal", () => {
  assert.match(credentialHint([6003, 6111]), /CLOUDFLARE_API_TOKEN/);
  assert.match(credentialHint([6003, 6111]), /api_token_file/);
  assert.match(credentialHint([6003, 6103]), /CF_API_KEY/);
  assert.match(credentialHint([9109]), /IP/);
  assert.match(credentialHint([10000]), /Zone:DNS:Edit and Zone:Read/);
});

async function listError(
  fakeOptions: FakeCloudflareOptions,
  env: Record<string, string>,
): Promise<DnsProviderError> {
  const fake = startFakeCloudflare({
    zones: [{ name: "example.com" }],
    ...fakeOptions,
  });
  try {
    const provider = await createCloudflareProvider(cfConfig(), {
      env: { ...env, CLOUDFLARE_BASE_URL: fake.url },
      timeoutMs: 1000,
    });
    const e = await provider.list([WWW]).then(() => null, (e: unknown) => e);
    assert.ok(e instanceof DnsProviderError, String(e));
    return e;
  } finally {
    await fake.close();
  }
}

Deno.test("CloudflareProvider.list() classifies a malformed token (400 6003 [6111]) as auth", async () => {
  const e = await listError({ token: "x".repeat(40) }, {
    CLOUDFLARE_API_TOKEN: "not a token",
  });
  assert.equal(e.kind, "auth");
  assert.equal(e.status, 400);
  assert.deepEqual(e.codes, [6003, 6111]);
  assert.match(e.message, /6111 Invalid format for Authorization header/);
  assert.ok(!e.message.includes("not a token"));
});

Deno.test("CloudflareProvider.list() classifies a malformed Global API Key (400 6003 [6103]) as auth", async () => {
  const e = await listError({}, {
    CF_API_KEY: "short-key",
    CF_API_EMAIL: "ops@example.com",
  });
  assert.equal(e.kind, "auth");
  assert.deepEqual(e.codes, [6003, 6103]);
});

Deno.test("CloudflareProvider.list() classifies a token refused by its IP filter (403 9109) as auth", async () => {
  const e = await listError(
    { token: "good-token", allowedClientIps: ["192.0.2.99"] },
    { CLOUDFLARE_API_TOKEN: "good-token" },
  );
  assert.equal(e.kind, "auth");
  assert.equal(e.status, 403);
  assert.deepEqual(e.codes, [9109]);
  assert.match(e.message, /Cannot use the access token from location/);
});

Deno.test("CloudflareProvider.apply() says clearly when Cloudflare refuses to proxy an IP (9003)", async () => {
  const fake = startFakeCloudflare({ zones: [{ name: "example.com" }] });
  try {
    const provider = await createCloudflareProvider(cfConfig(), {
      env: {
        CLOUDFLARE_API_TOKEN: "test-token",
        CLOUDFLARE_BASE_URL: fake.url,
      },
      timeoutMs: 1000,
    });
    const r = await provider.apply([{
      kind: "create",
      fromSnapshot: false,
      record: {
        type: "A",
        name: WWW,
        content: "10.0.0.7",
        ttl: 1,
        proxied: true,
        comment: null,
        tags: [],
      },
    }]);
    const o = r.outcomes[0];
    assert.ok(o?.result === "failed");
    assert.equal(o.error.kind, "bad_request");
    assert.deepEqual(o.error.codes, [9003]);
    assert.match(
      o.error.message,
      /9003 Target 10\.0\.0\.7 is not allowed for a proxied record\..*refuses to proxy this IP.*cloudflare\.dns_proxied = false/,
    );
    assert.equal(fake.state.recordsOf(WWW).length, 0);
  } finally {
    await fake.close();
  }
});
