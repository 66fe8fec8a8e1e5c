/**
 * A run of apply in one line: what it restarted, what it checked, and the error it ended with, if any.
 * Written where a scheduler keeps it (the CronJob's container's termination message, which cron-status
 * shows per Job). Pure.
 */

import { type Plan, summarize } from "../core/plan.js";
import { clipped } from "../util/clipped.js";
import { renderSummary } from "./plan-table.js";
import { type RestartOutcomes, renderRestartSummary } from "./restart-report.js";

export interface RunSoFar {
  plan?: Plan;
  restarted?: RestartOutcomes;
  /** The run gave way to another run in progress: why, in the result's words. */
  gaveWay?: string;
}

/**
 * The kubelet keeps the last 4 KiB of a termination message: an error is cut short so that the counts
 * before it stay.
 */
const maxErrorLength = 1000;

/**
 * `2 evicted (of 2 planned); 2 stale (…), 0 unknown, 3 current (5 pods checked)`, `Nothing to restart: …`,
 * `gave way: …`, each followed by `; error: …` (as stderr's last line says it) when the run failed. An
 * error that only points at the restarts' lines (`; see above`) is left out after them: their count says
 * it.
 */
export function runResultLine(run: RunSoFar, dryRun: boolean, error?: string): string {
  if (run.gaveWay !== undefined) return run.gaveWay;
  const said = run.restarted && error?.endsWith("; see above") ? undefined : error;
  const failed = said === undefined ? [] : [`error: ${clipped(said, maxErrorLength)}`];
  if (!run.plan) return failed[0] ?? "error: the run ended before its plan was made";
  const checked = renderSummary(summarize(run.plan), run.plan.pods.length).trimEnd();
  if (!run.restarted)
    return failed.length > 0 ? `${checked}; ${failed[0]}` : `Nothing to restart: ${checked}`;
  const restarted = renderRestartSummary(
    run.restarted.outcomes,
    run.restarted.problems.length,
    dryRun,
  ).trimEnd();
  return [restarted, checked, ...failed].join("; ");
}
