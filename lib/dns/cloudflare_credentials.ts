/**
 * Where the Cloudflare credentials come from. Values are secrets: they are
 * returned to the caller only, never logged or put in an error message.
 * @module
 */

import type { CloudflareConfig } from "../config/types.ts";
import { DnsProviderError } from "./provider.ts";

/** Name of the systemd credential holding the API token (see lib/agent/service.ts). */
export const SYSTEMD_CREDENTIAL = "cloudflare_token";

/** One set of Cloudflare credentials. */
export interface Credentials {
  apiToken?: string;
  apiKey?: string;
  apiEmail?: string;
}

/**
 * Finds the Cloudflare credentials, in order: `CLOUDFLARE_API_TOKEN`,
 * `api_token_file`, `CF_API_KEY` + `CF_API_EMAIL` (the original's names),
 * then the systemd credential `$CREDENTIALS_DIRECTORY/cloudflare_token`
 * that `goavail service` sets up with `LoadCredential=`.
 * @param config the `[cloudflare]` section
 * @param env environment variables
 * @param readTextFile reads the token file
 * @returns exactly one credential set
 * @throws {DnsProviderError} kind "auth" when none is configured or the
 * token file cannot be read; the message names the file, never its content
 */
export async function resolveCredentials(
  config: CloudflareConfig,
  env: Readonly<Record<string, string | undefined>>,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<Credentials> {
  const token = nonEmpty(env.CLOUDFLARE_API_TOKEN);
  if (token) return { apiToken: token };
  if (config.apiTokenFile) {
    let text: string;
    try {
      text = await readTextFile(config.apiTokenFile);
    } catch (e) {
      throw new DnsProviderError(
        "auth",
        `Cannot read "api_token_file" "${config.apiTokenFile}": ${
          (e as Error).name
        }`,
      );
    }
    const fileToken = nonEmpty(text.trim());
    if (fileToken) return { apiToken: fileToken };
    throw new DnsProviderError(
      "auth",
      `"api_token_file" "${config.apiTokenFile}" is empty`,
    );
  }
  const apiKey = nonEmpty(env.CF_API_KEY);
  const apiEmail = nonEmpty(env.CF_API_EMAIL);
  if (apiKey && apiEmail) return { apiKey, apiEmail };
  const credentials = nonEmpty(env.CREDENTIALS_DIRECTORY);
  if (credentials) {
    const path = `${credentials}/${SYSTEMD_CREDENTIAL}`;
    const text = await readTextFile(path).catch(() => "");
    const fileToken = nonEmpty(text);
    if (fileToken) return { apiToken: fileToken };
  }
  throw new DnsProviderError(
    "auth",
    'No Cloudflare credentials: set CLOUDFLARE_API_TOKEN, or "api_token_file" in [cloudflare], or CF_API_KEY and CF_API_EMAIL, or pass the token as the systemd credential "cloudflare_token"',
  );
}

/** @returns the trimmed string, or undefined when empty or missing. */
export function nonEmpty(s: string | undefined): string | undefined {
  return s && s.trim() !== "" ? s.trim() : undefined;
}
