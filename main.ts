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
import type { DnsProviderName, ProbeType } from "./lib/config/types.ts";
import { runCheckConfig } from "./lib/cli/check_config.ts";
import { versionInfo } from "./lib/version.ts";
import { generateCryptoKey } from "./lib/cluster/crypto.ts";
import { runMonitor } from "./lib/agent/monitor_command.ts";
import { openIcmpSockets } from "./ffi/icmp_socket.ts";
import { lookupRoute } from "./ffi/route_lookup.ts";
import { lockStateDir } from "./ffi/file_lock.ts";
import { runProbeCommand } from "./lib/probe/probe_command.ts";
import { parseCheckUrl } from "./lib/probe/check_url.ts";
import { runHttpProbeCommand } from "./lib/probe/http_probe_command.ts";
import { runPoolProbeCommand } from "./lib/probe/pool_probe_command.ts";
import { serviceCommand } from "./lib/agent/service.ts";
import { runSnapshots } from "./lib/agent/snapshots_command.ts";
import { runRestore } from "./lib/agent/restore_command.ts";
import { runStatus } from "./lib/cli/status_command.ts";
import { runDrain } from "./lib/cli/drain_command.ts";

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

/** The original goavail's flags (kingpin's: global, before or after the command). */
interface OriginalFlags {
  configFile?: string;
  dryRun?: boolean;
  debug?: boolean;
  type?: "ip" | "icmp" | "tcp";
  dnsProvider?: DnsProviderName;
}

/**
 * Adds the original goavail's flags to `cmd`. The program has them, for
 * `goavail --config-file x.toml monitor`, and so do `monitor` and
 * `check-config`, for `goavail monitor -f x.toml -d -b -t tcp`;
 * {@linkcode flagsOf} merges the two (the command's win).
 */
function addOriginalFlags(cmd: Command, configHelp: string): Command {
  return cmd
    .option("-f, --config-file <path>", configHelp)
    .option(
      "-d, --dry-run",
      "log intended DNS changes, make none (the default)",
    )
    .option(
      "--no-dry-run",
      "make DNS changes for real (overrides dry_run in the config)",
    )
    .option(
      "-b, --debug",
      "log at debug level (every probe result, peer message and API call)",
    )
    .addOption(
      new Option(
        "-t, --type <type>",
        'probe type, overriding probe_type ("ip" = icmp)',
      ).choices(["ip", "icmp", "tcp"]),
    )
    .addOption(
      new Option(
        "-p, --dns-provider <name>",
        "DNS provider (default: cloudflare)",
      )
        .choices(["cloudflare", "route53"]),
    );
}

/** @returns the original flags given to `cmd` or before it, the command's first. */
function flagsOf(cmd: Command): OriginalFlags {
  const own = cmd.opts<OriginalFlags>();
  const global = cmd.parent?.opts<OriginalFlags>() ?? {};
  const pick = <K extends keyof OriginalFlags>(k: K) => own[k] ?? global[k];
  return {
    configFile: pick("configFile"),
    dryRun: pick("dryRun"),
    debug: pick("debug"),
    type: pick("type"),
    dnsProvider: pick("dnsProvider"),
  };
}

/** @returns the probe type `-t` names ("ip" is the original's word for icmp). */
function probeTypeOf(type: OriginalFlags["type"]): ProbeType | undefined {
  return type === "ip" ? "icmp" : type;
}

