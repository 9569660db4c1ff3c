/**
 * `deno task sim` as a user runs it: `--provider` picks the modelled DNS
 * provider, and a bad value is one line naming the flag, exit code 2.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

async function sim(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-sys", "--allow-read", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) =>
    new TextDecoder().decode(b).split("\n").filter((l) =>
      l !== "" && !l.includes("Download")
    );
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("sim --provider route53 runs the seeds against Route 53", async () => {
  const r = await sim("--provider", "route53", "--seeds", "2", "--steps", "20");
  assertEquals(r.stdout.at(-1), "2 seeds, 0 violations");
  assertEquals(r.code, 0);
});

Deno.test("sim --provider with a bad value: one line naming the flag, exit 2", async () => {
  const r = await sim("--provider", "bind9");
  assertEquals(r.code, 2);
  assertEquals(r.stdout, []);
  assertEquals(r.stderr.length, 1);
  assert(r.stderr[0]!.includes("--provider"), r.stderr[0]);
  assert(r.stderr[0]!.includes('"bind9"'), r.stderr[0]);
});
