/**
 * The single binary: `deno compile` exactly as deno.json's `compile` task
 * (output redirected to a temp dir), then the binary's `version`,
 * `check-config` and `probe` of 127.0.0.1. Compiling needs Deno's runtime
 * (denort): it runs only where `DENORT_BIN` points at one.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";

const ROOT = new URL("../..", import.meta.url).pathname;
const denort = Deno.env.get("DENORT_BIN");
const isRoot = Deno.uid() === 0;
if (denort && !isRoot) {
  // deno-lint-ignore no-console
  console.error(
    'skipping compile_test.ts step "probe": raw ICMP needs root',
  );
}

if (!denort) {
  // deno-lint-ignore no-console
  console.error(
    "skipping compile_test.ts: DENORT_BIN not set: deno compile needs Deno's " +
      "runtime download, which this machine cannot reach",
  );
}

/**
 * @returns the `compile` task's arguments after `deno`, with `--output`
 * pointing at `output`
 */
async function compileTaskArgs(output: string): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task: unknown = json.tasks?.compile;
  assert(typeof task === "string", "deno.json has no compile task");
  const words = task.trim().split(/\s+/);
  assertEquals(words.slice(0, 2), ["deno", "compile"], task);
  const at = words.indexOf("--output");
  assert(at > 0 && at + 1 < words.length, `no --output in: ${task}`);
  words[at + 1] = output;
  return words.slice(1);
}

async function run(cmd: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test({
  name: "deno compile (the compile task) builds a goavail binary that runs",
  ignore: !denort,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "goavail-compile-" });
    const bin = `${dir}/goavail`;
    try {
      await t.step("compile", async () => {
        const r = await run(Deno.execPath(), await compileTaskArgs(bin));
        assertEquals(r.code, 0, r.err);
        assert((await Deno.stat(bin)).isFile);
      });
      await t.step("version", async () => {
        const r = await run(bin, ["version"]);
        assertEquals(r.code, 0, r.err);
        assert(
          /^goavail \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+, \S+\)$/.test(
            r.out.trim(),
          ),
          r.out,
        );
      });
      await t.step("check-config -f goavail.toml", async () => {
        const r = await run(bin, ["check-config", "-f", "goavail.toml"]);
        assertEquals(r.code, 0, r.err);
        assert(r.out.includes("127.0.0.1"), r.out);
      });
      await t.step("service prints a unit that runs this binary", async () => {
        const r = await run(bin, [
          "service",
          "-f",
          "/etc/goavail/goavail.toml",
        ]);
        assertEquals(r.code, 0, r.err);
        assert(
          r.out.includes(`ExecStart=${bin} monitor`),
          `ExecStart does not run the binary itself:\n${r.out}`,
        );
      });
      await t.step({
        name: "probe -c 2 -i 0.1 127.0.0.1",
        ignore: !isRoot,
        fn: async () => {
          const r = await run(bin, [
            "probe",
            "-c",
            "2",
            "-i",
            "0.1",
            "127.0.0.1",
          ]);
          assertEquals(r.code, 0, r.err);
          assert(
            /^127\.0\.0\.1 : xmt\/rcv\/%loss = 2\/2\/0%/m.test(r.out),
            r.out,
          );
        },
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
