/**
 * The reconciler's log lines (lib/dns/reconcile_log.ts): level and words per
 * change outcome, guard notes warned once per change of notes, and the
 * credential error at most once per interval.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ReconcileLog } from "../../lib/dns/reconcile_log.ts";
import {
  type ChangeOutcome,
  DnsProviderError,
  type DnsRecord,
} from "../../lib/dns/provider.ts";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger } from "../../lib/observe/log.ts";
import type { GuardNote } from "../../lib/write/guards.ts";

const RECORD: DnsRecord = {
  id: "id-1",
  type: "A",
  name: "www.example.com",
  content: "192.0.2.1",
  ttl: 300,
  proxied: true,
  comment: null,
  tags: [],
};

function setup() {
  const clock = new ManualClock();
  const lines: Record<string, unknown>[] = [];
  const { logger } = createLogger({
    format: "json",
    level: "debug",
    sink: (l) => {
      const { ts: _ts, component: _c, ...rest } = JSON.parse(l);
      lines.push(rest);
    },
    now: () => clock.now(),
  });
  return { clock, lines, log: new ReconcileLog(logger, clock, 60_000) };
}

const FIELDS = {
  type: "A",
  name: "www.example.com",
  content: "192.0.2.1",
};

Deno.test("ReconcileLog.outcome() logs each change at its level with its fields", () => {
  const { lines, log } = setup();
  const del = { kind: "delete", record: RECORD } as const;
  const restore = {
    kind: "create",
    record: RECORD,
    fromSnapshot: true,
  } as const;
  const fresh = {
    kind: "create",
    record: RECORD,
    fromSnapshot: false,
  } as const;
  const outcomes: [ChangeOutcome, boolean][] = [
    [{ change: del, result: "done" }, false],
    [{ change: del, result: "done" }, true],
    [{ change: restore, result: "already" }, false],
    [{
      change: del,
      result: "failed",
      error: new DnsProviderError("server", "API 502"),
    }, false],
    [{ change: fresh, result: "done" }, true],
  ];
  for (const [o, dryRun] of outcomes) log.outcome(o, dryRun);
  assertEquals(lines, [
    {
      level: "info",
      msg: "Removed A www.example.com 192.0.2.1",
      action: "remove",
      ...FIELDS,
      result: "done",
    },
    {
      level: "debug",
      msg: "Removed A www.example.com 192.0.2.1",
      action: "remove",
      ...FIELDS,
      result: "done",
    },
    {
      level: "info",
      msg: "Restored A www.example.com 192.0.2.1",
      action: "restore",
      ...FIELDS,
      result: "already",
      from_snapshot: true,
    },
    {
      level: "warn",
      msg: "DNS remove failed: A www.example.com 192.0.2.1",
      action: "remove",
      ...FIELDS,
      result: "failed",
      error: "API 502",
      kind: "server",
    },
    {
      level: "warn",
      msg:
        "Restored A www.example.com 192.0.2.1 from the config defaults (ttl 300, proxied true): no snapshot of it anywhere; if it existed before, its comment, tags and other settings are not kept",
      action: "restore",
      ...FIELDS,
      result: "done",
      from_snapshot: false,
      ttl: 300,
      proxied: true,
      dry_run: true,
    },
  ]);
});

Deno.test("ReconcileLog.notes() warns when the notes change and stays at debug while they repeat", () => {
  const { lines, log } = setup();
  const note: GuardNote = {
    name: "www.example.com",
    type: "A",
    guard: "blast_radius",
    ips: ["192.0.2.1", "192.0.2.2"],
  };
  log.notes([note]);
  log.notes([note]);
  log.notes([{ ...note, guard: "min_records" }]);
  log.notes([]);
  assertEquals(lines.map((l) => [l.level, l.msg, l.guard, l.ips]), [
    [
      "warn",
      'Guard "blast_radius" kept records published',
      "blast_radius",
      "192.0.2.1,192.0.2.2",
    ],
    [
      "debug",
      'Guard "blast_radius" kept records published',
      "blast_radius",
      "192.0.2.1,192.0.2.2",
    ],
    [
      "warn",
      'Guard "min_records" kept records published',
      "min_records",
      "192.0.2.1,192.0.2.2",
    ],
  ]);
});

Deno.test("ReconcileLog.blocked() logs the credential error at most once per interval", () => {
  const { clock, lines, log } = setup();
  const error = new DnsProviderError("auth", "API 401", { status: 401 });
  log.blocked(error);
  clock.advance(59_999);
  log.blocked(error);
  clock.advance(1);
  log.blocked(undefined);
  assertEquals(lines.map((l) => l.level), ["error", "error"]);
  for (const l of lines) {
    assertEquals(
      String(l.msg).startsWith(
        "Cloudflare rejected the API token/key; DNS writes are blocked, monitoring continues: ",
      ),
      true,
      String(l.msg),
    );
  }
  assertEquals([lines[0]!.error, lines[0]!.status], ["API 401", 401]);
});
