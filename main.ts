/**
 * goavail's command line: the composition root. It parses arguments, loads
 * the config, builds the real dependencies and hands them to the agent.
 * Only this file catches everything and sets the exit code.
 * @module
 */
import { Command, Option } from "commander";
import { formatIssues, loadConfigFile } from "./lib/config/load.ts";
import { summarize } from "./lib/config/summary.ts";
import { versionInfo } from "./lib/version.ts";
import { runMonitor } from "./lib/agent/monitor_command.ts";
import { openIcmpSockets } from "./ffi/icmp_socket.ts";

const encoder = new TextEncoder();
const out = (line: string) =>
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
const err = (line: string) =>
  Deno.stderr.writeSync(encoder.encode(line + "\n"));

const DEFAULT_CONFIG = "goavail.toml";

/** Builds the commander program; exported for tests of `--help`. */
export function buildProgram(): Command {
  const program = new Command("goavail")
    .description(
      "Watch IP addresses with ICMP and pull a dead IP's A/AAAA records out of " +
        "Cloudflare DNS, putting them back exactly as they were when it recovers.",
    )
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => out(s.trimEnd()),
      writeErr: (s) => err(s.trimEnd()),
    });

  program.command("monitor")
    .description(
      "Run the agent: probe the configured IPs, decide with the cluster, and keep DNS in " +
        "line. Dry-run unless the config or --no-dry-run says otherwise. SIGHUP reloads " +
        "the config; SIGTERM/SIGINT stop it.",
    )
    .option("-f, --config-file <path>", "config file to load", DEFAULT_CONFIG)
    .option("--dry-run", "log intended DNS changes, make none (the default)")
    .option(
      "--no-dry-run",
      "make DNS changes for real (overrides dry_run in the config)",
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log line format (default: log_format, else text)",
      )
        .choices(["text", "json"]),
    )
    .option(
      "--debug",
      "log at debug level (every probe result, peer message and API call)",
    )
    .action(async (opts) => {
      Deno.exitCode = await runMonitor({
        configFile: opts.configFile,
        dryRun: opts.dryRun,
        logFormat: opts.logFormat,
        debug: opts.debug === true,
      }, { openIcmpSockets });
    });

  program.command("check-config")
    .description(
      "Validate a config file: print a summary and exit 0, or every problem and exit 1.",
    )
    .option("-f, --config-file <path>", "config file to check", DEFAULT_CONFIG)
    .action(async (opts) => {
      const result = await loadConfigFile(opts.configFile);
      if (!result.ok) {
        err(`Cannot load "${opts.configFile}":`);
        err(formatIssues(result.errors));
        Deno.exitCode = 1;
        return;
      }
      for (const w of result.value.warnings) err(`warning: ${w}`);
      for (const line of summarize(result.value.config, opts.configFile)) {
        out(line);
      }
    });

  program.command("keygen")
    .description(
      "Print a new random 32-byte key, base64-encoded, for crypto_key / crypto_keys.",
    )
    .action(() => {
      const key = crypto.getRandomValues(new Uint8Array(32));
      out(btoa(String.fromCharCode(...key)));
    });

  program.command("version")
    .description(
      "Print goavail's version, the Deno version and the build target.",
    )
    .action(() => {
      const v = versionInfo();
      out(`goavail ${v.version} (deno ${v.deno}, ${v.target})`);
    });

  return program;
}

if (import.meta.main) {
  try {
    await buildProgram().parseAsync(Deno.args, { from: "user" });
  } catch (e) {
    err(`goavail: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
