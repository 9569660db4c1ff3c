/**
 * TCP listeners and HTTP servers on an {@linkcode AgentLab}'s targets, for
 * labs whose agents probe with `probe_type = "tcp"` or an HTTP pool check.
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

const HTTP_LISTENER = new URL("./http_listen.ts", import.meta.url).pathname;

/**
 * Starts an HTTP server on `port` in the namespace of each target listed,
 * answering with that target's status, and waits until each listens. The
 * lab kills them on `destroy()`.
 * @param lab the lab
 * @param port the TCP port
 * @param statuses target index → HTTP status it answers with
 * @returns each server's process, by target index
 */
export async function serveHttpOnTargets(
  lab: AgentLab,
  port: number,
  statuses: ReadonlyMap<number, number>,
): Promise<Map<number, Deno.ChildProcess>> {
  const ready: string[][] = [];
  const children = new Map<number, Deno.ChildProcess>();
  for (const [t, status] of statuses) {
    const child = lab.lab.spawn(`t${t}`, [
      Deno.execPath(),
      "run",
      "--allow-net",
      HTTP_LISTENER,
      String(port),
      String(status),
    ], { stdout: "piped", stderr: "null" });
    children.set(t, child);
    const lines: string[] = [];
    pumpLines(child.stdout, lines);
    ready.push(lines);
  }
  await lab.waitFor(
    () => ready.every((lines) => lines.includes("ready")),
    "HTTP servers on the targets",
    20_000,
  );
  return children;
}
