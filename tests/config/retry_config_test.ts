import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { loadConfigText } from "../../lib/config/load.ts";

const BASE = `
interval = 1
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
`;

Deno.test("retry_interval is off by default, and recovery_retry false", () => {
  const r = loadConfigText(BASE);
  assert(r.ok);
  assertEquals(
    [r.value.config.retryInterval, r.value.config.recoveryRetry],
    [null, false],
  );
});

Deno.test("retry_interval and recovery_retry load", () => {
  const r = loadConfigText(
    `retry_interval = 0.2\nrecovery_retry = true\n${BASE}`,
  );
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  assertEquals(
    [r.value.config.retryInterval, r.value.config.recoveryRetry],
    [0.2, true],
  );
});

Deno.test("retry_interval must be shorter than interval; the error names the key", () => {
  for (const v of ["1", "2"]) {
    const r = loadConfigText(`retry_interval = ${v}\n${BASE}`);
    assert(!r.ok);
    const e = r.errors.find((x) => x.path === "retry_interval");
    assert(e, JSON.stringify(r.errors));
    assert(e.message.includes('shorter than "interval"'), e.message);
  }
  const bad = loadConfigText(`retry_interval = "fast"\n${BASE}`);
  assert(!bad.ok && bad.errors.some((x) => x.path === "retry_interval"));
});

Deno.test("recovery_retry without retry_interval warns that it does nothing", () => {
  const r = loadConfigText(`recovery_retry = true\n${BASE}`);
  assert(r.ok);
  assert(
    r.value.warnings.some((w) =>
      w.includes("recovery_retry") && w.includes("retry_interval")
    ),
    r.value.warnings.join("\n"),
  );
});
