/**
 * Restarting the planned pods without taking a workload down: each pod goes the way the plan chose for
 * its controller (rollout, evict, delete). Controllers proceed side by side, up to --concurrency; a
 * controller's own pods go one at a time (evict, delete) or in one rollout. On SIGINT nothing new starts.
 */
import type { PlanPod } from "../../core/plan.js";
import { mapLimit } from "../../util/map-limit.js";
import { BudgetGate, deleteGroup } from "./delete.js";
import { evictGroup } from "./evict.js";
import type {
  GroupReporter,
  PodOutcome,
  ReplacementProblem,
  RestartApi,
  RestartOptions,
  RolloutReport,
} from "./outcomes.js";
import { rollOut } from "./rollout.js";

export interface RestartResult {
  outcomes: Map<PlanPod, PodOutcome>;
  problems: ReplacementProblem[];
  rollouts: RolloutReport[];
  warnings: string[];
}

export async function restartPods(
  api: RestartApi,
  pods: readonly PlanPod[],
  options: RestartOptions,
): Promise<RestartResult> {
  const groups = new Map<string, PlanPod[]>();
  for (const pod of pods) {
    const restart = pod.restart;
    if (!restart) throw new Error(`internal: pod ${pod.namespace}/${pod.name} has no restart decided`);
    // A rollout is the workload's; evictions and deletions are paced by the controller that recreates the pod.
    const by = restart.strategy === "rollout" ? restart.controller : (pod.controller ?? restart.controller);
    const key = `${pod.namespace}/${restart.strategy}/${by.kind}/${by.name}`;
    groups.set(key, [...(groups.get(key) ?? []), pod]);
  }
  const result: RestartResult = { outcomes: new Map(), problems: [], rollouts: [], warnings: [] };
  const reporter: GroupReporter = {
    options,
    record(pod, outcome) {
      result.outcomes.set(pod, outcome);
      if (pod.restart?.strategy !== "rollout") options.onOutcome(pod, outcome);
    },
    recordProblem(problem) {
      result.problems.push(problem);
      if (problem.pod.restart?.strategy !== "rollout") options.onReplacementProblem(problem);
    },
    recordRollout(report) {
      result.rollouts.push(report);
      options.onRollout(report);
    },
    restarted(restart) {
      // A server dry run restarted nothing.
      if (!options.dryRun) options.onRestarted?.(restart);
    },
  };
  const budgets = new BudgetGate(api, options);
  await mapLimit([...groups.values()], options.concurrency, (group) => {
    switch (group[0]!.restart!.strategy) {
      case "rollout":
        return rollOut(api, group, reporter);
      case "evict":
        return evictGroup(api, group, reporter);
      case "delete":
        return deleteGroup(api, group, budgets, reporter);
    }
  });
  result.warnings.push(...budgets.warnings);
  return result;
}
