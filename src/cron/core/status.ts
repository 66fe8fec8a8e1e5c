/** cron-status's summary of a CronJob, the Jobs it owns and what each run said. Pure. */
import {
  type CronJobObject,
  compare,
  createdAt,
  type JobObject,
  type JobState,
  jobOutcome,
  jobsOf,
  manualAnnotation,
} from "./jobs.js";

/** One Job in cron-status. */
interface CronJobRun {
  name: string;
  trigger: "schedule" | "manual";
  state: JobState;
  reason?: string;
  /** What the run said when it ended (run-results.ts). */
  result?: string;
  created?: string;
  started?: string;
  finished?: string;
}

/** What cron-status shows. */
export interface CronStatus {
  name: string;
  namespace: string;
  schedule: string;
  /** null: the kube-controller-manager's time zone. */
  timeZone: string | null;
  suspended: boolean;
  /** What the job's command checks: a namespace or every namespace, with the selector. */
  scope: { allNamespaces: boolean; namespace: string | null; selector: string | null };
  resolver: string | null;
  image: string | null;
  lastScheduleTime: string | null;
  lastSuccessfulTime: string | null;
  active: string[];
  /** Newest first. */
  jobs: CronJobRun[];
}

/** Reads the scope back from the container command that install-cron wrote (see jobCommand). */
function scopeOfCommand(command: readonly string[]): Pick<CronStatus, "scope" | "resolver"> {
  const value = (flag: string) => {
    const arg = command.find((a) => a.startsWith(`${flag}=`));
    return arg === undefined ? null : arg.slice(flag.length + 1);
  };
  return {
    scope: {
      allNamespaces: command.includes("--all-namespaces") || command.includes("-A"),
      namespace: value("--namespace"),
      selector: value("--selector"),
    },
    resolver: value("--resolver"),
  };
}

/** Summarizes a CronJob and the Jobs it owns (others are ignored), with what each run said, by Job uid. */
export function cronStatus(
  cronJob: CronJobObject,
  jobs: readonly JobObject[],
  results: ReadonlyMap<string, string>,
): CronStatus {
  const runs = jobsOf(cronJob.metadata.uid, jobs)
    // Newest first; the same second by name.
    .sort((a, b) => compare(createdAt(b), createdAt(a)) || compare(a.metadata.name, b.metadata.name))
    .map((job): CronJobRun => {
      const outcome = jobOutcome(job);
      return {
        name: job.metadata.name,
        trigger: job.metadata.annotations?.[manualAnnotation] === "manual" ? "manual" : "schedule",
        state: outcome.state,
        reason: outcome.reason,
        result: job.metadata.uid === undefined ? undefined : results.get(job.metadata.uid),
        created: job.metadata.creationTimestamp,
        started: job.status?.startTime,
        finished: outcome.finishedAt,
      };
    });
  const container = cronJob.spec.jobTemplate.spec.template?.spec?.containers?.[0];
  const { scope, resolver } = scopeOfCommand([...(container?.command ?? []), ...(container?.args ?? [])]);
  return {
    name: cronJob.metadata.name,
    namespace: cronJob.metadata.namespace ?? "",
    schedule: cronJob.spec.schedule,
    timeZone: cronJob.spec.timeZone ?? null,
    suspended: cronJob.spec.suspend === true,
    scope,
    resolver,
    image: container?.image ?? null,
    lastScheduleTime: cronJob.status?.lastScheduleTime ?? null,
    lastSuccessfulTime: cronJob.status?.lastSuccessfulTime ?? null,
    active: (cronJob.status?.active ?? []).map((ref) => ref.name),
    jobs: runs,
  };
}
