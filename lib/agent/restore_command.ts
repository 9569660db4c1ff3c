/**
 * `goavail restore IP|NAME…`: puts withdrawn records back now, exactly as
 * their snapshots hold them, through the provider the agent writes with —
 * for records the agent no longer restores (their IP, hostname or zone left
 * the config) or that the operator wants back before the IP recovers.
 *
 * Safe by default:
 * - Dry-run unless `--no-dry-run` (a `dry_run = false` config is not
 *   enough: this is a one-off write by hand): it prints what it would
 *   create and contacts nothing.
 * - With `--no-dry-run` it takes the `state_dir` lock first, so it never
 *   races a running agent over the state file; while an agent holds it,
 *   it refuses and says to stop that agent (an agent restores the records
 *   it manages itself once their IPs are up; it has no restore endpoint).
 * - Every argument must match a snapshot, or nothing is done.
 * - A record already back counts as done; its snapshot is dropped only
 *   after the provider confirms the record exists.
 * @module
 */
import type { Config, DnsProviderName } from "../config/types.ts";
import { dnsProviderProblem, withDnsProvider } from "../config/dns_pool.ts";
import {
  canonicalIp,
  type Change,
  type DnsProvider,
  type DnsRecord,
  fqdn,
  recordKey,
} from "../dns/provider.ts";
import { canonicalIp as parseCanonicalIp } from "../net/ip.ts";
import { createLogger } from "../observe/log.ts";
import { dnsProviderFor } from "./dns_provider_for.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";
import type { LockStateDir, StateDirLock } from "./state_lock.ts";
import { StateDirLockedError } from "./state_lock.ts";
import { FileStateStore } from "./state_store.ts";
import { ignoreFileSizeSignal } from "./signals.ts";
import { loadConfig, stateFileSource } from "./snapshots_command.ts";
import { type Withdrawn, withdrawnRecords } from "./withdrawn.ts";

/** Options of {@linkcode runRestore}. */
export interface RestoreOptions {
  configFile: string;
  /** IPs or names (relative to `dns_domain`, or fully qualified). */
  targets: string[];
  /** Only `false` (`--no-dry-run`) writes. */
  dryRun?: boolean;
  /** `-p/--dns-provider`; undefined = as the config says. */
  dnsProvider?: DnsProviderName;
  write: (line: string) => void;
  writeErr: (line: string) => void;
}

/** What only `main.ts` (or a test) provides. */
export interface RestoreRuntime {
  lockStateDir: LockStateDir;
  /** @default the agent's provider for the config (`dnsProviderFor`) */
  createDnsProvider?: (config: Config) => Promise<DnsProvider>;
}

/** A withdrawn record picked for restore, with the zone it belongs to. */
export interface RestorePick {
  withdrawn: Withdrawn;
  zone: string;
}

/**
 * Matches the arguments against the withdrawn records.
 * @param all every withdrawn record
 * @param targets IPs or names
 * @param config gives the zone for relative names and old snapshots
 * @returns the records to restore (each once), or every problem
 */
export function pickRecords(
  all: readonly Withdrawn[],
  targets: readonly string[],
  config: Config,
): { ok: true; picks: RestorePick[] } | { ok: false; errors: string[] } {
  const zone = fqdn("@", config.cloudflare.dnsDomain);
  const errors: string[] = [];
  const picked = new Map<string, Withdrawn>();
  for (const target of targets) {
    const ip = parseCanonicalIp(target.trim());
    const name = target.trim().toLowerCase().replace(/\.$/, "");
    const hits = all.filter((w) =>
      ip !== null
        ? canonicalIp(w.record.content) === ip
        : w.record.name === name || w.record.name === fqdn(name, zone)
    );
    if (hits.length === 0) {
      errors.push(
        `No withdrawn record matches "${target}" ("goavail snapshots" lists them)`,
      );
    }
    for (const w of hits) picked.set(w.key, w);
  }
  const picks: RestorePick[] = [];
  for (const w of picked.values()) {
    const name = w.record.name;
    const z = w.info?.zone ??
      (name === zone || name.endsWith(`.${zone}`) ? zone : null);
    if (z === null) {
      errors.push(
        `Cannot tell the zone of ${
          describe(w.record)
        }: its snapshot does not ` +
          `record one and the name is not under dns_domain "${zone}"; set ` +
          "dns_domain to its zone and run again",
      );
    } else picks.push({ withdrawn: w, zone: z });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, picks };
}

/**
 * Runs the command.
 * @returns the exit code: 0 when every record is back (or would be), 1 when
 *   anything failed or was refused
 */
export async function runRestore(
  opts: RestoreOptions,
  runtime: RestoreRuntime,
): Promise<number> {
  const loaded = await loadConfig(opts.configFile, opts.writeErr);
  if (!loaded) return 1;
  const config = withDnsProvider(
    loaded,
    opts.dnsProvider ?? loaded.dnsProvider,
  );
  const unsupported = dnsProviderProblem(config);
  if (unsupported) {
    opts.writeErr(`Cannot restore: ${unsupported}`);
    return 1;
  }
  if (opts.dryRun !== false) return await dryRun(opts, config);
  ignoreFileSizeSignal();
  let lock: StateDirLock;
  try {
    lock = runtime.lockStateDir(config.stateDir);
  } catch (e) {
    opts.writeErr(`Cannot restore: ${refusal(config.stateDir, e)}`);
    return 1;
  }
  try {
    return await restore(opts, runtime, config);
  } finally {
    lock.release();
  }
}

