/**
 * Shared setup of the Route 53 provider tests: a fake with one zone, the
 * real provider pointed at it with canary credentials, and every log line.
 * @module
 */
import assert from "node:assert/strict";
import type { Route53Config } from "../../lib/config/types.ts";
import type { Change, DnsProvider, DnsRecord } from "../../lib/dns/provider.ts";
import {
  createRoute53Provider,
  type Route53ProviderOptions,
} from "../../lib/dns/route53.ts";
import { createLogger } from "../../lib/observe/log.ts";
import {
  type FakeRecordSet,
  type FakeRoute53,
  type FakeZoneInput,
  startFakeRoute53,
} from "../support/fake_route53.ts";

/** Canary credentials: must never appear in a log line or a request. */
export const CANARY_SECRET = "canarySecretKey0000/SHOULD+NEVER+LEAK";
export const CANARY_TOKEN = "canarySessionToken1111SHOULDNEVERLEAK";
export const ZONE_ID = "Z0FAKE53ZONE";
export const WWW = "www.example.com";

/** A `[route53]` section for example.com. */
export function r53Config(over: Partial<Route53Config> = {}): Route53Config {
  return {
    awsDomain: "example.com",
    zoneId: null,
    region: "us-east-1",
    hostnames: ["www"],
    ipAddresses: ["192.0.2.10", "192.0.2.11", "192.0.2.12"],
    ttl: 300,
    reconcileInterval: 60,
    ...over,
  };
}

/** The zone's sets at the start of most tests. */
export function baseSets(): FakeRecordSet[] {
  return [
    {
      Name: "example.com",
      Type: "A",
      TTL: 600,
      ResourceRecords: ["198.51.100.1"],
    },
    {
      Name: WWW,
      Type: "A",
      TTL: 30,
      ResourceRecords: ["192.0.2.10", "192.0.2.11", "192.0.2.12"],
    },
    { Name: WWW, Type: "AAAA", TTL: 30, ResourceRecords: ["2001:db8::10"] },
    {
      Name: "api.example.com",
      Type: "A",
      TTL: 60,
      ResourceRecords: ["192.0.2.10"],
    },
  ];
}

/** Runs `fn` with a fake and a provider; checks no canary leaked. */
export async function withRoute53(
  sets: FakeRecordSet[],
  fn: (
    fake: FakeRoute53,
    provider: DnsProvider,
    lines: string[],
  ) => Promise<void>,
  options: Route53ProviderOptions & {
    config?: Partial<Route53Config>;
    extraZones?: FakeZoneInput[];
  } = {},
): Promise<void> {
  const fake = startFakeRoute53({
    zones: [
      { id: ZONE_ID, name: "example.com", sets },
      { id: "Z0PRIVATE", name: "example.com", private: true },
      { id: "Z0OTHER", name: "example.org" },
      ...(options.extraZones ?? []),
    ],
  });
  const lines: string[] = [];
  const secrets = new Set<string>();
  try {
    const { logger } = createLogger({
      level: "debug",
      sink: (l) => lines.push(l),
    });
    const provider = await createRoute53Provider(r53Config(options.config), {
      logger,
      secrets,
      timeoutMs: 1000,
      ...options,
      client: {
        endpoint: fake.url,
        credentials: options.client?.credentials ?? {
          accessKeyId: "AKIDFAKE",
          secretAccessKey: CANARY_SECRET,
          sessionToken: CANARY_TOKEN,
        },
      },
    });
    await fn(fake, provider, lines);
    assertNoCanary(lines);
    if (fake.audit.length > 0 && !options.client) {
      assert.ok(
        secrets.has(CANARY_SECRET) && secrets.has(CANARY_TOKEN),
        "the credentials' secrets reach the log masker",
      );
    }
    for (const a of fake.audit) {
      assertNoCanary([
        a.body,
        a.query,
        JSON.stringify(a.headers).replace(
          JSON.stringify(CANARY_TOKEN),
          "",
        ),
      ]);
    }
  } finally {
    await fake.close();
  }
}

/** Throws when a canary credential shows in any line. */
export function assertNoCanary(lines: readonly string[]): void {
  for (const line of lines) {
    assert.ok(
      !line.includes(CANARY_SECRET) && !line.includes("canarySecretKey") &&
        !line.includes(CANARY_TOKEN),
      `secret leaked: ${line}`,
    );
  }
}

/** @returns a record of www's A set as the provider lists it */
export function a(ip: string, over: Partial<DnsRecord> = {}): DnsRecord {
  return {
    type: ip.includes(":") ? "AAAA" : "A",
    name: WWW,
    content: ip,
    ttl: 30,
    proxied: false,
    comment: null,
    tags: [],
    ...over,
  };
}

/** @returns a delete of `ip` from www */
export function del(ip: string, over: Partial<DnsRecord> = {}): Change {
  return { kind: "delete", record: a(ip, over) };
}

/** @returns a restore of `ip` into www */
export function create(ip: string, over: Partial<DnsRecord> = {}): Change {
  return { kind: "create", record: a(ip, over), fromSnapshot: true };
}
