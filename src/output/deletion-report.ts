/** One line per pod as apply acts on it, and a closing count. */
import type { ChalkInstance } from "chalk";
import { type Plan, type PlanPod, summarize } from "../core/plan.js";
import type { PodOutcome, ReplacementProblem } from "../pipeline/delete-pods.js";

export function describeOutcome(
  pod: PlanPod,
  outcome: PodOutcome,
  dryRun: boolean,
  chalk: ChalkInstance,
): string {
  const name = `pod ${pod.namespace}/${pod.name}`;
  switch (outcome.kind) {
    case "deleted":
      return `${name} deleted${dryRun ? " (server dry run)" : ""}`;
    case "gone":
      return `${name} already gone`;
    case "replaced":
      return `${name} not deleted: it was replaced since the plan was made`;
    case "failed":
      return `${name} ${chalk.red("not deleted")}: ${outcome.reason}`;
    case "not-started":
      return `${name} ${chalk.yellow("not deleted")}: ${outcome.reason}`;
  }
}

/** The line after a controller's last deleted pod whose replacement did not come up as planned. */
export function describeReplacementProblem(problem: ReplacementProblem, chalk: ChalkInstance): string {
  return `pod ${problem.pod.namespace}/${problem.pod.name} deleted, ${chalk.red("but")}: ${problem.reason}`;
}

export function renderDeletionSummary(
  outcomes: readonly PodOutcome[],
  replacementProblems: number,
  dryRun: boolean,
): string {
  const count = (kind: PodOutcome["kind"]) => outcomes.filter((o) => o.kind === kind).length;
  const parts = [`${count("deleted")} deleted${dryRun ? " (server dry run)" : ""}`];
  if (count("gone") > 0) parts.push(`${count("gone")} already gone`);
  if (count("replaced") > 0) parts.push(`${count("replaced")} replaced since the plan`);
  if (count("failed") > 0) parts.push(`${count("failed")} failed`);
  if (count("not-started") > 0) parts.push(`${count("not-started")} not started`);
  if (replacementProblems > 0) parts.push(`${replacementProblems} not replaced as planned`);
  return `${parts.join(", ")} (of ${outcomes.length} planned)\n`;
}

/** One JSON line: what the run found and did, for logs read by machines (the CronJob's). */
export function renderRunSummary(
  plan: Plan,
  outcomes: readonly PodOutcome[],
  replacementProblems: number,
  dryRun: boolean,
): string {
  const summary = summarize(plan);
  const count = (kind: PodOutcome["kind"]) => outcomes.filter((o) => o.kind === kind).length;
  return `${JSON.stringify({
    kind: "RunSummary",
    resolver: plan.resolver,
    dryRun,
    pods: plan.pods.length,
    stale: summary.toDelete + summary.skipped,
    skipped: summary.skipped,
    unknown: summary.unknown,
    current: summary.current,
    deleted: count("deleted"),
    failed: count("failed") + count("not-started"),
    notReplaced: replacementProblems,
  })}\n`;
}
