/**
 * `goavail service`: renders a hardened systemd unit for this binary, and
 * optionally installs it (`/etc/systemd/system/goavail.service` plus
 * `systemctl daemon-reload`). The command runner is injected so tests never
 * touch the host's systemd.
 *
 * The Cloudflare token and the config's secret files (`crypto_key_file`, …)
 * reach the service through `LoadCredential=`: systemd copies each to
 * `$CREDENTIALS_DIRECTORY/NAME`, readable only by the service, so no secret
 * sits in the environment or the config file, and the originals stay
 * readable by root only.
 * @module
 */

import { secretFileKeysOf } from "../config/load.ts";

/** Where the unit is installed. */
export const UNIT_PATH = "/etc/systemd/system/goavail.service";
/** The token file `LoadCredential=` reads by default. */
export const DEFAULT_TOKEN_FILE = "/etc/goavail/cloudflare_token";
/** The credential name; the agent reads `$CREDENTIALS_DIRECTORY/<this>`. */
export const TOKEN_CREDENTIAL = "cloudflare_token";

/** Inputs of {@linkcode renderUnit}. */
export interface UnitOptions {
  /** Absolute path of the goavail binary. */
  execPath: string;
  /** Absolute path of goavail.toml. */
  configPath: string;
  /**
   * Service user. With the default, `DynamicUser=yes` makes systemd use the
   * static user `goavail` if it exists, or allocate one. "root" runs as root.
   * @default "goavail"
   */
  user?: string;
  /** Token file passed with `LoadCredential=`; omitted = commented out. */
  tokenFile?: string;
  /**
   * Secret files of the config (`crypto_key_file`, …), each passed with
   * `LoadCredential=NAME:PATH`: the agent reads the copy in
   * `$CREDENTIALS_DIRECTORY`, so the files may stay readable by root only.
   * @default []
   */
  credentials?: { name: string; path: string }[];
  /** Arguments before `monitor` (e.g. `run -A /opt/goavail/main.ts`). */
  execArgs?: string[];
  /** State directory when it is not `/var/lib/goavail`. */
  stateDir?: string;
}

/** Raised when the unit cannot be rendered or installed. */
export class ServiceError extends Error {
  /** @param message what failed; @param options the underlying error */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServiceError";
  }
}

/**
 * Quotes one command-line word for `ExecStart=`: `%` → `%%`, `$` → `$$`,
 * and double quotes around words with spaces, quotes or backslashes.
 * @throws {ServiceError} on control characters (newlines would inject keys)
 */
