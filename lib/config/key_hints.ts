/**
 * The message for a key unknown where it is written, with where it belongs.
 * A known key at the wrong level (the common TOML slip: a top-level key
 * written below a `[section]` header, or a section's key above it) is named
 * with its full path; otherwise the nearest spelling is offered.
 * @module
 */
import { closest, SECTIONS } from "./schema.ts";
import { show } from "./rules.ts";

/** @returns the canonical paths where `key` is a known key, outside `section`. */
function elsewhere(section: string, key: string): string[] {
  return Object.entries(SECTIONS)
    .filter(([s, spec]) => s !== section && key in spec)
    .map(([s]) => s ? `${s}.${key}` : key);
}

/** @returns the nearest known key of any other level, as a path. */
function nearestElsewhere(section: string, key: string): string | undefined {
  const others = Object.entries(SECTIONS).filter(([s]) => s !== section);
  const near = closest(key, others.flatMap(([, spec]) => Object.keys(spec)));
  return near ? elsewhere(section, near)[0] : undefined;
}

/**
 * Explains an unknown key or section and says where it belongs.
 * @param section canonical section the key is written in ("" = top level)
 * @param key the key as written
 * @param isTable whether the value is a table (an unknown `[section]`)
 * @returns e.g. `is not a top-level key; did you mean
 *   "members.heartbeat_interval"?`
 */
export function unknownKeyMessage(
  section: string,
  key: string,
  isTable = false,
): string {
  const what = section
    ? `is not a known key of [${section}]`
    : isTable
    ? "is not a known section"
    : "is not a top-level key";
  const lower = key.toLowerCase();
  if (lower in SECTIONS && lower !== "" && !(section === "" && isTable)) {
    return `${what}; ${
      show(lower)
    } is a section, written "[${lower}]" on a line of its own`;
  }
  const places = elsewhere(section, key);
  if (places.includes(key)) {
    return `${what}; ${
      show(key)
    } is a top-level key: move it above the first [section]`;
  }
  if (places.length > 0) {
    return `${what}; did you mean ${places.map(show).join(" or ")}?`;
  }
  const local = closest(key, [
    ...Object.keys(SECTIONS[section] ?? {}),
    ...(section ? [] : Object.keys(SECTIONS).filter((s) => s !== "")),
  ]);
  if (local) return `${what}; did you mean ${show(local)}?`;
  const far = nearestElsewhere(section, key);
  return far ? `${what}; did you mean ${show(far)}?` : what;
}
