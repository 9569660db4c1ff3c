/**
 * Raw `[[pool]]` tables → checked values, key by key, every problem named by
 * its path: `pool[1].hostnames[0]`, `pool[0].check.expect_status[2]`. Pools
 * are numbered from 0 in file order, as TOML arrays of tables are.
 * @module
 */
import type { ConfigIssue } from "./load.ts";
import { closest } from "./schema.ts";
import { keysOf, POOL, POOL_CHECK, type TableSpec } from "./pool_schema.ts";
import { show } from "./rules.ts";

/** One `[[pool]]` whose keys passed their own rules (others left out). */
export interface CheckedPool {
  /** "pool[0]", "pool[1]", … */
  path: string;
  values: Record<string, unknown>;
  /** `[pool.check]` values; {} when the table is absent. */
  check: Record<string, unknown>;
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  !(v instanceof Date);

/**
 * @param raw the value of the top-level `pool` key as parsed
 * @param written the key as written ("pool", "Pool")
 * @param errors receives every problem found
 * @returns the pools, in file order
 */
export function checkPools(
  raw: unknown,
  written: string,
  errors: ConfigIssue[],
): CheckedPool[] {
  if (!Array.isArray(raw) || !raw.every(isTable)) {
    errors.push({
      path: written,
      message:
        'must be written as [[pool]] tables (one "[[pool]]" header per pool)',
    });
    return [];
  }
  return raw.map((table, i) => {
    const path = `${written}[${i}]`;
    const pool: CheckedPool = { path, values: {}, check: {} };
    const { check, ...rest } = table;
    checkTable(POOL, rest, path, pool.values, errors, ["check"]);
    if (check !== undefined) {
      if (isTable(check)) {
        checkTable(POOL_CHECK, check, `${path}.check`, pool.check, errors);
      } else {
        errors.push({
          path: `${path}.check`,
          message: `must be a [pool.check] table, got ${show(check)}`,
        });
      }
    }
    return pool;
  });
}

function checkTable(
  spec: TableSpec,
  table: Record<string, unknown>,
  path: string,
  out: Record<string, unknown>,
  errors: ConfigIssue[],
  more: string[] = [],
): void {
  for (const [key, value] of Object.entries(table)) {
    const at = `${path}.${key}`;
    const scalar = Object.hasOwn(spec.scalars, key)
      ? spec.scalars[key]
      : undefined;
    const list = Object.hasOwn(spec.lists, key) ? spec.lists[key] : undefined;
    if (scalar) {
      const c = scalar(value);
      if (c.ok) out[key] = c.value;
      else errors.push({ path: at, message: c.error });
    } else if (list) {
      const items = checkList(list.item, list.nonEmpty, value, at, errors);
      if (items) out[key] = items;
    } else {
      const near = closest(key, [...keysOf(spec), ...more]);
      errors.push({
        path: at,
        message: `is not a known key of ${
          path.endsWith(".check") ? "[pool.check]" : "[[pool]]"
        }${near ? `; did you mean ${show(near)}?` : ""}`,
      });
    }
  }
}

/** @returns the checked items, or null when any is wrong (each named). */
function checkList(
  item: (raw: unknown) => { ok: true; value: unknown } | {
    ok: false;
    error: string;
  },
  nonEmpty: boolean,
  raw: unknown,
  at: string,
  errors: ConfigIssue[],
): unknown[] | null {
  if (!Array.isArray(raw)) {
    errors.push({
      path: at,
      message: `must be a list such as ["a", "b"], got ${show(raw)}`,
    });
    return null;
  }
  if (nonEmpty && raw.length === 0) {
    errors.push({ path: at, message: "must list at least one entry" });
    return null;
  }
  const out: unknown[] = [];
  let fine = true;
  raw.forEach((r, i) => {
    const c = item(r);
    if (!c.ok) {
      errors.push({ path: `${at}[${i}]`, message: c.error });
      fine = false;
    } else if (out.includes(c.value)) {
      errors.push({ path: `${at}[${i}]`, message: `repeats ${show(c.value)}` });
      fine = false;
    } else out.push(c.value);
  });
  return fine ? out : null;
}