function refusal(dir: string, e: unknown): string {
  if (!(e instanceof StateDirLockedError)) {
    return e instanceof Error ? e.message : String(e);
  }
  return `state_dir "${dir}" is in use by ${e.holder()}. Stop that agent ` +
    `first (e.g. "systemctl stop goavail") and run restore again: a running ` +
    `agent owns the state file (it restores the records it manages itself ` +
    `once their IPs are up, and has no restore endpoint)`;
}

async function dryRun(opts: RestoreOptions, config: Config): Promise<number> {
  let all: Withdrawn[];
  try {
    const file = await readStateFile(stateFilePath(config.stateDir));
    all = withdrawnRecords(stateFileSource(file));
  } catch (e) {
    opts.writeErr(`Cannot restore: ${(e as Error).message}`);
    return 1;
  }
  const picked = pickRecords(all, opts.targets, config);
  if (!picked.ok) return fail(opts, picked.errors);
  for (const p of picked.picks) {
    opts.write(
      `would restore ${details(p.withdrawn.record)} in zone ${p.zone}`,
    );
  }
  opts.write(
    "Dry run: nothing was written. Run again with --no-dry-run to restore " +
      "(stop any agent using this state_dir first).",
  );
  return 0;
}

async function restore(
  opts: RestoreOptions,
  runtime: RestoreRuntime,
  config: Config,
): Promise<number> {
  const { logger, settings } = createLogger({ level: "warn" });
  let store: FileStateStore;
  try {
    // Refuse a corrupt file rather than let the store move it aside.
    await readStateFile(stateFilePath(config.stateDir));
    store = await FileStateStore.open(config.stateDir, { logger });
  } catch (e) {
    opts.writeErr(`Cannot restore: ${(e as Error).message}`);
    return 1;
  }
  const picked = pickRecords(withdrawnRecords(store), opts.targets, config);
  if (!picked.ok) return fail(opts, picked.errors);
  const create = runtime.createDnsProvider ??
    ((c: Config) => dnsProviderFor(c, { logger, secrets: settings.secrets }));
  let failed = 0;
  for (const [zone, picks] of byZone(picked.picks)) {
    const zoneConfig = forZone({ ...config, dryRun: false }, zone);
    try {
      const provider = await create(zoneConfig);
      failed += await restoreZone(opts, store, provider, picks);
    } catch (e) {
      opts.writeErr(`Cannot restore in zone ${zone}: ${(e as Error).message}`);
      failed += picks.length;
    }
  }
  return failed === 0 ? 0 : 1;
}

/** @returns how many records could not be restored */
async function restoreZone(
  opts: RestoreOptions,
  store: FileStateStore,
  provider: DnsProvider,
  picks: readonly RestorePick[],
): Promise<number> {
  const names = [...new Set(picks.map((p) => p.withdrawn.record.name))];
  const listing = await provider.list(names);
  const back: string[] = [];
  const creates: Change[] = [];
  for (const { withdrawn: w } of picks) {
    const there = (listing.get(w.record.name) ?? []).some((r) =>
      r.type === w.record.type &&
      canonicalIp(r.content) === canonicalIp(w.record.content)
    );
    if (there) {
      opts.write(`already present: ${describe(w.record)}`);
      back.push(w.key);
    } else {
      const record = { ...w.record, tags: [...w.record.tags] };
      creates.push({ kind: "create", record, fromSnapshot: true });
    }
  }
  let failed = 0;
  const result = creates.length > 0
    ? await provider.apply(creates)
    : { outcomes: [] };
  for (const o of result.outcomes) {
    if (o.result === "failed") {
      failed++;
      opts.writeErr(
        `Cannot restore ${describe(o.change.record)}: ${o.error.message}`,
      );
      continue;
    }
    opts.write(`restored ${details(o.change.record)}`);
    back.push(recordKey(o.change.record));
  }
  try {
    await store.dropSnapshots(back);
  } catch (e) {
    opts.writeErr(
      `The records are back, but their snapshots could not be dropped ` +
        `(${(e as Error).message}); "goavail snapshots" still lists them`,
    );
    return failed + 1;
  }
  return failed;
}

function byZone(picks: readonly RestorePick[]): Map<string, RestorePick[]> {
  const out = new Map<string, RestorePick[]>();
  for (const p of picks) out.set(p.zone, [...(out.get(p.zone) ?? []), p]);
  return out;
}

/** @returns `config` aimed at `zone` (its zone_id only if it is the same zone) */
function forZone(config: Config, zone: string): Config {
  const same = fqdn("@", config.cloudflare.dnsDomain) === zone;
  return same ? config : {
    ...config,
    cloudflare: { ...config.cloudflare, dnsDomain: zone, zoneId: null },
  };
}

function fail(opts: RestoreOptions, errors: readonly string[]): number {
  for (const e of errors) opts.writeErr(e);
  opts.writeErr("Nothing was restored.");
  return 1;
}

function describe(r: DnsRecord): string {
  return `${r.type} ${r.name} ${r.content}`;
}

function details(r: DnsRecord): string {
  const comment = r.comment === null ? "none" : JSON.stringify(r.comment);
  const tags = r.tags.length === 0 ? "none" : r.tags.join(",");
  return `${describe(r)} (ttl ${r.ttl === 1 ? "auto" : r.ttl}, proxied ` +
    `${r.proxied}, comment ${comment}, tags ${tags})`;
}
