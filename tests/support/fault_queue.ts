/**
 * The scripted faults of the project's fake APIs (Cloudflare, Route 53):
 * each matches a method and a path fragment and fires `times` times.
 * @module
 */

/** What every fake's fault has in common. */
export interface MatchedFault {
  /** Requests it applies to; absent fields match anything. */
  match?: { method?: string; path?: string };
  /** How many matching requests it hits. @default 1 */
  times?: number;
}

/**
 * Takes the first fault matching a request, counting it down and dropping
 * it once used up.
 * @param faults the queue (changed in place)
 * @param method the request method, upper case
 * @param path the request path
 * @returns the fault to apply, or undefined
 */
export function takeFault<F extends MatchedFault>(
  faults: F[],
  method: string,
  path: string,
): F | undefined {
  const i = faults.findIndex((f) =>
    (!f.match?.method || f.match.method.toUpperCase() === method) &&
    (!f.match?.path || path.includes(f.match.path))
  );
  const f = faults[i];
  if (!f) return undefined;
  const left = (f.times ?? 1) - 1;
  if (left <= 0) faults.splice(i, 1);
  else f.times = left;
  return f;
}
