/**
 * Running commands for the namespace lab (tests/support/netns.ts).
 * @module
 */

/** Outcome of {@linkcode Lab.exec}. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Whether lab tests can run here: root with `ip` available. */
export const labAvailable: boolean = Deno.build.os === "linux" &&
  (() => {
    try {
      return Deno.uid() === 0;
    } catch {
      return false;
    }
  })();

/**
 * `Deno.test` options for a lab test: ignored (with a printed reason) unless
 * running as root.
 * @param name the test name
 * @returns `{ name, ignore }` to spread into `Deno.test({...})`
 */
export function labTest(name: string): { name: string; ignore: boolean } {
  if (!labAvailable) {
    // deno-lint-ignore no-console
    console.error(`skipping "${name}": needs root for network namespaces`);
  }
  return { name, ignore: !labAvailable };
}

const decoder = new TextDecoder();

/**
 * Runs a command in the root namespace.
 * @param cmd argv
 * @param input optional stdin text
 * @returns exit code and decoded output
 */
export async function run(cmd: string[], input?: string): Promise<ExecResult> {
  const [bin, ...args] = cmd;
  if (!bin) throw new Error("empty command");
  const child = new Deno.Command(bin, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Runs a command in the root namespace and throws when it fails.
 * @param cmd argv
 * @param input optional stdin text
 * @returns stdout
 * @throws Error with the command, exit code and stderr
 */
export async function must(cmd: string[], input?: string): Promise<string> {
  const r = await run(cmd, input);
  if (r.code !== 0) {
    throw new Error(`${cmd.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}
