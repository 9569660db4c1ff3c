/**
 * `goavail check-config`: validate a config file as `monitor` would load it
 * (with the same command-line overrides), print a summary and the warnings,
 * or every problem.
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import { summarize } from "../config/summary.ts";
import { dnsProviderProblem } from "../config/dns_pool.ts";
import { type ConfigOverrides, withOverrides } from "../agent/reload.ts";

/** Inputs of {@linkcode runCheckConfig}. */
export interface CheckConfigOptions {
  configFile: string;
  /** The command line's `-d`, `-t`, `-p`, … as `monitor` would apply them. */
  overrides: ConfigOverrides;
  /** Writes one line to stdout. */
  write: (line: string) => void;
  /** Writes one line to stderr. */
  writeErr: (line: string) => void;
}

/**
 * @returns the exit code: 0 valid (warnings allowed), 1 invalid or a
 *   provider whose section the file lacks
 */
export async function runCheckConfig(o: CheckConfigOptions): Promise<number> {
  const result = await loadConfigFile(o.configFile);
  if (!result.ok) {
    o.writeErr(`Cannot load "${o.configFile}":`);
    o.writeErr(formatIssues(result.errors));
    return 1;
  }
  for (const w of result.value.warnings) o.writeErr(`warning: ${w}`);
  const config = withOverrides(result.value.config, o.overrides);
  const unsupported = dnsProviderProblem(config);
  if (unsupported) {
    o.writeErr(`error: ${unsupported}`);
    return 1;
  }
  for (const line of summarize(config, o.configFile)) o.write(line);
  return 0;
}
