/**
 * Cloudflare's rate-limit headers, in the IETF draft format
 * (draft-ietf-httpapi-ratelimit-headers, structured-field lists). As
 * Cloudflare documents them
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/,
 * "Rate limiting headers"; changelog 2025-09-03):
 *
 * - `Ratelimit`: "List of service limit items, composed of the limit name,
 *   the remaining quota (r) and the time next window resets (t). For
 *   example: "default";r=50;t=30"
 * - `Ratelimit-Policy`: "List of quota policy items, composed of the policy
 *   name, the total quota (q) and the time window the quota applies to (w).
 *   For example: "burst";q=100;w=60"
 *
 * Several items (comma-separated) may come: the tightest one counts.
 * Unknown parameters are ignored; an item without `r` (or `q`) is skipped.
 * @module
 */

/** What the server last said of the budget. */
export interface RateLimitState {
  /** Calls left in the current window (the tightest item). */
  remaining: number;
  /** Milliseconds from the response until that window resets. */
  resetMs: number;
  /** The policy's quota, when `Ratelimit-Policy` came. */
  quota: number | null;
  /** The policy's window, seconds, when `Ratelimit-Policy` came. */
  windowSeconds: number | null;
}

/** One list item: its name and numeric parameters. */
interface Item {
  name: string;
  params: Map<string, number>;
}

function parseList(value: string): Item[] {
  const items: Item[] = [];
  for (const raw of value.split(",")) {
    const [head, ...rest] = raw.split(";").map((s) => s.trim());
    if (head === undefined || head === "") continue;
    const params = new Map<string, number>();
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq <= 0) continue;
      const n = Number(p.slice(eq + 1).trim());
      if (Number.isFinite(n) && n >= 0) params.set(p.slice(0, eq).trim(), n);
    }
    items.push({ name: head.replace(/^"|"$/g, ""), params });
  }
  return items;
}

/**
 * @param ratelimit the `Ratelimit` header, or null
 * @param policy the `Ratelimit-Policy` header, or null
 * @returns the tightest limit, or null when `Ratelimit` is absent or has no
 *   item with `r`
 */
export function parseRateLimit(
  ratelimit: string | null,
  policy: string | null,
): RateLimitState | null {
  if (!ratelimit) return null;
  let best: Item | null = null;
  for (const item of parseList(ratelimit)) {
    const r = item.params.get("r");
    if (r === undefined) continue;
    if (!best || r < best.params.get("r")!) best = item;
  }
  if (!best) return null;
  const policies = policy ? parseList(policy) : [];
  const match = policies.find((p) => p.name === best.name) ??
    (policies.length === 1 ? policies[0] : undefined);
  return {
    remaining: best.params.get("r")!,
    resetMs: (best.params.get("t") ?? 0) * 1000,
    quota: match?.params.get("q") ?? null,
    windowSeconds: match?.params.get("w") ?? null,
  };
}
