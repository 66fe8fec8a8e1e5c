/**
 * Restarting the planned pods without taking a workload down: each pod goes the way the plan chose for
 * its controller (rollout, evict, delete). Workloads proceed side by side, up to --concurrency, those a
 * budget holds now last (blocked-last.ts); a workload's own pods go one at a time (evict, delete) or in
 * one rollout. On SIGINT, or once the cluster is
 * out of reach, nothing new starts.
 */

import { ClusterAccessError, isCallFailure } from "../../adapters/kubectl-errors.js";
import { type PlanPod, restartTurnKey } from "../../core/plan.js";
import type { PodOutcome, ReplacementProblem, RolloutReport } from "../../core/restart-outcomes.js";
import { groupBy } from "../../util/group-by.js";
import { mapLimit } from "../../util/map-limit.js";
import { sharedSignal } from "../../util/shared-signal.js";
import { blockedLast } from "./blocked-last.js";
import { BudgetGate } from "./budget-gate.js";
import { deleteGroup } from "./delete.js";
import { evictGroup } from "./evict.js";
import {
  type GroupReporter,
  type Left,
  leftByStop,
  type RestartApi,
  type RestartOptions,
  RunStop,
} from "./restart-options.js";
import { rollOut } from "./rollout.js";

export interface RestartResult {
  outcomes: Map<PlanPod, PodOutcome>;
  problems: ReplacementProblem[];
  rollouts: RolloutReport[];
  /** Evicted or deleted pods whose replacement was not checked (--no-wait, a stop, pods not counted). */
  unchecked: Map<PlanPod, string>;
  warnings: string[];
  /**
   * The error that stopped the run (the cluster out of reach, a login expired; or any error that is not one
   * kubectl call failing): nothing new was started after it, and it is the run's error once what was done is
   * reported.
   */
  stoppedBy?: unknown;
}

export async function restartPods(
  api: RestartApi,
  pods: readonly PlanPod[],
  runOptions: RestartOptions,
): Promise<RestartResult> {
  // One group per workload: a Deployment's pods in two ReplicaSets (mid-rollout) go one at a time too, and so
  // do an Argo Rollout's.
  const groups = groupBy(pods, (pod) => {
    if (!pod.restart) throw new Error(`internal: pod ${pod.namespace}/${pod.name} has no restart decided`);
    return restartTurnKey(pod, pod.restart);
  });
  // An error that is every workload's trouble stops the run as a first Ctrl-C does: the strategies see it
  // on this signal, start nothing new, and end the checks under way.
  const stop = new AbortController();
  const options = { ...runOptions, signal: sharedSignal(AbortSignal.any([runOptions.signal, stop.signal])) };
  const result: RestartResult = {
    outcomes: new Map(),
    problems: [],
    rollouts: [],
    unchecked: new Map(),
    warnings: [],
  };
  const reporter: GroupReporter = {
    options,
    report(pod, outcome, ownLine = false) {
      result.outcomes.set(pod, outcome);
      if (pod.restart?.strategy !== "rollout" || ownLine) options.onOutcome(pod, outcome);
    },
    reportProblem(problem) {
      result.problems.push(problem);
      if (problem.pod.restart?.strategy !== "rollout") options.onReplacementProblem(problem);
    },
    reportRollout(report) {
      result.rollouts.push(report);
      options.onRollout(report);
    },
    restarted(restart) {
      if (restart.replacement.kind === "unchecked" && restart.pod) {
        result.unchecked.set(restart.pod, restart.replacement.why);
      }
      // A server dry run restarted nothing.
      if (!options.dryRun) options.onRestarted?.(restart);
    },
  };
  const budgets = new BudgetGate(api, options);
  let ordered: (readonly PlanPod[])[];
  try {
    ordered = await blockedLast(api, [...groups.values()], options);
  } catch (error) {
    // The cluster out of reach before any restart: every workload is left, as a stop leaves them. Once the
    // run is stopping (a signal came first), the failure is no stop of its own.
    if (!options.signal.aborted) {
      result.stoppedBy = error;
      stop.abort(runStopFor(error));
    }
    for (const group of groups.values()) leaveGroup(group, leftByStop(options.signal), result, reporter);
    return result;
  }
  await mapLimit(ordered, options.concurrency, async (group) => {
    try {
      await restartGroup(api, group, budgets, reporter);
    } catch (error) {
      // The cluster out of reach (a login expired) is every workload's trouble: said once, as any verb says
      // it, after what was done. A kubectl call that failed stops only this workload's restarts. Once the run
      // is stopping (a signal came first), what fails on its way out is no stop of its own.
      if (!isCallFailure(error) && !options.signal.aborted) {
        result.stoppedBy = error;
        stop.abort(runStopFor(error));
      }
      const stopped = options.signal.aborted || !isCallFailure(error);
      leaveGroup(group, stopped ? leftByStop(options.signal) : { reason: error.message }, result, reporter);
    }
  });
  return result;
}

/** The planned pods of a group stopped by an error that have no outcome yet: not started, and why. */
function leaveGroup(
  group: readonly PlanPod[],
  left: Left,
  result: RestartResult,
  reporter: GroupReporter,
): void {
  const { reason } = left;
  for (const pod of group) {
    if (!result.outcomes.has(pod)) reporter.report(pod, { kind: "not-started", ...left });
  }
  const { restart, namespace } = group[0]!;
  if (restart!.strategy === "rollout") {
    reporter.reportRollout({
      namespace,
      controller: restart!.controller,
      pods: group,
      outcome: { kind: "not-started", reason },
    });
  }
}

/** What the pods an error left say: short, as the run's last line says the error itself. */
function runStopFor(error: unknown): RunStop {
  if (error instanceof ClusterAccessError) return new RunStop("stopped on losing access to the cluster");
  return new RunStop(`stopped by an error: ${error instanceof Error ? error.message : String(error)}`);
}

function restartGroup(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  switch (group[0]!.restart!.strategy) {
    case "rollout":
      return rollOut(api, group, budgets, reporter);
    case "evict":
      return evictGroup(api, group, budgets, reporter);
    case "delete":
      return deleteGroup(api, group, budgets, reporter);
  }
}
