/**
 * Secrets kept out of goavail.toml. Each secret may be written inline, in a
 * file named by a `*_file` key, or passed as a systemd credential
 * (`LoadCredential=NAME:PATH`, read from `$CREDENTIALS_DIRECTORY/NAME`):
 *
 * | secret                          | file key                         | credential          |
 * | ------------------------------- | -------------------------------- | ------------------- |
 * | `members.crypto_key`            | `members.crypto_key_file`        | `crypto_key`        |
 * | `members.crypto_keys`           | `members.crypto_keys_file`       | `crypto_keys`       |
 * | `notify.webhook_url`            | `notify.webhook_url_file`        | `webhook_url`       |
 * | `notify.slack_webhook_url`      | `notify.slack_webhook_url_file`  | `slack_webhook_url` |
 *
 * A file key's value is read into its secret before the config is resolved,
 * so it passes the same checks as an inline value; errors name the file key
 * and the file, never the content. Under systemd the credential of a file key
 * wins over its path: the unit copies the same file there (`goavail service`
 * writes those `LoadCredential=` lines), and the service user need not be
 * able to read the original. With no key set at all, the credential alone is
 * used, as for the Cloudflare token. Credentials are copied when the service
 * starts and stay the same until it stops, so a changed secret file needs a
 * restart, not a reload (https://systemd.io/CREDENTIALS/: "immutable during
 * the service runtime").
 *
 * Also warns when a file that holds a secret is readable by group or others:
 * the config itself when it holds one inline, and every secret file read from
 * its path. Credential copies are not checked: "access to credentials is
 * restricted to the service's user" (same page).
 * @module
 */
import type { CheckedTree, ConfigIssue } from "./load.ts";
import { type Checked, list, secret, show, url } from "./rules.ts";
import { MIN_KEY_LENGTH } from "./schema.ts";
import type { SecretSource } from "./secret_source.ts";
import type { SecretFile } from "./types.ts";

interface FileKey {
  key: string;
  /** The secret key the content becomes. */
  target: string;
  credential: string;
  parse: (text: string) => Checked<unknown>;
}

interface SecretGroup {
  section: string;
  /** Canonical paths holding the secret inline; any of them excludes the rest. */
  inline: string[];
  files: FileKey[];
}

const oneKey = (text: string) => secret(MIN_KEY_LENGTH)(text.trim());
const keyLines = (text: string) =>
  list(secret(MIN_KEY_LENGTH), { nonEmpty: true })(
    text.split("\n").map((l) => l.trim()).filter((l) =>
      l !== "" && !l.startsWith("#")
    ),
  );
const oneUrl = (text: string) => url(text.trim());

const GROUPS: SecretGroup[] = [
  {
    section: "members",
    inline: ["members.crypto_key", "members.crypto_keys"],
    files: [
      {
        key: "crypto_key_file",
        target: "crypto_key",
        credential: "crypto_key",
        parse: oneKey,
      },
      {
        key: "crypto_keys_file",
        target: "crypto_keys",
        credential: "crypto_keys",
        parse: keyLines,
      },
    ],
  },
  {
    section: "notify",
    inline: ["notify.webhook_url"],
    files: [{
      key: "webhook_url_file",
      target: "webhook_url",
      credential: "webhook_url",
      parse: oneUrl,
    }],
  },
  {
    section: "notify",
    inline: ["notify.slack_webhook_url", "slack_addr"],
    files: [{
      key: "slack_webhook_url_file",
      target: "slack_webhook_url",
      credential: "slack_webhook_url",
      parse: oneUrl,
    }],
  },
];

/** Files that hold a secret but are read elsewhere (only their mode is checked). */
const READ_ELSEWHERE = ["cloudflare.api_token_file"];

/** Keys that hold a secret inline, by canonical path. */
export const INLINE_SECRETS: readonly string[] = GROUPS.flatMap((g) =>
  g.inline
);

