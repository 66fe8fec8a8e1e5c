/** Durations as kubectl prints ages: 45s, 12m, 3h20m, 5d. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 || hours >= 8 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

/** The age of an ISO timestamp at `now`. */
export function ageSince(fromIso: string, now: Date): string {
  return formatAge(now.getTime() - Date.parse(fromIso));
}
