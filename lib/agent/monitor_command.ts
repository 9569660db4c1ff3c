/**
 * The `goavail monitor` command: load the config, set up logging, run the
 * agent until SIGTERM/SIGINT.
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import { secretsOf } from "../config/resolve.ts";
import { publicConfig } from "../config/summary.ts";
import { createLogger, type LogFormat } from "../observe/log.ts";

/** Command-line options of `goavail monitor`. */
export interface MonitorOptions {
  configFile: string;
  /** undefined = as the config says. */
  dryRun?: boolean;
  logFormat?: LogFormat;
  debug: boolean;
}

/**
 * Runs the agent in the foreground.
 * @returns the process exit code
 */
export async function runMonitor(opts: MonitorOptions): Promise<number> {
  const loaded = await loadConfigFile(opts.configFile);
  if (!loaded.ok) {
    const { logger } = createLogger({ format: opts.logFormat });
    logger.error(`Cannot load "${opts.configFile}"`, {
      errors: formatIssues(loaded.errors).trim(),
    });
    return 1;
  }
  const config = loaded.value.config;
  if (opts.dryRun !== undefined) config.dryRun = opts.dryRun;
  const { logger, settings } = createLogger({
    format: opts.logFormat ?? config.logFormat,
    level: opts.debug ? "debug" : config.logLevel,
  });
  for (const s of secretsOf(config)) settings.secrets.add(s);
  for (const w of loaded.value.warnings) logger.warn(w);
  logger.info("config loaded", {
    file: opts.configFile,
    config: publicConfig(config),
  });
  logger.warn("probing and DNS are not wired in yet; waiting for SIGTERM");
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  await stop.promise;
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.removeSignalListener("SIGINT", onSignal);
  logger.info("stopped");
  return 0;
}
