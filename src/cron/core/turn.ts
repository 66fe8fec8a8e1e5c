/** Which of a CronJob's Jobs may run now: one run at a time, whoever made the Jobs. Pure. */
import {
  controllingCronJob,
  createdAt,
  type JobObject,
  jobsOf,
  type RunInProgress,
  unfinished,
} from "./jobs.js";

/** Whether a Job's run may go on, judged among the Jobs of its CronJob. */
export type Turn =
  | { kind: "go" }
  | { kind: "give-way"; earlier: RunInProgress; cronJob: { name: string; uid: string } }
  | { kind: "unknown"; why: string };

/**
 * Whether the run of Job `self` must give way: a run-now Job and a scheduled one can run at once, the
 * controller's Forbid seeing only its own. A run goes on only when no other unfinished Job of its CronJob
 * was made before it. Creation times have whole seconds, and two Jobs made in the same second cannot tell
 * which came first (nor whether the other was there when it looked): both give way, and the next run goes on.
 */
export function turnOf(self: string, jobs: readonly JobObject[]): Turn {
  const job = jobs.find((j) => j.metadata.name === self);
  if (job === undefined) return { kind: "unknown", why: `job ${self} is not among the namespace's Jobs` };
  const owner = controllingCronJob(job);
  if (owner?.uid === undefined) return { kind: "unknown", why: `job ${self} belongs to no CronJob` };
  const notLater = jobsOf(owner.uid, jobs).filter(
    (other) => other !== job && createdAt(other) <= createdAt(job),
  );
  const [earlier] = unfinished(notLater);
  return earlier === undefined
    ? { kind: "go" }
    : { kind: "give-way", earlier, cronJob: { name: owner.name, uid: owner.uid } };
}
