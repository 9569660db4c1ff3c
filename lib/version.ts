/**
 * The agent's version and build facts, for `goavail version`, logs and
 * `/metrics`.
 * @module
 */
import meta from "../deno.json" with { type: "json" };

/** goavail's own version, from deno.json. */
export const VERSION: string = meta.version;

/** @returns "goavail 0.1.0 (deno 2.9.6, x86_64-unknown-linux-gnu)"-style facts. */
export function versionInfo(): {
  version: string;
  deno: string;
  target: string;
} {
  return {
    version: VERSION,
    deno: Deno.version.deno,
    target: Deno.build.target,
  };
}
