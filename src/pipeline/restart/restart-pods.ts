/**
 * Restarting the planned pods without taking a workload down: each pod goes the way the plan chose for
 * its controller (rollout, evict, delete). Workloads proceed side by side, up to --concurrency; a
 * workload's own pods go one at a time (evict, delete) or in one rollout. On SIGINT nothing new starts.
 */

import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { type PlanPod, restartGroupKey } from "../../core/plan.js";
import { groupBy } from "../../util/group-by.js";
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
  // One group per workload: a Deployment's pods in two ReplicaSets (mid-rollout) go one at a time too.
  const groups = groupBy(pods, (pod) => {
    if (!pod.restart) throw new Error(`internal: pod ${pod.namespace}/${pod.name} has no restart decided`);
    return restartGroupKey(pod, pod.restart);
  });
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
  await mapLimit([...groups.values()], options.concurrency, async (group) => {
    try {
      await restartGroup(api, group, budgets, reporter);
    } catch (error) {
      // The cluster out of reach (a login expired) is every workload's trouble: said once, as any verb says it.
      if (!isCallFailure(error)) throw error;
      // A kubectl call that failed stops this workload's restarts, not the others', and is reported as theirs.
      const reason = options.signal.aborted ? "interrupted" : error.message;
      for (const pod of group) {
        if (!result.outcomes.has(pod)) reporter.record(pod, { kind: "not-started", reason });
      }
      const { restart, namespace } = group[0]!;
      if (restart!.strategy === "rollout") {
        reporter.recordRollout({
          namespace,
          controller: restart!.controller,
          pods: group,
          outcome: { kind: "not-started", reason },
        });
      }
    }
  });
  return result;
}

function restartGroup(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  switch (group[0]!.restart!.strategy) {
    case "rollout":
      return rollOut(api, group, reporter);
    case "evict":
      return evictGroup(api, group, reporter);
    case "delete":
      return deleteGroup(api, group, budgets, reporter);
  }
}
