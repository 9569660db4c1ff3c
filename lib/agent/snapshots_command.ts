/**
 * `goavail snapshots`: what is withdrawn and saved in `state_dir` — every
 * record snapshot with its fields, when and by which agent it was saved,
 * and whether the config still manages it (the agent restores only those).
 * It only reads: no lock, nothing written, safe while an agent runs.
 * @module
 */
import { formatIssues, loadConfigFile } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import { readStateFile, type StateFile, stateFilePath } from "./state_file.ts";
import {
  type SnapshotSource,
  type UnmanagedReason,
  unmanagedReasons,
  type Withdrawn,
  withdrawnRecords,
} from "./withdrawn.ts";

/** Options of {@linkcode runSnapshots}. */
export interface SnapshotsOptions {
  configFile: string;
  /** Print JSON instead of a table. */
  json: boolean;
  write: (line: string) => void;
  writeErr: (line: string) => void;
}

/**
 * Loads the config, reads its state file and prints what is withdrawn.
 * @returns the exit code: 0, or 1 when the config or state file is bad
 */
export async function runSnapshots(opts: SnapshotsOptions): Promise<number> {
  const loaded = await loadConfig(opts.configFile, opts.writeErr);
  if (!loaded) return 1;
  const path = stateFilePath(loaded.stateDir);
  let file: StateFile;
  try {
    file = await readStateFile(path);
  } catch (e) {
    opts.writeErr(`Cannot list snapshots: ${(e as Error).message}`);
    return 1;
  }
  const rows = withdrawnRecords(stateFileSource(file)).map((w) => ({
    w,
    reasons: unmanagedReasons(w, loaded),
  }));
  if (opts.json) {
    opts.write(
      JSON.stringify(rows.map((r) => jsonRow(r.w, r.reasons)), null, 2),
    );
    return 0;
  }
  if (rows.length === 0) {
    opts.write(`No withdrawn records are saved in "${path}".`);
    return 0;
  }
  opts.write(`Withdrawn records saved in "${path}":`);
  for (const line of table(rows.map((r) => textRow(r.w, r.reasons)))) {
    opts.write(line);
  }
  return 0;
}

/**
 * Loads a config file, printing every problem.
 * @returns the config, or null after printing why not
 */
export async function loadConfig(
  file: string,
  writeErr: (line: string) => void,
): Promise<Config | null> {
  const loaded = await loadConfigFile(file);
  if (loaded.ok) return loaded.value.config;
  writeErr(`Cannot load "${file}":`);
  writeErr(formatIssues(loaded.errors).trimEnd());
  return null;
}

/** @returns the snapshots of a state file, as a store would list them. */
export function stateFileSource(file: StateFile): SnapshotSource {
  return {
    snapshots: () => new Map(Object.entries(file.snapshots)),
    snapshotInfo: () => new Map(Object.entries(file.saved)),
  };
}

const HEADER = [
  "NAME",
  "TYPE",
  "CONTENT",
  "TTL",
  "PROXIED",
  "COMMENT",
  "TAGS",
  "SAVED",
  "BY",
  "RESTORED BY AGENT",
];

function textRow(w: Withdrawn, reasons: UnmanagedReason[]): string[] {
  const r = w.record;
  return [
    r.name,
    r.type,
    r.content,
    r.ttl === 1 ? "auto" : String(r.ttl),
    String(r.proxied),
    r.comment === null ? "-" : JSON.stringify(r.comment),
    r.tags.length === 0 ? "-" : r.tags.join(","),
    w.info ? new Date(w.info.at).toISOString() : "-",
    w.info?.by ?? "-",
    reasons.length === 0 ? "yes" : `no (${reasons.join(", ")} not in config)`,
  ];
}

function jsonRow(
  w: Withdrawn,
  reasons: UnmanagedReason[],
): Record<string, unknown> {
  return {
    ...w.record,
    savedAt: w.info ? new Date(w.info.at).toISOString() : null,
    savedBy: w.info?.by ?? null,
    zone: w.info?.zone ?? null,
    managed: reasons.length === 0,
    unmanagedReasons: reasons,
  };
}

function table(rows: string[][]): string[] {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) =>
    Math.max(...all.map((r) => r[i]!.length))
  );
  return all.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]!))
      .join("  ")
  );
}
