/**
 * `goavail status`: asks the running agent for its `/status` document
 * through the status server the config names and prints it as one line per
 * (pool, IP) (see `status_lines.ts`).
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import { parseListen, type StatusSnapshot } from "../observe/status.ts";
import { statusLines } from "./status_lines.ts";

/** Inputs of {@linkcode runStatus}. */
export interface StatusCommandOptions {
  configFile: string;
  /** Writes one line to stdout. */
  write: (line: string) => void;
  /** Writes one line to stderr. */
  writeErr: (line: string) => void;
  /** Colour the output (stdout is a terminal, `NO_COLOR` unset). */
  color: boolean;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Wall-clock ms, for "since". @default Date.now */
  now?: () => number;
  /** How long to wait for the agent, ms. @default 3000 */
  timeoutMs?: number;
}

/**
 * @returns the URL of `/status` for a status server listening on `listen`
 *   (a wildcard address is reached through loopback); null when `listen`
 *   is "" (the server is off) or invalid
 */
export function statusUrl(listen: string): string | null {
  if (listen === "") return null;
  const parsed = parseListen(listen);
  if (!parsed.ok) return null;
  const { hostname, port } = parsed.value;
  const host = hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname === "::"
    ? "[::1]"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return `http://${host}:${port}/status`;
}

/**
 * @returns the exit code: 0 when the agent answered, 1 when it could not be
 *   reached or answered something else, 2 when the config does not load
 */
export async function runStatus(o: StatusCommandOptions): Promise<number> {
  const loaded = await loadConfigFile(o.configFile);
  if (!loaded.ok) {
    o.writeErr(`Cannot load "${o.configFile}":`);
    o.writeErr(formatIssues(loaded.errors));
    return 2;
  }
  const listen = loaded.value.config.status.listen;
  const url = statusUrl(listen);
  if (url === null) {
    o.writeErr(
      `Cannot ask the agent: the status server is off in "${o.configFile}" ([status] listen = ""); set it, e.g. "127.0.0.1:8000", and reload the agent`,
    );
    return 1;
  }
  const got = await fetchStatus(url, o);
  if (!got.ok) {
    o.writeErr(`Cannot read the agent's status at ${url}: ${got.error}`);
    return 1;
  }
  const now = (o.now ?? Date.now)();
  for (const line of statusLines(got.value, { now, color: o.color })) {
    o.write(line);
  }
  return 0;
}

async function fetchStatus(
  url: string,
  o: StatusCommandOptions,
): Promise<{ ok: true; value: StatusSnapshot } | { ok: false; error: string }> {
  const f = o.fetch ?? globalThis.fetch;
  const timeoutMs = o.timeoutMs ?? 3000;
  let res: Response;
  try {
    res = await f(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const why = e instanceof DOMException && e.name === "TimeoutError"
      ? `no answer within ${timeoutMs} ms`
      : e instanceof Error
      ? e.message
      : String(e);
    return {
      ok: false,
      error: `${why} (is "goavail monitor" running with this config?)`,
    };
  }
  const text = await res.text();
  if (!res.ok) {
    return { ok: false, error: `HTTP ${res.status} ${text.slice(0, 200)}` };
  }
  try {
    const v = JSON.parse(text);
    if (!Array.isArray(v?.targets) || typeof v?.node !== "string") {
      return {
        ok: false,
        error: "the answer is not a goavail status document",
      };
    }
    return { ok: true, value: v as StatusSnapshot };
  } catch {
    return { ok: false, error: "the answer is not JSON" };
  }
}