/** Builds the commander program; exported for tests of `--help`. */
export function buildProgram(): Command {
  const program = new Command("goavail")
    .description(
      "Watch IP addresses with ICMP or TCP and pull a dead IP's A/AAAA records out of " +
        "Cloudflare DNS, putting them back exactly as they were when it recovers.",
    )
    .showHelpAfterError()
    // Program flags go before the command; each command parses its own after.
    .enablePositionalOptions()
    // Usage errors exit 2 (commander says 1), as the README promises.
    .exitOverride((e) => {
      throw e.exitCode === 0 ? e : new UsageError(e);
    })
    .configureOutput({
      writeOut: (s) => out(s.trimEnd()),
      writeErr: (s) => err(s.trimEnd()),
    });

  addOriginalFlags(
    program,
    `config file (default: "${DEFAULT_CONFIG}"; for service "/etc/goavail/goavail.toml")`,
  );

  const monitor = addOriginalFlags(
    program.command("monitor")
      .description(
        "Run the agent: probe the configured IPs, decide with the cluster, and keep DNS in " +
          "line. Dry-run unless the config or --no-dry-run says otherwise. SIGHUP reloads " +
          "the config; SIGTERM/SIGINT stop it.",
      ),
    `config file to load (default: "${DEFAULT_CONFIG}")`,
  )
    .addOption(
      new Option(
        "--log-format <format>",
        "log line format (default: log_format, else text)",
      )
        .choices(["text", "json"]),
    )
    .action(async (opts) => {
      const f = flagsOf(monitor);
      Deno.exitCode = await runMonitor({
        configFile: f.configFile ?? DEFAULT_CONFIG,
        dryRun: f.dryRun,
        logFormat: opts.logFormat,
        debug: f.debug === true,
        probeType: probeTypeOf(f.type),
        dnsProvider: f.dnsProvider,
      }, { openIcmpSockets, lockStateDir, hasRoute: lookupRoute });
    });

  const checkConfig = addOriginalFlags(
    program.command("check-config")
      .description(
        "Validate a config file: print a summary and exit 0, or every problem and exit 1. " +
          "Flags that monitor takes (-d, -t, -p) are applied to the summary.",
      ),
    `config file to check (default: "${DEFAULT_CONFIG}")`,
  )
    .action(async () => {
      const f = flagsOf(checkConfig);
      Deno.exitCode = await runCheckConfig({
        configFile: f.configFile ?? DEFAULT_CONFIG,
        overrides: {
          dryRun: f.dryRun,
          probeType: probeTypeOf(f.type),
          dnsProvider: f.dnsProvider,
        },
        write: out,
        writeErr: err,
      });
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
      `config whose ip_addresses to probe (default: "${DEFAULT_CONFIG}")`,
    )
    .option("-c, --count <n>", "probes per target", positiveInt, 5)
    .option(
      "-i, --interval <seconds>",
      "seconds between probes of one target",
      positiveNumber,
      1,
    )
    .option(
      "--check <url>",
      "run an HTTP(S) check instead of ICMP: connect to each IP and request URL's path " +
        "with its host as Host header and TLS name (no redirects followed; pass: a 2xx/3xx " +
        "status); a URL host that is an IP is the default target",
    )
    .option(
      "--pool <name>",
      "probe a [[pool]]'s IPs and backups (or the IPs given) with the pool's own check: " +
        "ICMP, TCP connect, or HTTP(S) with its port, path, Host/TLS name, expected " +
        "status and body; -i still sets the pace, the pool's timeout applies",
    )
    .action(async (ips: string[], opts) => {
      let targets = ips;
      const configFile = opts.configFile ?? program.opts().configFile ??
        DEFAULT_CONFIG;
      if (opts.pool !== undefined) {
        if (opts.check !== undefined) {
          err("--pool and --check cannot be used together");
          Deno.exitCode = 2;
          return;
        }
        const loaded = await loadConfigFile(configFile);
        if (!loaded.ok) {
          err(`Cannot load "${configFile}":`);
          err(formatIssues(loaded.errors));
          Deno.exitCode = 2;
          return;
        }
        const pools = loaded.value.config.pools ?? [];
        const pool = pools.find((p) => p.name === opts.pool);
        if (!pool) {
          err(
            `No pool "${opts.pool}" in "${configFile}"; its pools are: ${
              pools.map((p) => `"${p.name}"`).join(", ") || "none"
            }`,
          );
          Deno.exitCode = 2;
          return;
        }
        Deno.exitCode = await runPoolProbeCommand({
          pool,
          targets,
          count: opts.count,
          intervalMs: opts.interval * 1000,
          openSockets: () => openIcmpSockets(),
          hasRoute: lookupRoute,
          write: out,
        });
        return;
      }
      const check = opts.check === undefined
        ? undefined
        : parseCheckUrl(opts.check);
      if (check && !check.ok) {
        err(check.error);
        Deno.exitCode = 2;
        return;
      }
      if (targets.length === 0 && check?.value.hostIsIp) {
        targets = [check.value.host];
      }
      if (targets.length === 0) {
        const loaded = await loadConfigFile(configFile);
        if (!loaded.ok) {
          err(`Cannot load "${configFile}":`);
          err(formatIssues(loaded.errors));
          Deno.exitCode = 2;
          return;
        }
        targets = loaded.value.config.cloudflare.ipAddresses;
      }
      if (check) {
        Deno.exitCode = await runHttpProbeCommand({
          check: check.value,
          targets,
          count: opts.count,
          intervalMs: opts.interval * 1000,
          timeoutMs: Math.min(1000, opts.interval * 1000),
          write: out,
        });
        return;
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

  program.command("status")
    .description(
      "Show the running agent's view: one line per pool and IP with its verdict, the " +
        "cluster's up/down votes, last RTT, loss over the last minute, whether its " +
        "records are in DNS, why the agent leaves it as it is (hold reason) and since " +
        "when. Reads /status from the status server the config names ([status] listen); " +
        "exits 0 when the agent answered, 1 when it cannot be reached. Colours only on " +
        "a terminal (NO_COLOR turns them off).",
    )
    .option(
      "-f, --config-file <path>",
      `config of the running agent (default: "${DEFAULT_CONFIG}")`,
    )
    .action(async (opts) => {
      Deno.exitCode = await runStatus({
        configFile: opts.configFile ?? program.opts().configFile ??
          DEFAULT_CONFIG,
        write: out,
        writeErr: err,
        color: Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
      });
    });

  for (const drain of [true, false]) {
    const cmd = program.command(drain ? "drain" : "undrain")
      .description(
        drain
          ? "Take an IP out of DNS on purpose (maintenance): the running agent withdraws its " +
            "records as if it were down — the guards still apply, so a name never loses its " +
            "last record (goavail status then shows the guard that keeps it). The drain is " +
            "saved in state_dir, survives restarts and travels to every agent of the cluster; " +
            "any agent may lift it with goavail undrain. Asks the agent through its control " +
            "socket, state_dir/control.sock (local only)."
          : "Lift a drain (issued on any agent of the cluster): the IP's records come back, " +
            "exactly as saved, once the cluster sees it up. Asks the agent through its " +
            "control socket, state_dir/control.sock (local only).",
      )
      .argument("<ip>", "the IP, as configured (any IPv6 spelling)")
      .option(
        "-f, --config-file <path>",
        `config of the running agent (default: "${DEFAULT_CONFIG}")`,
      )
      .option(
        "--pool <name>",
        'pool of the IP (default: "default", or, in a config of [[pool]]s only, the one pool that has the IP)',
      );
    if (drain) {
      cmd.option(
        "--reason <text>",
        "why, shown in goavail status, /status, the page and the log (one line, ≤ 200 characters)",
      );
    }
    cmd.action(async (ip: string, opts) => {
      Deno.exitCode = await runDrain({
        configFile: opts.configFile ?? program.opts().configFile ??
          DEFAULT_CONFIG,
        drain,
        ip,
        pool: opts.pool,
        reason: opts.reason,
        write: out,
        writeErr: err,
      });
    });
  }

  program.command("service")
    .description(
      "Print a systemd unit for this binary (restart on failure, CAP_NET_RAW, hardening, " +
        "the API token as a credential), or install it with --install.",
    )
    .option(
      "-f, --config-file <path>",
      'config file the service runs with (default: "/etc/goavail/goavail.toml")',
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
        configPath: opts.configFile ?? program.opts().configFile ??
          "/etc/goavail/goavail.toml",
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
      `config whose state_dir to read (default: "${DEFAULT_CONFIG}")`,
    )
    .option("--json", "print a JSON array instead of a table")
    .action(async (opts) => {
      Deno.exitCode = await runSnapshots({
        configFile: opts.configFile ?? program.opts().configFile ??
          DEFAULT_CONFIG,
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
      `config whose state_dir and provider to use (default: "${DEFAULT_CONFIG}")`,
    )
    .option("--dry-run", "print what would be restored (the default)")
    .option("--no-dry-run", "create the records for real")
    .action(async (targets: string[], opts) => {
      const global = program.opts<OriginalFlags>();
      Deno.exitCode = await runRestore({
        configFile: opts.configFile ?? global.configFile ?? DEFAULT_CONFIG,
        targets,
        dryRun: opts.dryRun ?? global.dryRun,
        dnsProvider: global.dnsProvider,
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
