/**
 * A run of apply in one line: what it restarted, what it checked, or why it stopped. Written where a
 * scheduler keeps it (the CronJob's container's termination message, which cron-status shows per Job). Pure.
 */
import { type Plan, summarize } from "../core/plan.js";
import { renderSummary } from "./plan-table.js";
import { type RestartRecord, renderRestartSummary } from "./restart-report.js";

export interface RunSoFar {
  plan?: Plan;
  record?: RestartRecord;
  /** Why the run did not go on although nothing failed (it gave way to another run). */
  skipped?: string;
}

/**
 * `2 evicted (of 2 planned); 2 stale (…), 0 unknown, 3 current (5 pods checked)`, `Nothing to restart: …`,
 * or `error: …` as stderr's last line says it, after what the run had got to. An error that only points at
 * the restarts' lines (`; see above`) is left out: their count says it.
 */
export function runResultLine(run: RunSoFar, dryRun: boolean, error?: string): string {
  if (run.skipped !== undefined) return run.skipped;
  const failed = error === undefined || error.endsWith("; see above") ? [] : [`error: ${error}`];
  if (!run.plan) return `error: ${error ?? "the run ended before its plan was made"}`;
  const checked = renderSummary(summarize(run.plan), run.plan.pods.length).trimEnd();
  if (!run.record)
    return failed.length > 0 ? [...failed, checked].join("; ") : `Nothing to restart: ${checked}`;
  const restarted = renderRestartSummary(run.record.outcomes, run.record.problems.length, dryRun).trimEnd();
  return [restarted, checked, ...failed].join("; ");
}
