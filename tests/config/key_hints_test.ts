/** "Did you mean" hints for unknown keys (lib/config/key_hints.ts). */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { unknownKeyMessage } from "../../lib/config/key_hints.ts";

/** [section written in, key as written, is a table, the message] */
const ROWS: [string, string, boolean, string][] = [
  [
    "",
    "members",
    false,
    'is not a top-level key; "members" is a section, written "[members]" on a line of its own',
  ],
  ["", "members", true, 'is not a known section; did you mean "members"?'],
  [
    "cloudflare",
    "members",
    true,
    'is not a known key of [cloudflare]; "members" is a section, written "[members]" on a line of its own',
  ],
  [
    "cloudflare",
    "Members",
    false,
    'is not a known key of [cloudflare]; "members" is a section, written "[members]" on a line of its own',
  ],
  ["", "", false, "is not a top-level key"],
  [
    "cloudflare",
    "interval",
    false,
    'is not a known key of [cloudflare]; "interval" is a top-level key: move it above the first [section]',
  ],
  ["", "peers", false, 'is not a top-level key; did you mean "members.peers"?'],
  [
    "",
    "ttl",
    false,
    'is not a top-level key; did you mean "cloudflare.ttl" or "route53.ttl"?',
  ],
  [
    "members",
    "hostnames",
    false,
    'is not a known key of [members]; did you mean "cloudflare.hostnames" or "route53.hostnames"?',
  ],
  ["", "intervl", false, 'is not a top-level key; did you mean "interval"?'],
  ["", "membrs", true, 'is not a known section; did you mean "members"?'],
  [
    "members",
    "peer",
    false,
    'is not a known key of [members]; did you mean "peers"?',
  ],
  [
    "members",
    "heartbeat_intervl",
    false,
    'is not a known key of [members]; did you mean "heartbeat_interval"?',
  ],
  [
    "",
    "heartbeat_intervl",
    false,
    'is not a top-level key; did you mean "members.heartbeat_interval"?',
  ],
  ["status", "zzzzzz", false, "is not a known key of [status]"],
  ["", "zzzzzz", false, "is not a top-level key"],
  [
    "notify",
    "webhook",
    false,
    'is not a known key of [notify]; did you mean "webhook_url"?',
  ],
  ["", "log_levl", false, 'is not a top-level key; did you mean "log_level"?'],
  [
    "cloudflare",
    "dns_domian",
    false,
    'is not a known key of [cloudflare]; did you mean "dns_domain"?',
  ],
  [
    "",
    "dns_domian",
    false,
    'is not a top-level key; did you mean "cloudflare.dns_domain"?',
  ],
];

Deno.test("unknownKeyMessage() names sections, misplaced keys and the nearest spelling", () => {
  for (const [section, key, isTable, want] of ROWS) {
    assertEquals(
      unknownKeyMessage(section, key, isTable),
      want,
      `${section}.${key}`,
    );
  }
  assertEquals(
    unknownKeyMessage("", "intervl"),
    'is not a top-level key; did you mean "interval"?',
  );
});
