/** What install-cron says of each object it applied. Pure. */

/** How an applied object changed, from its resourceVersion before and after. */
export type ApplyChange = "created" | "configured" | "unchanged";

/** An applied object compared with what was there before (no resourceVersion before: created). */
export function applyChange(before: string | undefined, after: string | undefined): ApplyChange {
  if (before === undefined) return "created";
  return before === after ? "unchanged" : "configured";
}
