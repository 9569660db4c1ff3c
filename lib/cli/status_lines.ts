/**
 * `goavail status` output: the agent's `/status` document as terminal
 * lines, one per (pool, IP). Pure: the caller passes the time and whether
 * to colour.
 * @module
 */
import type { StatusSnapshot, TargetStatus } from "../observe/status.ts";

/** How {@linkcode statusLines} renders. */
export interface StatusLineOptions {
  /** Wall-clock ms the "since" column counts from. */
  now: number;
  /** ANSI colours (stdout is a terminal and `NO_COLOR` is not set). */
  color: boolean;
}

const COLUMNS = [
  "POOL",
  "IP",
  "VERDICT",
  "VOTES",
  "RTT",
  "LOSS",
  "IN DNS",
  "HOLD",
  "SINCE",
] as const;

type Tone = "good" | "bad" | "warn" | "plain";

const ANSI: Record<Tone, string> = {
  good: "\x1b[32m",
  bad: "\x1b[31m",
  warn: "\x1b[33m",
  plain: "",
};
const RESET = "\x1b[0m";

/** One cell: its text and how it is coloured. */
interface Cell {
  text: string;
  tone: Tone;
}

/**
 * @param s the agent's `/status` document
 * @param o the time and whether to colour
 * @returns a heading line, then a table: a header and one row per target
 */
export function statusLines(
  s: StatusSnapshot,
  o: StatusLineOptions,
): string[] {
  const rows: Cell[][] = [
    COLUMNS.map((text) => ({ text, tone: "plain" as const })),
    ...s.targets.map((t) => targetCells(t, o.now)),
  ];
  const widths = COLUMNS.map((_, i) =>
    Math.max(...rows.map((r) => r[i]?.text.length ?? 0))
  );
  const table = rows.map((r) =>
    r.map((c, i) => {
      const padded = i === r.length - 1
        ? c.text
        : c.text.padEnd(widths[i] ?? 0);
      return o.color && c.tone !== "plain"
        ? ANSI[c.tone] + padded + RESET
        : padded;
    }).join("  ").trimEnd()
  );
  return [heading(s), ...notices(s, o.color), ...table];
}

function heading(s: StatusSnapshot): string {
  const live = s.peers.filter((p) => p.live).length;
  const peers = s.peers.length === 0
    ? "single node"
    : `peers ${live}/${s.peers.length} live`;
  const writer = s.writer.node === null
    ? "no writer"
    : s.writer.active
    ? "writing"
    : `writer ${s.writer.node}${
      s.writer.reason ? ` (${s.writer.reason})` : ""
    }`;
  const mode = s.dryRun ? "dry-run" : s.dns.provider;
  return `goavail ${s.version} on ${s.node}: ${mode}, ${writer}, ${peers}`;
}

function notices(s: StatusSnapshot, color: boolean): string[] {
  const out: string[] = [];
  if (s.guards.isolated) {
    out.push(`isolated: ${s.guards.reason ?? "self-isolation guard"}`);
  }
  if (s.dns.writesPaused) out.push(s.dns.writesPaused);
  return color ? out.map((l) => ANSI.warn + l + RESET) : out;
}

function targetCells(t: TargetStatus, now: number): Cell[] {
  const hold = t.drained
    ? `drained${t.drained.reason ? `: ${t.drained.reason}` : ""}${
      t.hold && t.hold !== "drained" ? ` (kept: ${t.hold})` : ""
    }`
    : t.hold ?? "changing";
  return [
    { text: t.pool, tone: "plain" },
    { text: t.backup ? `${t.ip} (backup)` : t.ip, tone: "plain" },
    { text: t.verdict, tone: t.verdict === "up" ? "good" : "bad" },
    { text: `${t.votesUp} up/${t.votesDown} down`, tone: "plain" },
    { text: rttText(t.lastRttMicros), tone: "plain" },
    { text: lossText(t.lossLastMinute), tone: "plain" },
    {
      text: t.inDns === null ? "?" : t.inDns ? "yes" : "no",
      tone: t.inDns === false && t.hold !== "standby" ? "bad" : "plain",
    },
    {
      text: hold,
      tone: t.drained ||
          (t.hold !== null && t.hold !== "in_sync" && t.hold !== "standby")
        ? "warn"
        : "plain",
    },
    { text: sinceText(t.since, now), tone: "plain" },
  ];
}

/** @returns an RTT in ms with two decimals, or "-" before any reply. */
export function rttText(micros: number | null): string {
  return micros === null ? "-" : `${(micros / 1000).toFixed(2)} ms`;
}

/** @returns a loss share as a whole percentage, or "-" before any probe. */
export function lossText(share: number | null): string {
  return share === null ? "-" : `${Math.round(share * 100)}%`;
}

/**
 * @param since ISO 8601 time
 * @param now wall-clock ms
 * @returns how long ago, in its two largest units ("3m12s ago", "2d4h ago")
 */
export function sinceText(since: string, now: number): string {
  const at = Date.parse(since);
  if (Number.isNaN(at)) return since;
  let left = Math.max(0, Math.floor((now - at) / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (left >= size || parts.length > 0) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  parts.push(`${left}s`);
  return `${parts.slice(0, 2).join("")} ago`;
}
