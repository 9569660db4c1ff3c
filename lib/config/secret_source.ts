/**
 * Where the config loader reads secret files from: the file system and, under
 * systemd, the service's credentials directory. An interface so tests can
 * hand the loader files without touching the disk.
 * @module
 */

/** Reads secret files for the config loader. */
export interface SecretSource {
  /**
   * `$CREDENTIALS_DIRECTORY` (set by systemd for `LoadCredential=`), or
   * null outside a service.
   */
  credentialsDir: string | null;
  /**
   * @param path a file
   * @returns its text
   * @throws Deno.errors.NotFound, Deno.errors.PermissionDenied, …
   */
  readTextFile(path: string): string;
  /**
   * @param path a file
   * @returns its permission bits (e.g. 0o640), or null when unknown
   */
  mode(path: string): number | null;
}

/** @returns the environment variable, or null when unset or not permitted. */
function envVar(name: string): string | null {
  try {
    const v = Deno.env.get(name);
    return v && v.trim() !== "" ? v : null;
  } catch {
    return null;
  }
}

/**
 * The real source: synchronous reads (secret files are small) and
 * `$CREDENTIALS_DIRECTORY` from the environment.
 * @param credentials whether to honour `$CREDENTIALS_DIRECTORY` @default true
 * @returns the source
 */
export function systemSecretSource(credentials = true): SecretSource {
  return {
    credentialsDir: credentials ? envVar("CREDENTIALS_DIRECTORY") : null,
    readTextFile: (path) => Deno.readTextFileSync(path),
    mode: (path) => {
      try {
        const m = Deno.statSync(path).mode;
        return m === null ? null : m & 0o7777;
      } catch {
        return null;
      }
    },
  };
}
