import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseBenchArgs, SECTIONS } from "./main.ts";

Deno.test("SECTIONS lists probe, failover, cluster, dns, budget and shutdown in that order", () => {
  assertEquals(SECTIONS.map((s) => s.name), [
    "probe",
    "failover",
    "cluster",
    "dns",
    "budget",
    "shutdown",
  ]);
});

Deno.test("parseBenchArgs() reads --only in both forms and leaves other flags alone", () => {
  assertEquals(parseBenchArgs([]), { ok: true, value: { only: null } });
  assertEquals(parseBenchArgs(["--quick", "--only", "cluster"]), {
    ok: true,
    value: { only: "cluster" },
  });
  assertEquals(parseBenchArgs(["--only=probe", "--soak"]), {
    ok: true,
    value: { only: "probe" },
  });
});

Deno.test("parseBenchArgs() rejects an unknown or missing section name", () => {
  const bad = parseBenchArgs(["--only", "disk"]);
  assertEquals(bad.ok, false);
  assertEquals(
    !bad.ok && bad.error,
    '"--only" must be one of "probe", "failover", "cluster", "dns", "budget", "shutdown", got "disk"',
  );
  assertEquals(parseBenchArgs(["--only"]).ok, false);
});
