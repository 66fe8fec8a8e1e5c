/** How the plan is printed, kept apart from its renderers, which load only once a plan is made. */

/** -o table (default), wide, json, yaml, or name (the pods apply would restart). */
export type PlanFormat = "table" | "wide" | "json" | "yaml" | "name";

/**
 * Formats read by programs: stdout holds only what was asked for; no spinner, and apply reports on stderr.
 */
export function isMachineFormat(format: PlanFormat): boolean {
  return format === "json" || format === "yaml" || format === "name";
}
