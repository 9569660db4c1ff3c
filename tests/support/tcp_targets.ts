/**
 * TCP listeners on an {@linkcode AgentLab}'s targets, for labs whose agents
 * probe with `probe_type = "tcp"`.
 * @module
 */
import type { AgentLab } from "./agent_lab.ts";
import { pumpLines } from "./lab_api.ts";

const LISTENER = new URL("./tcp_listen.ts", import.meta.url).pathname;

/**
 * Starts a listener on `port` in every target's namespace and waits until
 * each is listening. The lab kills them on `destroy()`.
 * @param lab the lab
 * @param port the TCP port
 */
export async function serveTcpOnTargets(
  lab: AgentLab,
  port: number,
): Promise<void> {
  const ready: string[][] = [];
  for (let t = 0; t < lab.opts.targets; t++) {
    const child = lab.lab.spawn(`t${t}`, [
      Deno.execPath(),
      "run",
      "--allow-net",
      LISTENER,
      String(port),
    ], { stdout: "piped", stderr: "null" });
    const lines: string[] = [];
    pumpLines(child.stdout, lines);
    ready.push(lines);
  }
  await lab.waitFor(
    () => ready.every((lines) => lines.includes("ready")),
    "TCP listeners on the targets",
    20_000,
  );
}
