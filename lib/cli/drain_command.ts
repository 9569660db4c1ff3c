/**
 * `goavail drain` and `goavail undrain`: ask the running agent, through its
 * control socket in `state_dir` (lib/agent/control.ts), to withdraw an IP's
 * records as if it were down, or to put them back.
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import { controlSocketPath } from "../agent/control.ts";

/** Inputs of {@linkcode runDrain}. */
export interface DrainCommandOptions {
  configFile: string;
  /** True for `drain`, false for `undrain`. */
  drain: boolean;
  ip: string;
  /** @default "default", or the one pool that has the IP when there is no "default" */
  pool?: string;
  /** `drain --reason`. */
  reason?: string;
  write: (line: string) => void;
  writeErr: (line: string) => void;
  /** How long to wait for the agent, ms. @default 5000 */
  timeoutMs?: number;
}

/**
 * @returns the exit code: 0 done, 1 refused or the agent unreachable, 2
 *   when the config does not load
 */
export async function runDrain(o: DrainCommandOptions): Promise<number> {
  const loaded = await loadConfigFile(o.configFile);
  if (!loaded.ok) {
    o.writeErr(`Cannot load "${o.configFile}":`);
    o.writeErr(formatIssues(loaded.errors));
    return 2;
  }
  const path = controlSocketPath(loaded.value.config.stateDir);
  const verb = o.drain ? "drain" : "undrain";
  const body = {
    ip: o.ip,
    ...(o.pool === undefined ? {} : { pool: o.pool }),
    ...(o.reason === undefined ? {} : { reason: o.reason }),
  };
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  try {
    const res = await fetch(`http://localhost/${verb}`, {
      client,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
    });
    const answer = await res.json().catch(() => null);
    if (!res.ok) {
      o.writeErr(
        `The agent refused to ${verb} ${o.ip}: ${
          answer?.error ?? `HTTP ${res.status}`
        }`,
      );
      return 1;
    }
    const reason = answer?.reason ? ` (reason: ${answer.reason})` : "";
    o.write(
      o.drain
        ? `${answer.ip} drained in pool "${answer.pool}"${reason}: its records are withdrawn as if it were down, within the guards; "goavail status" shows progress`
        : `${answer.ip} undrained in pool "${answer.pool}": its records come back once the cluster sees it up`,
    );
    return 0;
  } catch (e) {
    o.writeErr(
      `Cannot reach the agent's control socket "${path}": ${
        e instanceof Error ? e.message : String(e)
      } (is "goavail monitor" running with this config, as a user that may use state_dir?)`,
    );
    return 1;
  } finally {
    client.close();
  }
}
