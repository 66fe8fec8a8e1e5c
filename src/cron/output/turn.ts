/**
 * What a run of the CronJob says when it does not go on: the line in its log, the Event on its CronJob
 * (where `kubectl describe cronjob` and `kubectl get events` show it), and the JSON line that stands for
 * its RunSummary. Pure.
 */
import type { KubeEvent } from "../../core/k8s.js";
import { controllerEvent, microTime, objectReference } from "../../core/restart-event.js";
import { ownJobEnv } from "../core/job-contract.js";
import { inProgressPhrase, type RunInProgress } from "../core/jobs.js";
import type { Turn } from "../core/turn.js";

export type GiveWay = Extract<Turn, { kind: "give-way" }>;

/** Why a run goes on without knowing whether another is in progress (the cluster's shape, not a failure). */
export function unsureLine(why: string): string {
  return `cannot tell whether another run of the CronJob is in progress: ${why}; going on`;
}

/** Why `$KUBECTL_AUTOUPDATE_JOB` names no Job. */
export const noJobName = `$${ownJobEnv.name} is empty (the pod has no batch.kubernetes.io/job-name label)`;

/** A run that gives way to one in progress: it restarts nothing and ends well. */
export function giveWayLine({ earlier, cronJob }: GiveWay): string {
  return `job ${earlier.name} of cronjob/${cronJob.name} ${inProgressPhrase(earlier.state)}: this run restarts nothing (one run at a time)`;
}

/** The result of a run that gave way, as cron-status shows it. */
export function gaveWayResult({ earlier }: GiveWay): string {
  return `gave way: job ${earlier.name} ${inProgressPhrase(earlier.state)}`;
}

/**
 * A run held back by a Job that nothing will end: a suspended one (its deadline does not run while it is
 * suspended), or one whose pod has been stopping for too long (its node lost). Every run would give way until
 * someone acts: the run fails, so the CronJob's failures say so.
 */
export function heldBackLine({ earlier, cronJob }: GiveWay, namespace: string): string {
  const job = `job ${earlier.name} of cronjob/${cronJob.name}`;
  if (earlier.state === "Suspended") {
    return `${job} is suspended, not finished: no run restarts anything until it is resumed or deleted (kubectl delete job ${earlier.name} -n ${namespace})`;
  }
  return `${job} ${stuckPhrase(earlier)}: no run restarts anything until its pod is gone (${stuckPodAdvice(earlier.name, `-n ${namespace}`)})`;
}

/** How a run whose pod is stuck stopping stands, after "job NAME". */
export function stuckPhrase(run: RunInProgress): string {
  const decided = run.state === "SuccessCriteriaMet" ? "has succeeded" : "has failed";
  return `${decided}, and its pod has been stopping since ${run.decidedAt}, its node perhaps lost`;
}

/**
 * How to find a Job's pod stuck stopping, and end it once its node is known to be down; `words` are kubectl's
 * namespace (and context) flags.
 */
export function stuckPodAdvice(job: string, words: string): string {
  const pods = `pods -l batch.kubernetes.io/job-name=${job} ${words}`;
  return `see its node with kubectl get ${pods} -o wide; once that node is down, kubectl delete ${pods} --force --grace-period=0`;
}

/**
 * Normal `RunSkipped` on the CronJob (Warning when a Job nothing will end holds the runs back), related to
 * that Job.
 */
export function giveWayEvent(
  turn: GiveWay,
  heldBack: boolean,
  namespace: string,
  now: number,
  instance: string,
): KubeEvent {
  const { earlier, cronJob } = turn;
  return controllerEvent({ kind: "CronJob", ...cronJob }, namespace, undefined, {
    eventTime: microTime(now),
    reportingInstance: instance,
    action: "Skip",
    reason: "RunSkipped",
    type: heldBack ? "Warning" : "Normal",
    related: objectReference("Job", earlier.name, namespace, undefined),
    note: heldBack ? heldBackLine(turn, namespace) : giveWayLine(turn),
  });
}

/** In place of the RunSummary (--summary-json): nothing was checked, so no counts. */
export function runSkippedJson({ earlier, cronJob }: GiveWay): string {
  return `${JSON.stringify({ kind: "RunSkipped", cronJob: cronJob.name, gaveWayTo: { job: earlier.name, state: earlier.state } })}\n`;
}
