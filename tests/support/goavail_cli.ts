/**
 * Runs `main.ts` as a command line from the root namespace, for e2e tests
 * (`goavail drain`, `undrain`, …).
 * @module
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** @returns the exit code and decoded output of `goavail ...args` */
export async function goavail(
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}
