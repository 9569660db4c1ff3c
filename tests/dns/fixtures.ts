/**
 * Shared fixtures of the Cloudflare provider tests: the `[cloudflare]`
 * config, fake records, and a lookup that fails loudly.
 * @module
 */
import assert from "node:assert/strict";
import type { CloudflareConfig } from "../../lib/config/types.ts";
import type { FakeRecordInput } from "../support/fake_cloudflare.ts";

/** The record name every fixture uses. */
export const WWW = "www.example.com";
/** A canary token: it must never appear in logs or errors. */
export const TOKEN = "CANARY-TOKEN-1234567890";

/** @returns a `[cloudflare]` config for example.com, with `over` applied. */
export function cfConfig(
  over: Partial<CloudflareConfig> = {},
): CloudflareConfig {
  return {
    dnsDomain: "example.com",
    zoneId: null,
    hostnames: ["www"],
    ipAddresses: ["192.0.2.1", "192.0.2.2"],
    proxied: false,
    ttl: 1,
    apiUrl: null,
    apiTokenFile: null,
    reconcileInterval: 60,
    apiBudgetShare: 0.25,
    ...over,
  };
}

/** @returns an A/AAAA record of www.example.com for the fake API. */
export function a(
  content: string,
  extra: Partial<FakeRecordInput> = {},
): FakeRecordInput {
  return {
    type: content.includes(":") ? "AAAA" : "A",
    name: WWW,
    content,
    ttl: 300,
    ...extra,
  };
}

/** @returns the records listed for `name`, failing when there is no entry. */
export function only<T>(map: Map<string, T[]>, name = WWW): T[] {
  const v = map.get(name);
  assert.ok(v, `no entry for ${name}`);
  return v;
}
