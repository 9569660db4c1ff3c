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

/** @returns whether `cmd` ran and exited 0 (output discarded). */
function succeeds(cmd: string[]): boolean {
  try {
    const [bin, ...args] = cmd;
    return new Deno.Command(bin!, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Why lab tests cannot run here, or null when they can: they need Linux,
 * root, a namespace they can create (CAP_NET_ADMIN, not just uid 0) and
 * iptables.
 */
export const labUnavailable: string | null = (() => {
  if (Deno.build.os !== "linux") return "needs Linux network namespaces";
  try {
    if (Deno.uid() !== 0) return "needs root for network namespaces";
  } catch {
    return "cannot tell the user id (needs --allow-sys)";
  }
  const probe = `gap-check-${Deno.pid}`;
  if (!succeeds(["ip", "netns", "add", probe])) {
    return "cannot create a network namespace (no `ip`, or no CAP_NET_ADMIN)";
  }
  succeeds(["ip", "netns", "del", probe]);
  if (!succeeds(["iptables", "-w", "-L", "-n"])) {
    return "iptables is missing or not permitted";
  }
  return null;
})();

/** Whether lab tests can run here (see {@linkcode labUnavailable}). */
export const labAvailable: boolean = labUnavailable === null;

/**
 * `Deno.test` options for a lab test: ignored (with a printed reason) unless
 * the lab can run here.
 * @param name the test name
 * @returns `{ name, ignore }` to spread into `Deno.test({...})`
 */
export function labTest(name: string): { name: string; ignore: boolean } {
  if (!labAvailable) {
    // deno-lint-ignore no-console
    console.error(`skipping "${name}": ${labUnavailable}`);
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
