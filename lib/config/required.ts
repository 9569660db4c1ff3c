/**
 * The "is required" check shared by the provider sections.
 * @module
 */
import type { CheckedTree, ConfigIssue } from "./load.ts";

/** Appends "is required" for each of `keys` missing from `section`. */
export function requireKeys(
  tree: CheckedTree,
  errors: ConfigIssue[],
  section: string,
  keys: readonly string[],
): void {
  const values = tree.values[section] ?? {};
  for (const key of keys) {
    const path = tree.paths[`${section}.${key}`] ?? `${section}.${key}`;
    if (!(key in values) && !errors.some((e) => e.path === path)) {
      errors.push({ path, message: "is required" });
    }
  }
}
