/**
 * Docker Hub's pull budget, from the `ratelimit-limit` / `ratelimit-remaining` headers it sends on HEAD and
 * GET (`100;w=21600`: 100 pulls per 21600 s). HEAD requests do not spend it. Pure.
 */

/** One header's value: a count and, when given, its window in seconds. */
export interface RateLimitValue {
  count: number;
  windowSeconds: number | null;
}

/** What a registry said about its budget during the run (the lowest remaining count seen). */
export interface RateLimitState {
  limit: RateLimitValue | null;
  remaining: RateLimitValue;
}

/** Parses `76;w=21600` or `76`; null when absent or unreadable. */
export function parseRateLimit(value: string | null): RateLimitValue | null {
  if (value === null) return null;
  const m = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value);
  if (!m) return null;
  return { count: Number(m[1]), windowSeconds: m[2] === undefined ? null : Number(m[2]) };
}

/** Keeps the lowest remaining count: answers arrive out of order, and the budget only shrinks in a run. */
export function mergeRateLimit(
  previous: RateLimitState | undefined,
  limit: RateLimitValue | null,
  remaining: RateLimitValue | null,
): RateLimitState | undefined {
  if (remaining === null) return previous;
  if (previous && previous.remaining.count <= remaining.count) return previous;
  return { limit: limit ?? previous?.limit ?? null, remaining };
}

/** One line for -o wide and --verbose: `registry-1.docker.io: 76 of 100 pulls left (per 6h)`. */
export function rateLimitNote(host: string, state: RateLimitState): string {
  const window = state.remaining.windowSeconds ?? state.limit?.windowSeconds ?? null;
  const of = state.limit ? ` of ${state.limit.count}` : "";
  const per = window === null ? "" : ` (per ${formatWindow(window)})`;
  return `${host}: ${state.remaining.count}${of} pulls left${per}; HEAD requests do not count`;
}

function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
