/**
 * Durations as kubectl prints ages (apimachinery's HumanDuration): exact to the second below 10 minutes,
 * then coarser as they grow (90m, 3h20m, 30h, 3d5h, 400d, 2y15d). Negative ones (clocks that disagree) are
 * 0s.
 */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withRest(minutes, "m", seconds % 60, "s");
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRest(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return withRest(days, "d", hours % 24, "h");
  if (days < 2 * 365) return `${days}d`;
  const years = Math.floor(days / 365);
  return years < 8 ? withRest(years, "y", days % 365, "d") : `${years}y`;
}

function withRest(whole: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${whole}${unit}` : `${whole}${unit}${rest}${restUnit}`;
}

/** A duration exact to `unitMs` (1000: whole seconds): 2m30s, 10h30m, 500ms. */
export function exactDuration(ms: number, unitMs = 1000): string {
  const total = Math.max(0, Math.floor(ms / unitMs) * unitMs);
  if (total === 0) return unitMs === 1 ? "0ms" : "0s";
  const parts: [number, string][] = [
    [Math.floor(total / 3_600_000), "h"],
    [Math.floor(total / 60_000) % 60, "m"],
    [Math.floor(total / 1000) % 60, "s"],
    [total % 1000, "ms"],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join("");
}

/** The age of an ISO timestamp at `now`. */
export function ageSince(fromIso: string, now: Date): string {
  return formatAge(now.getTime() - Date.parse(fromIso));
}
