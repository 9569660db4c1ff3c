/**
 * Loads goavail.toml: TOML text → checked keys → a fully defaulted
 * {@linkcode Config}. Every problem in the file is collected, each naming its
 * key path, so one run of `goavail check-config` shows them all.
 * @module
 */
import { parse, TomlError } from "smol-toml";
import { SECTIONS } from "./schema.ts";
import { unknownKeyMessage } from "./key_hints.ts";
import { resolve } from "./resolve.ts";
import { type CheckedPool, checkPools } from "./pool_check.ts";
import { show } from "./rules.ts";
import {
  configFileWarning,
  listSecretFiles,
  resolveSecretFiles,
} from "./secret_files.ts";
import { type SecretSource, systemSecretSource } from "./secret_source.ts";
import type { Config, SecretFile } from "./types.ts";

/** One problem in a config file. */
export interface ConfigIssue {
  /** Key path as written in the file, e.g. "Members.min_peers_agree"; "" for the file. */
  path: string;
  /** What is wrong and, where it helps, what to do. */
  message: string;
}

/** A loaded config plus the warnings met on the way. */
export interface Loaded {
  config: Config;
  warnings: string[];
}

/** Result of loading: the config, or every problem found. */
export type LoadResult =
  | { ok: true; value: Loaded }
  | { ok: false; errors: ConfigIssue[] };

/** @returns one line per issue: `"path" message`. */
export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((
    i,
  ) => (i.path ? `  ${show(i.path)} ${i.message}` : `  ${i.message}`))
    .join("\n");
}

/** Checked values by canonical section, then key; plus where each was written. */
export interface CheckedTree {
  values: Record<string, Record<string, unknown>>;
  /** Key path as the user wrote it, by "section.key" canonical path. */
  paths: Record<string, string>;
  /** `[[pool]]` tables, in file order. */
  pools: CheckedPool[];
}

/** Options of {@linkcode loadConfigText}. */
export interface LoadOptions {
  /** The file the text came from: its mode is checked when it holds secrets. */
  path?: string;
  /**
   * Reads `*_file` keys and systemd credentials.
   * @default the file system, without `$CREDENTIALS_DIRECTORY`
   */
  secrets?: SecretSource;
}

/**
 * Parses and validates TOML text, reading the secret files it names.
 * @param text the file contents
 * @param options the file's path and where secret files are read
 * @returns the resolved config with warnings, or every issue found
 */
export function loadConfigText(
  text: string,
  options: LoadOptions = {},
): LoadResult {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0]?.replace(
        /^Invalid TOML document: /,
        "",
      );
      return {
        ok: false,
        errors: [{
          path: "",
          message:
            `TOML syntax error at line ${e.line}, column ${e.column}: ${first}`,
        }],
      };
    }
    throw e;
  }
  const errors: ConfigIssue[] = [];
  const warnings: string[] = [];
  const tree = checkTree(raw, errors);
  const secrets = options.secrets ?? systemSecretSource(false);
  const found = resolveSecretFiles(tree, secrets, errors, warnings);
  const config = {
    ...resolve(tree, errors, warnings),
    secretFiles: found.files,
  };
  const shared = options.path
    ? configFileWarning(options.path, found.inline, secrets)
    : null;
  if (shared) warnings.push(shared);
  return errors.length
    ? { ok: false, errors }
    : { ok: true, value: { config, warnings } };
}

/**
 * Lists the secret files a config names, without reading them (for the
 * service unit's `LoadCredential=` lines).
 * @param text the config's TOML
 * @returns the `*_file` keys set; [] when the text is not valid TOML
 */
export function secretFileKeysOf(text: string): SecretFile[] {
  try {
    const raw = parse(text) as Record<string, unknown>;
    return listSecretFiles(checkTree(raw, []));
  } catch {
    return [];
  }
}

/**
 * Reads and validates a config file, with the secret files it names and,
 * under systemd, `$CREDENTIALS_DIRECTORY`.
 * @param path the config file
 * @param secrets where secret files are read @default the system's
 * @returns the resolved config, or every issue found (including a read error)
 */
export async function loadConfigFile(
  path: string,
  secrets: SecretSource = systemSecretSource(),
): Promise<LoadResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file; pass the right path with -f"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Error
      ? e.message
      : String(e);
    return {
      ok: false,
      errors: [{ path: "", message: `Cannot read ${show(path)}: ${why}` }],
    };
  }
  return loadConfigText(text, { path, secrets });
}

function checkTree(
  raw: Record<string, unknown>,
  errors: ConfigIssue[],
): CheckedTree {
  const tree: CheckedTree = { values: { "": {} }, paths: {}, pools: [] };
  const sectionNames = Object.keys(SECTIONS).filter((s) => s !== "");
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    const isTable = typeof value === "object" && value !== null &&
      !Array.isArray(value) &&
      !(value instanceof Date);
    if (lower === "pool") {
      if (tree.pools.length > 0) {
        errors.push({
          path: key,
          message: "repeats [[pool]] under another spelling",
        });
        continue;
      }
      tree.pools = checkPools(value, key, errors);
    } else if (isTable && sectionNames.includes(lower)) {
      if (tree.values[lower]) {
        errors.push({
          path: key,
          message: `repeats section [${lower}] under another spelling`,
        });
        continue;
      }
      tree.values[lower] = {};
      checkSection(lower, key, value as Record<string, unknown>, tree, errors);
    } else if (key in SECTIONS[""]!) {
      checkKey("", "", key, value, tree, errors);
    } else {
      errors.push({ path: key, message: unknownKeyMessage("", key, isTable) });
    }
  }
  return tree;
}

function checkSection(
  section: string,
  written: string,
  table: Record<string, unknown>,
  tree: CheckedTree,
  errors: ConfigIssue[],
): void {
  const spec = SECTIONS[section]!;
  for (const [key, value] of Object.entries(table)) {
    if (key in spec) {
      checkKey(section, written, key, value, tree, errors);
    } else {
      errors.push({
        path: `${written}.${key}`,
        message: unknownKeyMessage(section, key),
      });
    }
  }
}

function checkKey(
  section: string,
  written: string,
  key: string,
  value: unknown,
  tree: CheckedTree,
  errors: ConfigIssue[],
): void {
  const path = written ? `${written}.${key}` : key;
  const checked = SECTIONS[section]![key]!(value);
  tree.paths[section ? `${section}.${key}` : key] = path;
  if (checked.ok) tree.values[section]![key] = checked.value;
  else errors.push({ path, message: checked.error });
}
