import assert from "node:assert/strict";
import { parseProm, PromParseError } from "../support/prom_parse.ts";

const head = "# HELP a_total A.\n# TYPE a_total counter\n";

Deno.test("parseProm() accepts labels, escapes, special values and timestamps", () => {
  const fams = parseProm(
    head + 'a_total{x="q\\"\\\\\\n",y="2"} 1e3 1700000000000\n' +
      '# HELP b B.\n# TYPE b gauge\nb NaN\nb{k="v"} -Inf\n',
  );
  const a = fams.get("a_total")!.samples[0]!;
  assert.deepEqual(a.labels, { x: 'q"\\\n', y: "2" });
  assert.equal(a.value, 1000);
  assert.equal(a.timestampMs, 1_700_000_000_000);
  assert.ok(Number.isNaN(fams.get("b")!.samples[0]!.value));
});

Deno.test("parseProm() rejects what the format or our conventions forbid", () => {
  const bad: [string, string][] = [
    ["missing newline", head + "a_total 1"],
    ["empty line", head + "\na_total 1\n"],
    ["no TYPE", "a_total 1\n"],
    ["TYPE before HELP", "# TYPE a_total counter\n# HELP a_total A.\n"],
    ["counter without _total", "# HELP a A.\n# TYPE a counter\na 1\n"],
    ["negative counter", head + "a_total -1\n"],
    ["duplicate series", head + 'a_total{x="1"} 1\na_total{x="1"} 2\n'],
    ["duplicate label", head + 'a_total{x="1",x="2"} 1\n'],
    ["bad escape", head + 'a_total{x="\\t"} 1\n'],
    ["bad label name", head + 'a_total{1x="1"} 1\n'],
    ["reserved label", head + 'a_total{__x="1"} 1\n'],
    ["unquoted label", head + "a_total{x=1} 1\n"],
    ["bad value", head + "a_total one\n"],
    ["foreign sample", head + "b 1\n"],
    [
      "split family",
      head + 'a_total 1\n# HELP b B.\n# TYPE b gauge\nb 1\na_total{x="2"} 1\n',
    ],
    ["unknown type", "# HELP a A.\n# TYPE a weird\n"],
    ["HELP without TYPE", "# HELP a A.\n"],
  ];
  for (const [why, text] of bad) {
    assert.throws(() => parseProm(text), PromParseError, why);
  }
});
