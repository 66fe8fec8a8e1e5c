/**
 * What a run of the CronJob says when it does not go on: the line in its log, the Event on its CronJob
 * (where `kubectl describe cronjob` and `kubectl get events` show it), and the JSON line that stands for
 * its RunSummary. Pure.
 */
import type { KubeEvent } from "../../core/k8s.js";
import { controllerEvent, microTime, objectReference } from "../../core/restart-event.js";
import { ownJobEnv } from "../core/job-contract.js";
import { inProgressPhrase } from "../core/jobs.js";
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
 * A run held back by a suspended Job: the Job's deadline does not run while it is suspended, so every run
 * would give way until someone acts. The run fails, so the CronJob's failures say so.
 */
export function heldBySuspendedLine({ earlier, cronJob }: GiveWay, namespace: string): string {
  return `job ${earlier.name} of cronjob/${cronJob.name} is suspended, not finished: no run restarts anything until it is resumed or deleted (kubectl delete job ${earlier.name} -n ${namespace})`;
}

/**
 * Normal `RunSkipped` on the CronJob (Warning when a suspended Job holds the runs back), related to that Job.
 */
export function giveWayEvent(turn: GiveWay, namespace: string, now: number, instance: string): KubeEvent {
  const { earlier, cronJob } = turn;
  const suspended = earlier.state === "Suspended";
  return controllerEvent({ kind: "CronJob", ...cronJob }, namespace, undefined, {
    eventTime: microTime(now),
    reportingInstance: instance,
    action: "Skip",
    reason: "RunSkipped",
    type: suspended ? "Warning" : "Normal",
    related: objectReference("Job", earlier.name, namespace, undefined),
    note: suspended ? heldBySuspendedLine(turn, namespace) : giveWayLine(turn),
  });
}

/** In place of the RunSummary (--summary-json): nothing was checked, so no counts. */
export function runSkippedJson({ earlier, cronJob }: GiveWay): string {
  return `${JSON.stringify({ kind: "RunSkipped", cronJob: cronJob.name, gaveWayTo: { job: earlier.name, state: earlier.state } })}\n`;
}
