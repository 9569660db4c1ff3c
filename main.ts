/**
 * goavail's command line: the composition root. It parses arguments, loads
 * the config, builds the real dependencies and hands them to the agent.
 * Only this file catches everything and sets the exit code.
 * @module
 */
import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "commander";
import { formatIssues, loadConfigFile } from "./lib/config/load.ts";
import { summarize } from "./lib/config/summary.ts";
import { versionInfo } from "./lib/version.ts";
import { generateCryptoKey } from "./lib/cluster/crypto.ts";
import { runMonitor } from "./lib/agent/monitor_command.ts";
import { openIcmpSockets } from "./ffi/icmp_socket.ts";
import { lockStateDir } from "./ffi/file_lock.ts";
import { runProbeCommand } from "./lib/probe/probe_command.ts";
import { serviceCommand } from "./lib/agent/service.ts";
import { runSnapshots } from "./lib/agent/snapshots_command.ts";
import { runRestore } from "./lib/agent/restore_command.ts";

const encoder = new TextEncoder();
const out = (line: string) =>
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
const err = (line: string) =>
  Deno.stderr.writeSync(encoder.encode(line + "\n"));

const DEFAULT_CONFIG = "goavail.toml";

/** A command-line usage error (commander already printed it). */
class UsageError extends Error {
  constructor(cause: CommanderError) {
    super(cause.message, { cause });
    this.name = "UsageError";
  }
}

/** Permissions the agent needs when run from source (mirrors the compile task). */
const RUN_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-ffi",
];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError("must be an integer ≥ 1");
  }
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.01) {
    throw new InvalidArgumentError("must be a number ≥ 0.01");
  }
  return n;
}

/** Builds the commander program; exported for tests of `--help`. */
export function buildProgram(): Command {
  const program = new Command("goavail")
    .description(
      "Watch IP addresses with ICMP and pull a dead IP's A/AAAA records out of " +
        "Cloudflare DNS, putting them back exactly as they were when it recovers.",
    )
    .showHelpAfterError()
    // Usage errors exit 2 (commander says 1), as the README promises.
    .exitOverride((e) => {
      throw e.exitCode === 0 ? e : new UsageError(e);
    })
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
      }, { openIcmpSockets, lockStateDir });
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

  program.command("probe")
    .description(
      "Probe IPs (the config's, or those given) and print one fping-like summary line per " +
        "target; exit 0 when every target answered, 1 otherwise. Use it to check a host " +
        "before enabling failover.",
    )
    .argument("[ip...]", "IPs to probe instead of the config's ip_addresses")
    .option(
      "-f, --config-file <path>",
      "config whose ip_addresses to probe",
      DEFAULT_CONFIG,
    )
    .option("-c, --count <n>", "probes per target", positiveInt, 5)
    .option(
      "-i, --interval <seconds>",
      "seconds between probes of one target",
      positiveNumber,
      1,
    )
    .action(async (ips: string[], opts) => {
      let targets = ips;
      if (targets.length === 0) {
        const loaded = await loadConfigFile(opts.configFile);
        if (!loaded.ok) {
          err(`Cannot load "${opts.configFile}":`);
          err(formatIssues(loaded.errors));
          Deno.exitCode = 2;
          return;
        }
        targets = loaded.value.config.cloudflare.ipAddresses;
      }
      Deno.exitCode = await runProbeCommand({
        targets,
        count: opts.count,
        intervalMs: opts.interval * 1000,
        timeoutMs: Math.min(1000, opts.interval * 1000),
        openSockets: () => openIcmpSockets(),
        write: out,
      });
    });

  program.command("service")
    .description(
      "Print a systemd unit for this binary (restart on failure, CAP_NET_RAW, hardening, " +
        "the API token as a credential), or install it with --install.",
    )
    .option(
      "-f, --config-file <path>",
      "config file the service runs with",
      "/etc/goavail/goavail.toml",
    )
    .option(
      "--install",
      "write /etc/systemd/system/goavail.service and reload systemd",
    )
    .option("--user <name>", 'service user ("root" to run as root)', "goavail")
    .option(
      "--token-file <path>",
      "file with the Cloudflare API token, passed as a credential",
    )
    .action(async (opts) => {
      const compiled = !Deno.execPath().endsWith("/deno");
      Deno.exitCode = await serviceCommand({
        install: opts.install === true,
        execPath: Deno.execPath(),
        execArgs: compiled
          ? undefined
          : ["run", ...RUN_FLAGS, new URL(Deno.mainModule).pathname],
        configPath: opts.configFile,
        user: opts.user,
        tokenFile: opts.tokenFile,
        write: out,
        writeErr: err,
      });
    });

  program.command("snapshots")
    .description(
      "List the withdrawn records saved in state_dir: name, type, content, ttl, " +
        "proxied, comment, tags, when and by which agent each was saved, and " +
        "whether the agent still restores it (records whose IP, hostname or zone " +
        "left the config are only restored by `goavail restore`). Read-only; safe " +
        "while an agent runs.",
    )
    .option(
      "-f, --config-file <path>",
      "config whose state_dir to read",
      DEFAULT_CONFIG,
    )
    .option("--json", "print a JSON array instead of a table")
    .action(async (opts) => {
      Deno.exitCode = await runSnapshots({
        configFile: opts.configFile,
        json: opts.json === true,
        write: out,
        writeErr: err,
      });
    });

  program.command("restore")
    .description(
      "Put withdrawn records back now, exactly as saved, through the config's DNS " +
        "provider; each argument is an IP (all its records) or a record name. " +
        "Dry-run unless --no-dry-run (dry_run = false in the config is not enough): " +
        "it then prints what it would create and contacts nothing. With " +
        "--no-dry-run it takes the state_dir lock and refuses while an agent holds " +
        "it: stop the agent first (a running agent restores the records it manages " +
        "itself once their IPs are up). Exits 1 if any argument matches no " +
        "snapshot (then nothing is done) or any record could not be restored.",
    )
    .argument(
      "<target...>",
      "IPs or record names (relative or fully qualified)",
    )
    .option(
      "-f, --config-file <path>",
      "config whose state_dir and provider to use",
      DEFAULT_CONFIG,
    )
    .option("--dry-run", "print what would be restored (the default)")
    .option("--no-dry-run", "create the records for real")
    .action(async (targets: string[], opts) => {
      Deno.exitCode = await runRestore({
        configFile: opts.configFile,
        targets,
        dryRun: opts.dryRun,
        write: out,
        writeErr: err,
      }, { lockStateDir });
    });

  program.command("keygen")
    .description(
      "Print a new random 32-byte key, base64-encoded, for crypto_key / crypto_keys.",
    )
    .action(() => {
      out(generateCryptoKey());
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
    if (e instanceof UsageError) Deno.exit(2);
    if (e instanceof CommanderError) Deno.exit(e.exitCode);
    err(`goavail: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
