import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { HELP, main, parseBenchArgs, SECTIONS } from "./main.ts";

Deno.test("SECTIONS lists probe, failover, falsedown, cluster, dns, budget and shutdown in that order", () => {
  assertEquals(SECTIONS.map((s) => s.name), [
    "probe",
    "failover",
    "falsedown",
    "cluster",
    "dns",
    "budget",
    "shutdown",
  ]);
});

Deno.test("parseBenchArgs() reads --only in both forms and leaves other flags alone", () => {
  assertEquals(parseBenchArgs([]), {
    ok: true,
    value: { only: null, help: false },
  });
  assertEquals(parseBenchArgs(["--quick", "--only", "cluster"]), {
    ok: true,
    value: { only: "cluster", help: false },
  });
  assertEquals(parseBenchArgs(["--only=probe", "--soak"]), {
    ok: true,
    value: { only: "probe", help: false },
  });
});

Deno.test("parseBenchArgs() rejects an unknown or missing section name", () => {
  const bad = parseBenchArgs(["--only", "disk"]);
  assertEquals(bad.ok, false);
  assertEquals(
    !bad.ok && bad.error,
    '"--only" must be one of "probe", "failover", "falsedown", "cluster", "dns", "budget", "shutdown", got "disk"',
  );
  assertEquals(parseBenchArgs(["--only"]).ok, false);
});

Deno.test("parseBenchArgs() reads --help and -h; HELP names every section and the probe flags", () => {
  assertEquals(parseBenchArgs(["--help"]), {
    ok: true,
    value: { only: null, help: true },
  });
  assertEquals(parseBenchArgs(["-h", "--only", "dns"]), {
    ok: true,
    value: { only: "dns", help: true },
  });
  for (const s of SECTIONS) assertEquals(HELP.includes(s.file), true, s.file);
  for (
    const f of [
      "--capacity-only",
      "--cpu-only",
      "--burst-only",
      "--accuracy-only",
      "--soak",
    ]
  ) assertEquals(HELP.includes(f), true, f);
});

Deno.test("main() with --help prints the help and runs no section", async () => {
  assertEquals(await main(["--help"]), 0);
});