/** What {@linkcode resolveSecretFiles} found. */
export interface SecretFilesResult {
  /** The file keys in use. */
  files: SecretFile[];
  /** Inline secrets in the config, as written (e.g. "Members.crypto_key"). */
  inline: string[];
}

function has(tree: CheckedTree, path: string): boolean {
  const [section, key] = path.includes(".") ? path.split(".") : ["", path];
  return tree.values[section!] !== undefined && key! in tree.values[section!]!;
}

/**
 * @param tree the checked keys
 * @returns the `*_file` keys set, with their paths (nothing is read)
 */
export function listSecretFiles(tree: CheckedTree): SecretFile[] {
  return GROUPS.flatMap((g) =>
    g.files.filter((f) => has(tree, `${g.section}.${f.key}`)).map((f) => ({
      key: tree.paths[`${g.section}.${f.key}`] ?? `${g.section}.${f.key}`,
      credential: f.credential,
      path: tree.values[g.section]![f.key] as string,
    }))
  );
}

/**
 * Reads every secret file and credential into `tree` (as if written inline),
 * appending problems to `errors` and permission warnings to `warnings`.
 * @param tree the checked keys; secrets are added to it
 * @param source file system and credentials directory
 * @param errors where problems go, each naming its key
 * @param warnings where permission warnings go
 * @returns the file keys in use and the inline secrets found
 */
export function resolveSecretFiles(
  tree: CheckedTree,
  source: SecretSource,
  errors: ConfigIssue[],
  warnings: string[],
): SecretFilesResult {
  const written = (p: string) => tree.paths[p] ?? p;
  const inline = INLINE_SECRETS.filter((p) => has(tree, p)).map(written);
  const files = listSecretFiles(tree);
  for (const group of GROUPS) {
    const fileKeys = group.files.filter((f) =>
      has(tree, `${group.section}.${f.key}`)
    );
    const inlineSet = group.inline.filter((p) => has(tree, p));
    if (fileKeys.length + inlineSet.length > 1 && fileKeys.length > 0) {
      const other = [...inlineSet, ...fileKeys.slice(1).map((f) => f.key)][0]!;
      errors.push({
        path: written(`${group.section}.${fileKeys[0]!.key}`),
        message: `cannot be set together with ${
          show(other.split(".").pop())
        }; keep one`,
      });
      continue;
    }
    const file = fileKeys[0];
    if (file) {
      const key = written(`${group.section}.${file.key}`);
      const ref = files.find((f) => f.key === key)!;
      const read = readFileKey(ref, source, errors, warnings);
      if (read) inject(tree, group.section, file, read, ref.key, errors);
    } else if (inlineSet.length === 0) {
      fromCredentials(tree, group, source, errors);
    }
  }
  for (const p of READ_ELSEWHERE) {
    if (!has(tree, p)) continue;
    const [section, key] = p.split(".");
    const path = tree.values[section!]![key!] as string;
    warnIfShared(written(p), path, source, warnings);
  }
  return { files, inline };
}

/** A secret's text and where it was read, for messages. */
interface Read {
  text: string;
  from: string;
}

/** @returns the text of a file key: its credential under systemd, else the file. */
function readFileKey(
  ref: SecretFile,
  source: SecretSource,
  errors: ConfigIssue[],
  warnings: string[],
): Read | null {
  const fromCredential = readCredential(ref.credential, source);
  if (fromCredential.ok && fromCredential.text !== null) {
    return {
      text: fromCredential.text,
      from: `the systemd credential ${show(ref.credential)}`,
    };
  }
  try {
    const text = source.readTextFile(ref.path);
    warnIfShared(ref.key, ref.path, source, warnings);
    return { text, from: show(ref.path) };
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied
      ? `permission denied; run as a user that may read it, or pass it as a systemd credential (LoadCredential=${ref.credential}:${ref.path})`
      : e instanceof Error
      ? e.name
      : String(e);
    errors.push({
      path: ref.key,
      message: `cannot read ${show(ref.path)}: ${why}`,
    });
    return null;
  }
}

