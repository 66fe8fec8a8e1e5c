/**
 * A time as the documents this tool prints write it: ISO 8601 in UTC, to the second (`2026-11-28T09:14:03Z`).
 */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}
