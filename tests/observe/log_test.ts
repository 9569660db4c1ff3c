import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { createLogger, redact } from "../../lib/observe/log.ts";

function capture(format: "text" | "json" = "text") {
  const lines: string[] = [];
  const { logger, settings } = createLogger({
    format,
    sink: (l) => lines.push(l),
    now: () => 0,
  });
  return { logger, settings, lines };
}

Deno.test("createLogger() writes one logfmt line per event with component tag", () => {
  const { logger, lines } = capture();
  logger.child("probe").info("target down", {
    ip: "192.0.2.1",
    misses: 3,
    why: "3 timeouts",
  });
  assertEquals(lines, [
    'ts=1970-01-01T00:00:00.000Z level=info component=probe msg="target down" ip=192.0.2.1 misses=3 why="3 timeouts"',
  ]);
});

Deno.test("createLogger() writes JSON lines with --log-format json", () => {
  const { logger, lines } = capture("json");
  logger.warn("x", { n: 1 });
  assertEquals(JSON.parse(lines[0]!), {
    ts: "1970-01-01T00:00:00.000Z",
    level: "warn",
    msg: "x",
    n: 1,
  });
});

Deno.test("createLogger() drops lines below the level, and the level can change live", () => {
  const { logger, settings, lines } = capture();
  logger.debug("hidden");
  settings.level = "debug";
  logger.child("dns").debug("shown");
  assertEquals(lines.length, 1);
  assert(lines[0]!.includes("shown"));
});

Deno.test("createLogger() masks registered secrets and credential-named fields", () => {
  for (const format of ["text", "json"] as const) {
    const { logger, settings, lines } = capture(format);
    settings.secrets.add("CANARY-KEY-0123456789");
    logger.error("failed with CANARY-KEY-0123456789", {
      detail: { nested: "x CANARY-KEY-0123456789 y" },
      api_token: "whatever-token",
      webhook_url: "https://hooks.example.com/abc",
    });
    const all = lines.join("\n");
    assert(!all.includes("CANARY-KEY"), all);
    assert(!all.includes("whatever-token"), all);
    assert(!all.includes("hooks.example.com"), all);
    assert(all.includes("[redacted]"));
  }
});

Deno.test("redact() ignores very short secrets and handles JSON-escaped ones", () => {
  assertEquals(redact("abc key", ["abc"]), "abc key");
  assertEquals(
    redact('{"m":"a\\"quoted\\"b"}', ['a"quoted"b']),
    '{"m":"[redacted]"}',
  );
});