function readCredential(
  name: string,
  source: SecretSource,
): { ok: true; text: string | null } | { ok: false; error: string } {
  if (!source.credentialsDir) return { ok: true, text: null };
  try {
    return {
      ok: true,
      text: source.readTextFile(`${source.credentialsDir}/${name}`),
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: true, text: null };
    return { ok: false, error: e instanceof Error ? e.name : String(e) };
  }
}

/** With no key of the group set, takes its systemd credential, if any. */
function fromCredentials(
  tree: CheckedTree,
  group: SecretGroup,
  source: SecretSource,
  errors: ConfigIssue[],
): void {
  const found: [FileKey, string][] = [];
  for (const f of group.files) {
    const r = readCredential(f.credential, source);
    const path = `${group.section}.${f.target}`;
    if (!r.ok) {
      errors.push({
        path,
        message: `cannot read the systemd credential ${
          show(f.credential)
        }: ${r.error}`,
      });
    } else if (r.text !== null) found.push([f, r.text]);
  }
  if (found.length > 1) {
    errors.push({
      path: `${group.section}.${found[0]![0].target}`,
      message: `comes from the systemd credentials ${
        found.map(([f]) => show(f.credential)).join(" and ")
      }; pass one`,
    });
    return;
  }
  const [hit] = found;
  if (!hit) return;
  const [file, text] = hit;
  const from = `the systemd credential ${show(file.credential)}`;
  inject(
    tree,
    group.section,
    file,
    { text, from },
    `${group.section}.${file.target}`,
    errors,
  );
}

/** Checks a secret's text with its key's rule and adds it to `tree` as `key`. */
function inject(
  tree: CheckedTree,
  section: string,
  file: FileKey,
  read: Read,
  key: string,
  errors: ConfigIssue[],
): void {
  if (read.text.trim() === "") {
    errors.push({ path: key, message: `reads ${read.from}, which is empty` });
    return;
  }
  const checked = file.parse(read.text);
  if (!checked.ok) {
    errors.push({
      path: key,
      message: `reads ${read.from}, whose content ${checked.error}`,
    });
    return;
  }
  tree.values[section] ??= {};
  tree.values[section]![file.target] = checked.value;
  tree.paths[`${section}.${file.target}`] = key;
}

/**
 * @param mode permission bits
 * @returns "group", "others", "group and others", or null when neither may read
 */
export function sharedWith(mode: number): string | null {
  const group = (mode & 0o040) !== 0, others = (mode & 0o004) !== 0;
  return group && others
    ? "group and others"
    : group
    ? "group"
    : others
    ? "others"
    : null;
}

function warnIfShared(
  key: string,
  path: string,
  source: SecretSource,
  warnings: string[],
): void {
  const mode = source.mode(path);
  const who = mode === null ? null : sharedWith(mode);
  if (who === null) return;
  warnings.push(
    `${show(key)} names ${show(path)}, which is readable by ${who} (mode ${
      mode!.toString(8).padStart(4, "0")
    }): "chmod 600" it`,
  );
}

/**
 * The warning for a config file that holds secrets inline and is readable by
 * group or others, or null.
 * @param path the config file
 * @param inline inline secret keys as written
 * @param source for the file's mode
 * @returns the warning, or null
 */
export function configFileWarning(
  path: string,
  inline: string[],
  source: SecretSource,
): string | null {
  if (inline.length === 0) return null;
  const mode = source.mode(path);
  const who = mode === null ? null : sharedWith(mode);
  if (who === null) return null;
  return `${show(path)} holds secrets (${
    inline.join(", ")
  }) and is readable by ${who} (mode ${
    mode!.toString(8).padStart(4, "0")
  }): "chmod 600" it, or move them to files or systemd credentials (crypto_key_file, webhook_url_file, slack_webhook_url_file)`;
}
