/**
 * Table tests of `goavail status`'s formatting: one row per (pool, IP),
 * every column, colours only when asked.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  lossText,
  rttText,
  sinceText,
  statusLines,
} from "../../lib/cli/status_lines.ts";
import { fakeSnapshot, NOW_MS } from "../observe/fake_snapshot.ts";

Deno.test("statusLines() prints a heading, a header and one row per target, plain", () => {
  const lines = statusLines(fakeSnapshot(), { now: NOW_MS, color: false });
  assertEquals(lines, [
    "goavail 0.1.0 on 198.51.100.10:7947: dry-run, writing, peers 1/2 live",
    "POOL     IP           VERDICT  VOTES        RTT       LOSS  IN DNS  HOLD      SINCE",
    "default  192.0.2.1    up       2 up/0 down  12.35 ms  0%    yes     in_sync   1h0m ago",
    "default  2001:db8::2  down     0 up/2 down  -         50%   no      changing  30s ago",
  ]);
});

Deno.test("statusLines() colours verdicts, missing records and holds only when asked", () => {
  const s = fakeSnapshot();
  s.targets[0]!.hold = "no_quorum";
  const lines = statusLines(s, { now: NOW_MS, color: true });
  assertEquals(lines[2]!.includes("\x1b[32mup"), true);
  assertEquals(lines[2]!.includes("\x1b[33mno_quorum"), true);
  assertEquals(lines[3]!.includes("\x1b[31mdown"), true);
  assertEquals(lines[3]!.includes("\x1b[31mno"), true);
  const plain = statusLines(s, { now: NOW_MS, color: false });
  assertEquals(plain.some((l) => l.includes("\x1b")), false);
});

Deno.test("statusLines() names isolation, paused writes and a writer that is not this agent", () => {
  const s = fakeSnapshot({
    dryRun: false,
    dns: {
      provider: "cloudflare",
      lastActions: [],
      writesPaused: "DNS writes paused: the DNS API's rate limit",
    },
    guards: { isolated: true, reason: "every target failed at once" },
    writer: { node: "198.51.100.9:7947", active: false, reason: "isolated" },
    peers: [],
  });
  assertEquals(statusLines(s, { now: NOW_MS, color: false }).slice(0, 3), [
    "goavail 0.1.0 on 198.51.100.10:7947: cloudflare, writer 198.51.100.9:7947 (isolated), single node",
    "isolated: every target failed at once",
    "DNS writes paused: the DNS API's rate limit",
  ]);
});

Deno.test("rttText(), lossText() and sinceText() render each column's edge cases", () => {
  const table: [string, string][] = [
    [rttText(null), "-"],
    [rttText(210), "0.21 ms"],
    [rttText(1_234_567), "1234.57 ms"],
    [lossText(null), "-"],
    [lossText(0), "0%"],
    [lossText(0.333), "33%"],
    [lossText(1), "100%"],
    [sinceText(new Date(NOW_MS).toISOString(), NOW_MS), "0s ago"],
    [sinceText(new Date(NOW_MS - 59_999).toISOString(), NOW_MS), "59s ago"],
    [sinceText(new Date(NOW_MS - 192_000).toISOString(), NOW_MS), "3m12s ago"],
    [
      sinceText(new Date(NOW_MS - 187_200_000).toISOString(), NOW_MS),
      "2d4h ago",
    ],
    // A clock behind the agent's: never a negative age.
    [sinceText(new Date(NOW_MS + 5_000).toISOString(), NOW_MS), "0s ago"],
    [sinceText("not a time", NOW_MS), "not a time"],
  ];
  for (const [got, want] of table) assertEquals(got, want);
});

Deno.test("statusLines() shows a drain with its reason, and the guard that keeps it", () => {
  const s = fakeSnapshot();
  const at = "2026-01-01T11:00:00.000Z";
  s.targets[0]!.drained = { reason: "kernel upgrade", by: "local", at };
  s.targets[0]!.hold = "drained";
  s.targets[1]!.drained = { reason: null, by: "local", at };
  s.targets[1]!.hold = "all_down";
  const rows = statusLines(s, { now: NOW_MS, color: false }).slice(2);
  assertEquals(rows[0]!.includes("  drained: kernel upgrade  "), true, rows[0]);
  assertEquals(
    rows[1]!.includes("  drained (kept: all_down)  "),
    true,
    rows[1],
  );
});
