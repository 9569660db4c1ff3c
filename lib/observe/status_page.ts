/**
 * The HTML status page: one self-contained document (inline CSS, no script,
 * no external assets) rendered server-side from a {@linkcode StatusSnapshot},
 * refreshing itself every 5 seconds. Every value is escaped: IPs, hostnames
 * and reasons may come from config files or peers.
 * @module
 */

import type {
  DnsAction,
  PeerStatus,
  StatusSnapshot,
  TargetStatus,
} from "./status.ts";

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:#555;margin:.25rem 0 1rem}
table{border-collapse:collapse;background:#fff;min-width:40rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;white-space:nowrap}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{font-weight:600;padding:.1rem .5rem;border-radius:.3rem;color:#fff}
.verdict-up{background:#1a7f37}.verdict-down{background:#cf222e}.drained{color:#9a6700;font-weight:600}
.dns-in{color:#1a7f37}.dns-out{color:#cf222e}.dns-unknown,.muted{color:#888}
.banner{padding:.5rem .8rem;margin:.5rem 0;border-radius:.3rem;font-weight:600}
.banner-dry-run{background:#fff8c5;border:1px solid #d4a72c}
.banner-alert{background:#ffebe9;border:1px solid #cf222e}
.peer-live{color:#1a7f37}.peer-lost{color:#cf222e}
`;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @param value any value; `null`/`undefined` become ""
 * @returns the escaped string
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/**
 * Formats how long ago an ISO time was, e.g. "5 s ago", "3 min ago".
 * @param iso the time; unparsable or null gives "—"
 * @param nowMs the current time in ms since the epoch
 * @returns a short human duration
 */
export function ago(iso: string | null, nowMs: number): string {
  const t = iso === null ? NaN : Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function time(iso: string | null, nowMs: number): string {
  if (iso === null) return `<span class="muted">never</span>`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${
    escapeHtml(ago(iso, nowMs))
  }</time>`;
}

function rtt(micros: number | null): string {
  return micros === null ? "—" : `${(micros / 1000).toFixed(2)} ms`;
}

function loss(ratio: number | null): string {
  return ratio === null ? "—" : `${(ratio * 100).toFixed(1)} %`;
}

function dnsCell(inDns: boolean | null): string {
  if (inDns === null) return `<td class="dns-unknown">unknown</td>`;
  return inDns
    ? `<td class="dns-in">in DNS</td>`
    : `<td class="dns-out">removed</td>`;
}

/** @returns the drain marker of a hold cell, with its reason; "" if none. */
function drainText(t: TargetStatus): string {
  if (!t.drained) return "";
  const reason = t.drained.reason ? `: ${escapeHtml(t.drained.reason)}` : "";
  const guard = t.hold && t.hold !== "drained" ? ", kept by " : "";
  return `<span class="drained">drained${reason}</span>${guard}`;
}

function targetRow(
  t: TargetStatus,
  nowMs: number,
  pooled: boolean,
): string {
  const v = t.verdict === "up" ? "up" : "down";
  const change = t.lastChange === null
    ? `<span class="muted">none</span>`
    : `${time(t.lastChange.at, nowMs)} ${escapeHtml(t.lastChange.reason)}`;
  const pool = pooled ? ` data-pool="${escapeHtml(t.pool)}"` : "";
  return `<tr data-ip="${escapeHtml(t.ip)}"${pool}>` +
    (pooled ? `<td class="pool">${escapeHtml(t.pool)}</td>` : "") +
    `<td class="ip">${escapeHtml(t.ip)}${
      t.backup ? ' <span class="muted">backup</span>' : ""
    }</td>` +
    `<td><span class="verdict verdict-${v}">${v}</span></td>` +
    `<td>${t.clusterDown ? "down" : "up"} (${
      escapeHtml(t.votesDown)
    } down)</td>` +
    `<td class="num">${rtt(t.lastRttMicros)}</td>` +
    `<td class="num">${loss(t.lossLastMinute)}</td>` +
    dnsCell(t.inDns) +
    `<td class="hold">${drainText(t)}${
      t.hold === null || (t.drained && t.hold === "drained")
        ? ""
        : escapeHtml(t.hold.replaceAll("_", " "))
    }</td>` +
    `<td>${time(t.since, nowMs)}</td><td>${change}</td></tr>`;
}

function peerRow(p: PeerStatus, nowMs: number): string {
  const cls = p.live ? "peer-live" : "peer-lost";
  return `<tr><td>${escapeHtml(p.addr)}</td>` +
    `<td class="${cls}">${p.live ? "live" : "lost"}</td>` +
    `<td>${time(p.lastSeen, nowMs)}</td></tr>`;
}

function actionRow(a: DnsAction, nowMs: number): string {
  return `<tr><td>${time(a.at, nowMs)}</td><td>${escapeHtml(a.action)}</td>` +
    `<td>${escapeHtml(a.hostname)}</td><td>${escapeHtml(a.type)}</td>` +
    `<td>${escapeHtml(a.ip)}</td><td>${escapeHtml(a.result)}</td></tr>`;
}

function table(
  id: string,
  heads: string[],
  rows: string[],
  empty: string,
): string {
  if (rows.length === 0) return `<p class="muted" id="${id}">${empty}</p>`;
  const th = heads.map((h) => `<th>${h}</th>`).join("");
  return `<table id="${id}"><thead><tr>${th}</tr></thead>` +
    `<tbody>${rows.join("\n")}</tbody></table>`;
}

function banners(s: StatusSnapshot): string {
  const out: string[] = [];
  if (s.dryRun) {
    out.push(
      `<div class="banner banner-dry-run" id="dry-run">Dry run: DNS changes ` +
        `are logged, not made.</div>`,
    );
  }
  if (s.guards.isolated) {
    out.push(
      `<div class="banner banner-alert" id="isolated">Self-isolation: DNS ` +
        `writes held back — ${escapeHtml(s.guards.reason ?? "")}</div>`,
    );
  }
  if (s.dns.writesPaused !== null) {
    out.push(
      `<div class="banner banner-alert" id="writes-paused">` +
        `${escapeHtml(s.dns.writesPaused)}</div>`,
    );
  }
  return out.join("\n");
}

/** Target rows shown at most; the rest are only in `/status`. */
export const MAX_TARGET_ROWS = 1000;

/** @returns whether the targets are of more than one pool */
function pooled(s: StatusSnapshot): boolean {
  return new Set(s.targets.map((t) => t.pool)).size > 1;
}

/**
 * @returns the target rows: grouped by pool (in the order of `/status`)
 *   when there are several, down first within each; at most `max`
 */
function targetRows(s: StatusSnapshot, nowMs: number, max: number): string[] {
  const pools = [...new Set(s.targets.map((t) => t.pool))];
  const shown = pools.flatMap((pool) => {
    const of = s.targets.filter((t) => t.pool === pool);
    return [
      ...of.filter((t) => t.verdict !== "up"),
      ...of.filter((t) => t.verdict === "up"),
    ];
  }).slice(0, max);
  const rows = shown.map((t) => targetRow(t, nowMs, pools.length > 1));
  if (shown.length < s.targets.length) {
    rows.push(
      `<tr><td colspan="${
        pools.length > 1 ? 10 : 9
      }" class="muted" id="more-targets">Showing ` +
        `${shown.length} of ${s.targets.length} targets, down first; all ` +
        `are in <a href="/status">/status</a>.</td></tr>`,
    );
  }
  return rows;
}

/**
 * Renders the status page. Down targets come first; beyond `maxRows` the
 * table ends with a pointer to `/status`.
 * @param s the snapshot to show
 * @param nowMs the current time, for "… ago" cells
 * @param maxRows most target rows shown
 * @returns a complete HTML document
 */
export function renderStatusPage(
  s: StatusSnapshot,
  nowMs: number,
  maxRows: number = MAX_TARGET_ROWS,
): string {
  const down = s.targets.filter((t) => t.verdict !== "up").length;
  const live = s.peers.filter((p) => p.live).length;
  const c = s.config;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>goavail ${escapeHtml(s.node)}: ${down} down</title>
<style>${STYLE}</style></head>
<body>
<h1>goavail <span class="muted">${escapeHtml(s.node)}</span></h1>
<p class="meta">version ${escapeHtml(s.version)} · started ${
    time(s.startedAt, nowMs)
  } · DNS ${escapeHtml(s.dns.provider)} · ${
    escapeHtml(s.targets.length)
  } targets, ${down} down · ${live}/${s.peers.length} peers live · writer ${
    escapeHtml(s.writer.node ?? "none")
  }${s.writer.active ? " (this agent)" : ""}</p>
${banners(s)}
<h2>Targets</h2>
${
    table(
      "targets",
      [
        ...(pooled(s) ? ["Pool"] : []),
        "IP",
        "Verdict",
        "Cluster",
        "RTT",
        "Loss (1 min)",
        "DNS",
        "Why not written",
        "Since",
        "Last change",
      ],
      targetRows(s, nowMs, maxRows),
      "No targets configured.",
    )
  }
<h2>Peers</h2>
${
    table(
      "peers",
      ["Address", "State", "Last heartbeat"],
      s.peers.map((p) => peerRow(p, nowMs)),
      "Single node: no peers configured.",
    )
  }
<h2>Recent DNS actions</h2>
${
    table(
      "dns-actions",
      ["When", "Action", "Hostname", "Type", "IP", "Result"],
      s.dns.lastActions.map((a) => actionRow(a, nowMs)),
      "No DNS actions yet.",
    )
  }
<p class="meta">Config ${escapeHtml(c.path)} · interval ${
    escapeHtml(c.interval)
  } s · down after ${escapeHtml(c.failureThreshold)}, up after ${
    escapeHtml(c.recoveryThreshold)
  } · hostnames ${escapeHtml(c.hostnames.join(", "))} ·
<a href="/status">JSON</a> · <a href="/metrics">metrics</a></p>
</body></html>
`;
}