export function quoteExecArg(word: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(word)) {
    throw new ServiceError(
      `Cannot put ${JSON.stringify(word)} in a unit: control character`,
    );
  }
  const s = word.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (s !== "" && !/[\s"'\\;]/.test(s)) return s;
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function absolute(what: string, path: string): string {
  if (!path.startsWith("/")) {
    throw new ServiceError(
      `The ${what} must be an absolute path, got ${JSON.stringify(path)}`,
    );
  }
  return path;
}

/** For settings systemd reads without exec-style unquoting. */
function plainPath(what: string, path: string): string {
  if (!/^\/[\w./@+-]*$/.test(absolute(what, path))) {
    throw new ServiceError(
      `The ${what} ${JSON.stringify(path)} may only contain letters, ` +
        `digits and "_ . / @ + -"`,
    );
  }
  return path;
}

/**
 * Renders the unit file.
 * @param o binary, config, user and token file
 * @returns the unit text, ending in a newline
 * @throws {ServiceError} on relative paths or unquotable characters
 */
export function renderUnit(o: UnitOptions): string {
  const exec = [absolute("binary", o.execPath), ...(o.execArgs ?? [])];
  const config = absolute("config file", o.configPath);
  const user = o.user ?? "goavail";
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(user)) {
    throw new ServiceError(`Invalid user name "${user}"`);
  }
  const execStart = [...exec, "monitor", "-f", config].map(quoteExecArg)
    .join(" ");
  const token = o.tokenFile
    ? `LoadCredential=${TOKEN_CREDENTIAL}:${
      plainPath("token file", o.tokenFile)
    }`
    : `#LoadCredential=${TOKEN_CREDENTIAL}:${DEFAULT_TOKEN_FILE}`;
  const secrets = (o.credentials ?? []).map((c) => {
    if (!/^[a-z_]+$/.test(c.name)) {
      throw new ServiceError(`Invalid credential name "${c.name}"`);
    }
    return `LoadCredential=${c.name}:${plainPath("secret file", c.path)}`;
  });
  const stateDir = o.stateDir && o.stateDir !== "/var/lib/goavail"
    ? `ReadWritePaths=${plainPath("state directory", o.stateDir)}`
    : "# The default state_dir /var/lib/goavail is the StateDirectory above.";
  const inHome = [...exec, config].some((p) => /^\/(home|root)\//.test(p));
  const denoRun = o.execArgs?.length
    ? [
      "# Running from source with deno: its module cache lives here.",
      "CacheDirectory=goavail",
      "Environment=DENO_DIR=%C/goavail DENO_NO_UPDATE_CHECK=1",
    ]
    : [];
  const identity = user === "root" ? ["User=root"] : [
    `User=${user}`,
    `Group=${user}`,
    "# Uses the static user if it exists, else allocates one at start.",
    "DynamicUser=yes",
  ];
  return [
    "[Unit]",
    "Description=goavail: remove dead IPs from DNS, restore them on recovery",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=exec",
    `ExecStart=${execStart}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=on-failure",
    "RestartSec=2",
    "# The agent stops its loops and flushes state within 2 s of SIGTERM.",
    "TimeoutStopSec=10",
    ...identity,
    "# Cloudflare API token: the agent reads",
    `# $CREDENTIALS_DIRECTORY/${TOKEN_CREDENTIAL} when no other token is set.`,
    token,
    ...(secrets.length
      ? [
        "# Secret files of the config, read from $CREDENTIALS_DIRECTORY/NAME.",
        ...secrets,
      ]
      : []),
    ...denoRun,
    "StateDirectory=goavail",
    "StateDirectoryMode=0700",
    stateDir,
    "UMask=0077",
    "# Raw ICMP sockets need CAP_NET_RAW, and nothing else.",
    "AmbientCapabilities=CAP_NET_RAW",
    "CapabilityBoundingSet=CAP_NET_RAW",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    inHome ? "ProtectHome=read-only" : "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "RemoveIPC=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    "SystemCallArchitectures=native",
    "LockPersonality=yes",
    "# V8's JIT writes then executes code pages: W^X must stay off.",
    "MemoryDenyWriteExecute=no",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Runs a command; resolves with its exit code and stderr text. */
export type CommandRunner = (
  argv: string[],
) => Promise<{ code: number; stderr: string }>;

/** The real runner: `Deno.Command` with piped output. */
export async function denoRunner(
  argv: string[],
): Promise<{ code: number; stderr: string }> {
  const [cmd, ...args] = argv;
  const out = await new Deno.Command(cmd!, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * Writes the unit atomically (temp file + rename, mode 0644) and runs
 * `systemctl daemon-reload`.
 * @param path where the unit goes, normally {@linkcode UNIT_PATH}
 * @param text the unit from {@linkcode renderUnit}
 * @param run the command runner
 * @returns ok, or what failed in words
 */
export async function installUnit(
  path: string,
  text: string,
  run: CommandRunner,
): Promise<{ ok: true; value: undefined } | { ok: false; error: string }> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o644 });
    await Deno.chmod(tmp, 0o644);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    const hint = err instanceof Deno.errors.PermissionDenied
      ? " (run as root, e.g. with sudo)"
      : "";
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `Cannot write "${path}": ${msg}${hint}` };
  }
  try {
    const r = await run(["systemctl", "daemon-reload"]);
    if (r.code !== 0) {
      return {
        ok: false,
        error:
          `"systemctl daemon-reload" failed (exit ${r.code}): ${r.stderr.trim()}`,
      };
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `Cannot run "systemctl daemon-reload": ${msg}` };
  }
  return { ok: true, value: undefined };
}

/** Inputs of {@linkcode serviceCommand}. */
export interface ServiceCommandOptions extends Partial<UnitOptions> {
  /** Install (true) or print (false) the unit. */
  install: boolean;
  /** The goavail binary, normally `Deno.execPath()`. */
  execPath: string;
  /** The config file; relative paths resolve against the working directory. */
  configPath: string;
  /** Writes one output line (no trailing newline) to stdout. */
  write: (line: string) => void;
  /** Writes one error line to stderr. @default write */
  writeErr?: (line: string) => void;
  /** @default {@linkcode denoRunner} */
  run?: CommandRunner;
  /** @default {@linkcode UNIT_PATH} */
  unitPath?: string;
  /**
   * Reads the config, for the secret files it names (`credentials` wins).
   * @default Deno.readTextFile
   */
  readConfig?: (path: string) => Promise<string>;
}

/**
 * The `goavail service` command: prints the unit, or installs it. The token
 * credential line is active when `tokenFile` is given or
 * {@linkcode DEFAULT_TOKEN_FILE} exists; each secret file the config names
 * (`crypto_key_file`, …) gets its `LoadCredential=` line.
 * @returns the process exit code: 0 done, 1 install failed, 2 bad input
 */
export async function serviceCommand(
  o: ServiceCommandOptions,
): Promise<number> {
  const configPath = o.configPath.startsWith("/")
    ? o.configPath
    : `${Deno.cwd()}/${o.configPath.replace(/^\.\//, "")}`;
  const tokenFile = o.tokenFile ??
    (await isFile(DEFAULT_TOKEN_FILE) ? DEFAULT_TOKEN_FILE : undefined);
  const fail = o.writeErr ?? o.write;
  let credentials = o.credentials;
  if (!credentials) {
    const config = await (o.readConfig ?? Deno.readTextFile)(configPath)
      .catch(() => null);
    if (config === null) {
      fail(
        `# note: cannot read "${configPath}": no LoadCredential= lines for ` +
          "its secret files; run this where the config is",
      );
    }
    credentials = secretFileKeysOf(config ?? "").map((f) => ({
      name: f.credential,
      path: f.path,
    }));
  }
  let text: string;
  try {
    text = renderUnit({ ...o, configPath, tokenFile, credentials });
  } catch (err) {
    fail(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  if (o.execPath.split("/").pop() === "deno" && !o.execArgs) {
    fail("# warning: this is the deno binary; use `deno task compile` first");
  }
  if (!o.install) {
    for (const line of text.replace(/\n$/, "").split("\n")) o.write(line);
    return 0;
  }
  const path = o.unitPath ?? UNIT_PATH;
  const r = await installUnit(path, text, o.run ?? denoRunner);
  if (!r.ok) {
    fail(`error: ${r.error}`);
    return 1;
  }
  o.write(`Installed ${path}. Next:`);
  if (!tokenFile) {
    o.write(
      `  put the API token in ${DEFAULT_TOKEN_FILE} (mode 0600), ` +
        "run this command again to load it with LoadCredential=",
    );
  }
  o.write("  systemctl enable --now goavail && journalctl -u goavail -f");
  return 0;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
