/**
 * `monitor`'s info-level progress: each target's first verdict once, and a
 * summary every `summary_interval` on the manual clock (no real waits for
 * time to pass).
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { firstVerdictLine, summaryLine } from "../../lib/agent/progress_log.ts";
import { initialHealth } from "../../lib/health/verdict.ts";
import { BASE_TOML, published, startHarness, until } from "./harness.ts";

Deno.test("firstVerdictLine() gives the RTT of an up target and the misses of a down one", () => {
  const h = initialHealth("203.0.113.11", 0);
  const table: [Parameters<typeof firstVerdictLine>[0], string][] = [
    [{ ...h, lastRttMicros: 210 }, "203.0.113.11 up, rtt 0.21 ms"],
    [h, "203.0.113.11 up"],
    [
      { ...h, verdict: "down", misses: 3 },
      "203.0.113.11 down, 3 probes unanswered in a row",
    ],
    [
      { ...h, verdict: "down", misses: 1, lastDetail: "ECONNREFUSED" },
      "203.0.113.11 down, 1 probe unanswered in a row (ECONNREFUSED)",
    ],
  ];
  for (const [state, want] of table) {
    assertEquals(firstVerdictLine(state), want);
  }
});

Deno.test("summaryLine() reports targets, DNS sync and peers", () => {
  const base = {
    up: ["192.0.2.1", "192.0.2.2"],
    down: [],
    pending: [],
    writer: "local",
    peersLive: 0,
    peersTotal: 0,
  };
  const many = [
    "192.0.2.3",
    "192.0.2.4",
    "192.0.2.5",
    "192.0.2.6",
    "192.0.2.7",
    "192.0.2.8",
    "192.0.2.9",
  ];
  const table: [Parameters<typeof summaryLine>[0], string][] = [
    [base, "summary: 2 targets up; DNS in sync; single node"],
    [
      { ...base, down: ["192.0.2.3"], pending: ["192.0.2.3"] },
      "summary: 2 of 3 targets up, down: 192.0.2.3; DNS not in sync: 192.0.2.3; single node",
    ],
    [
      {
        ...base,
        pending: null,
        writer: "198.51.100.1:7947",
        peersLive: 1,
        peersTotal: 2,
      },
      "summary: 2 targets up; DNS written by 198.51.100.1:7947; 1 of 2 peers live",
    ],
    [
      { ...base, pending: null, writer: null },
      "summary: 2 targets up; DNS has no writer; single node",
    ],
    [
      { ...base, down: many },
      "summary: 2 of 9 targets up, down: 192.0.2.3, 192.0.2.4, 192.0.2.5, 192.0.2.6, 192.0.2.7 and 2 more; DNS in sync; single node",
    ],
  ];
  for (const [facts, want] of table) assertEquals(summaryLine(facts), want);
});

const msgs = (logs: string[], prefix: string) =>
  logs.filter((l) => l.includes(`msg="${prefix}`));

Deno.test("Agent logs each target's first verdict once, and a summary every summary_interval", async () => {
  const h = await startHarness(
    BASE_TOML.replace("[cloudflare]", "summary_interval = 30\n[cloudflare]"),
  );
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 4; i++) {
      h.prober().emit({
        "192.0.2.1": true,
        "192.0.2.2": true,
        "192.0.2.3": false,
      });
    }
    await until(() => published(h.cf).size === 2, "192.0.2.3 withdrawn");
    assertEquals(msgs(h.logs, "192.0.2.1 up").length, 1, h.logs.join("\n"));
    assert(
      msgs(h.logs, "192.0.2.1 up, rtt 0.50 ms").length === 1,
      h.logs.join("\n"),
    );
    assertEquals(
      msgs(h.logs, "192.0.2.3 down, 3 probes unanswered in a row").length,
      1,
    );
    assertEquals(msgs(h.logs, "summary:"), []);
    await until(
      () => h.agent.lastPlan?.holds.get("192.0.2.3") === "in_sync",
      "the removal settled",
    );
    h.clock.advance(30_000);
    await until(() => msgs(h.logs, "summary:").length === 1, "a summary");
    const line = msgs(h.logs, "summary:")[0]!;
    assert(
      line.includes(
        'msg="summary: 2 of 3 targets up, down: 192.0.2.3; DNS in sync; single node"',
      ),
      line,
    );
    assert(line.includes("up=2 down=1 dns_in_sync=true"), line);
    h.clock.advance(30_000);
    await until(() => msgs(h.logs, "summary:").length === 2, "a second one");
  } finally {
    await h.close();
  }
});

Deno.test("Agent logs no summary with summary_interval = 0", async () => {
  const h = await startHarness(
    BASE_TOML.replace("[cloudflare]", "summary_interval = 0\n[cloudflare]"),
  );
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    h.clock.advance(120_000);
    // An event that comes after the summary loop's wake-ups had their turn.
    for (let i = 0; i < 3; i++) h.prober().emit({ "192.0.2.1": true });
    await until(() => msgs(h.logs, "192.0.2.1 up").length === 1, "a verdict");
    assertEquals(msgs(h.logs, "summary:"), []);
  } finally {
    await h.close();
  }
});
