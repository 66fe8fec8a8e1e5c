/**
 * One run at a time for the CronJob's Jobs: the controller's `concurrencyPolicy: Forbid` sees only the Jobs
 * it scheduled, so a scheduled run could start while a run-now Job is still restarting pods (and two
 * run-now at once both start). The job's apply asks here first, and a later run gives way to an earlier one.
 */
import type { Kubectl } from "../../adapters/kubectl.js";
import { listJobs } from "../adapters/kubectl.js";
import { inProgressPhrase, type Turn, turnOf } from "../core/jobs.js";
import { managedSelector, ownJobEnv } from "../core/objects.js";

/** The Job this run is, from the downward API (empty name: the cluster sets no job-name label). */
export interface OwnJob {
  name: string;
  namespace: string;
}

/** What this run is to do: go on, give way (a line saying to whom), or go on with a warning. */
export type JobTurn =
  | { kind: "go" }
  | { kind: "give-way"; line: string }
  | { kind: "unsure"; warning: string };

export async function jobTurn(kubectl: Kubectl, own: OwnJob): Promise<JobTurn> {
  const turn: Turn =
    own.name === ""
      ? {
          kind: "unknown",
          why: `$${ownJobEnv.name} is empty (the pod has no batch.kubernetes.io/job-name label)`,
        }
      : turnOf(own.name, await listJobs(kubectl, own.namespace, managedSelector));
  if (turn.kind === "alone") return { kind: "go" };
  if (turn.kind === "unknown") {
    return {
      kind: "unsure",
      warning: `cannot tell whether another run of the CronJob is in progress: ${turn.why}; going on`,
    };
  }
  const { earlier, cronJob } = turn;
  return {
    kind: "give-way",
    line: `job ${earlier.name} of cronjob/${cronJob} ${inProgressPhrase(earlier.state)}: this run restarts nothing (one run at a time)`,
  };
}
