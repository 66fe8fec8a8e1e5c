/**
 * CronJob and Job objects as kubectl prints them: the Job run-now makes, where a Job stands, and which of a
 * CronJob's Jobs are still in progress. Pure.
 */
import type { ObjectMeta } from "../../core/k8s.js";
import { containerWaits, type WaitingStatus } from "../../core/readiness.js";
import { groupBy } from "../../util/group-by.js";
import { isoSeconds } from "../../util/iso-seconds.js";
import { withoutUrlSecrets } from "../../util/url-secrets.js";

/**
 * A message of the cluster's (a kubelet's pull error, a controller's Event) as shown here: without its URLs'
 * queries and user info, as a presigned blob URL's query is a key to the blob (ECR, GCR and the like).
 */
function said(message: string | undefined): string {
  return message ? `: ${withoutUrlSecrets(message)}` : "";
}

/** The annotation `kubectl create job --from=cronjob/…` puts on a Job started by hand. */
export const manualAnnotation = "cronjob.kubernetes.io/instantiate";

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** A batch/v1 Job, the parts read here. */
export interface JobObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { creationTimestamp?: string; generateName?: string };
  spec?: { suspend?: boolean; template?: unknown; [key: string]: unknown };
  status?: {
    active?: number;
    /** Active pods that are Ready (Kubernetes ≥ 1.24); absent from older API servers. */
    ready?: number;
    succeeded?: number;
    failed?: number;
    /** Pods stopping (Kubernetes ≥ 1.29), counted apart from active ones. */
    terminating?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: JobCondition[];
  };
}

/** A batch/v1 CronJob, the parts read here. */
export interface CronJobObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    schedule: string;
    timeZone?: string;
    suspend?: boolean;
    jobTemplate: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        template?: {
          spec?: {
            containers?: {
              name?: string;
              image?: string;
              command?: string[];
              args?: string[];
              env?: {
                name: string;
                value?: string;
                valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
              }[];
            }[];
            volumes?: { name: string }[];
          };
        };
        [key: string]: unknown;
      };
    };
  };
  status?: {
    active?: { name: string }[];
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
  };
}

/**
 * The Job `kubectl create job --from=cronjob/NAME` would create (kubectl pkg/cmd/create/create_job.go):
 * the template's spec, labels and annotations, the manual annotation, and a controller reference to the
 * CronJob. The server picks the name (generateName), so no clock or randomness is needed here.
 */
export function jobFromCronJob(cronJob: CronJobObject): NewJob {
  const template = cronJob.spec.jobTemplate;
  const { name, namespace, uid } = cronJob.metadata;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      // The Job controller appends 11 characters; the server trims the base so the name stays valid.
      generateName: `${name}-manual-`,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [manualAnnotation]: "manual" },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name, uid, controller: true }],
    },
    spec: structuredClone(template.spec),
  };
}

/** A Job to create: no name yet, the server generates one from generateName. */
export interface NewJob {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: Omit<ObjectMeta, "name"> & { generateName: string };
  spec: Record<string, unknown>;
}

/**
 * Where a Job stands, in `kubectl get jobs`' words. FailureTarget and SuccessCriteriaMet: the Job
 * controller has decided (a deadline passed, a pod was evicted; or it succeeded) and waits for its pods to
 * stop before it says Failed or Complete (Kubernetes 1.31 and later); the run may still be ending.
 */
export type JobState =
  | "Pending"
  | "Running"
  | "Complete"
  | "Failed"
  | "Suspended"
  | "FailureTarget"
  | "SuccessCriteriaMet";

/** A Job's state and, once finished, why and when. */
export interface JobOutcome {
  state: JobState;
  /** True once the Job will not run any more pods. */
  finished: boolean;
  /** The condition's reason and message for a failed Job, e.g. "DeadlineExceeded: Job was active…". */
  reason?: string;
  /** When it finished, if it has. */
  finishedAt?: string;
  /** When the Job controller decided, while its pods still stop (FailureTarget, SuccessCriteriaMet). */
  decidedAt?: string;
}

function condition(job: JobObject, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

/** `Reason: message`, either alone; undefined when the condition has neither. */
function conditionReason({ reason, message }: JobCondition): string | undefined {
  return `${reason ?? ""}${reason ? said(message) : message ? withoutUrlSecrets(message) : ""}` || undefined;
}

/** Reads a Job's conditions the way `kubectl wait --for=condition=Complete|Failed` does. */
export function jobOutcome(job: JobObject): JobOutcome {
  const complete = condition(job, "Complete");
  if (complete) {
    return {
      state: "Complete",
      finished: true,
      finishedAt: job.status?.completionTime ?? complete.lastTransitionTime,
    };
  }
  const failed = condition(job, "Failed");
  if (failed) {
    return {
      state: "Failed",
      finished: true,
      reason: conditionReason(failed),
      finishedAt: failed.lastTransitionTime,
    };
  }
  if (job.spec?.suspend === true) return { state: "Suspended", finished: false };
  const failing = condition(job, "FailureTarget");
  if (failing) {
    const decided = failing.lastTransitionTime ? { decidedAt: failing.lastTransitionTime } : {};
    return { state: "FailureTarget", finished: false, reason: conditionReason(failing), ...decided };
  }
  const succeeded = condition(job, "SuccessCriteriaMet");
  if (succeeded) {
    const decided = succeeded.lastTransitionTime ? { decidedAt: succeeded.lastTransitionTime } : {};
    return { state: "SuccessCriteriaMet", finished: false, ...decided };
  }
  // An active pod that is not Ready has not started (pulling, or waiting for a Secret): still Pending. A pod
  // stopping (drained, deleted) is still finishing its run, its report and record: Running, as kubectl says.
  const { active = 0, ready, terminating = 0 } = job.status ?? {};
  const running = (active > 0 && ready !== 0) || (active === 0 && terminating > 0);
  return { state: running ? "Running" : "Pending", finished: false };
}

/** A container of a Job's pods as the kubelet reports it while it cannot start. */
export interface WaitingPod {
  metadata: { name: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    initContainerStatuses?: WaitingStatus[];
    containerStatuses?: WaitingStatus[];
  };
}

/** Reasons a container waits in on its way to starting, which say nothing wrong. */
const startingReasons = new Set(["ContainerCreating", "PodInitializing"]);

/**
 * Why a Job's pod does not start, from the scheduler (Unschedulable: no node with the CPU or memory it
 * requests) or the kubelet's waiting reasons (CreateContainerConfigError for a missing Secret,
 * ImagePullBackOff…): `pod P: Reason: message`; undefined when nothing says so.
 */
export function whyNotStarted(pods: readonly WaitingPod[]): string | undefined {
  for (const pod of pods) {
    const unscheduled = pod.status?.conditions?.find(
      (c) => c.type === "PodScheduled" && c.status === "False",
    );
    if (unscheduled) {
      return `pod ${pod.metadata.name}: ${unscheduled.reason ?? "not scheduled"}${said(unscheduled.message)}`;
    }
    const waiting = containerWaits(pod).find((wait) => !startingReasons.has(wait.reason));
    if (waiting) return `pod ${pod.metadata.name}: ${waiting.reason}${said(waiting.message)}`;
  }
  return undefined;
}

/** A Warning Event about a Job or a CronJob, as their controllers record one. */
export interface WarningEvent {
  /** What the Event is about, by UID. */
  involvedObject?: { uid?: string };
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}

/** When an Event last happened, in ms; 0 when it says nothing. */
function happenedAt(event: WarningEvent): number {
  // As times, not text: eventTime has microseconds, lastTimestamp whole seconds ("…:00.5Z" < "…:00Z").
  return Date.parse(event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? "") || 0;
}

/** The Event that happened last; undefined for none. */
function latestEvent(events: readonly WarningEvent[]): WarningEvent | undefined {
  return events.reduce<WarningEvent | undefined>(
    (last, e) => (last === undefined || happenedAt(e) >= happenedAt(last) ? e : last),
    undefined,
  );
}

/**
 * Why a Job has no pod: the latest FailedCreate the Job controller recorded (a ResourceQuota exceeded, an
 * admission policy refusing the pod), as `FailedCreate: message`; undefined when it recorded none.
 */
export function whyNoPod(events: readonly WarningEvent[]): string | undefined {
  const latest = latestEvent(events.filter((e) => e.reason === "FailedCreate"));
  if (latest === undefined) return undefined;
  return `${latest.reason}${said(latest.message)}`;
}

/**
 * The kubelet's Warnings about a pod whose containers stay in creation, which say it cannot go on: a volume
 * it cannot mount (a hostPath that is not the socket expected), a sandbox its runtime cannot make.
 */
const podSetupFailures = new Set([
  "FailedMount",
  "FailedAttachVolume",
  "FailedCreatePodSandBox",
  "FailedCreatePodContainer",
]);

/**
 * Why a pod's containers stay in creation, from the latest of those Events about it: `pod P: Reason: …`.
 * None once the pod says its sandbox is made and its volumes mounted (PodReadyToStartContainers): an
 * Event from before that (they last an hour) is past, and its images are being pulled.
 */
export function whyNotSetUp(pod: WaitingPod, events: readonly WarningEvent[]): string | undefined {
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some((c) => c.type === "PodReadyToStartContainers" && c.status === "True")) return undefined;
  const latest = latestEvent(events.filter((e) => podSetupFailures.has(e.reason ?? "")));
  return latest ? `pod ${pod.metadata.name}: ${latest.reason}${said(latest.message)}` : undefined;
}

/**
 * Each run's result, and for a run without one (no pod of its Job ever ended) why its pod could not be
 * made, from the Job controller's FailedCreate Events: a quota, a LimitRange, Pod Security refusing it.
 * Without that, such a run reads as pending, then as a Job past its deadline, as one that hung would.
 */
export function withCreateFailures(
  results: ReadonlyMap<string, string>,
  failures: readonly WarningEvent[],
  jobs: readonly JobObject[],
): Map<string, string> {
  // A Job whose pod was made after a refusal (a quota still counting the last run's pod) is not refused.
  const podless = new Set(jobs.filter(madeNoPod).flatMap((job) => job.metadata.uid ?? []));
  const byJob = groupBy(
    failures.filter((event) => podless.has(event.involvedObject?.uid ?? "")),
    (event) => event.involvedObject!.uid!,
  );
  const merged = new Map(results);
  for (const [uid, events] of byJob) {
    const why = whyNoPod(events);
    if (!merged.has(uid) && why !== undefined) merged.set(uid, why);
  }
  return merged;
}

/** Whether the Job's status counts no pod of it, in any state. */
function madeNoPod(job: JobObject): boolean {
  const { active = 0, succeeded = 0, failed = 0, terminating = 0 } = job.status ?? {};
  return active + succeeded + failed + terminating === 0;
}

/**
 * What the CronJob controller last warned about; null when it has not (or its Events have expired). Not its
 * UnexpectedJob: it says that of every Job run-now (or `kubectl create job --from`) makes.
 */
export function lastWarning(
  events: readonly WarningEvent[],
): { reason: string; message: string; time: string | null } | null {
  const latest = latestEvent(events.filter((e) => e.reason !== "UnexpectedJob"));
  if (latest === undefined) return null;
  const time = happenedAt(latest);
  return {
    reason: latest.reason ?? "",
    message: withoutUrlSecrets(latest.message ?? ""),
    time: time === 0 ? null : isoSeconds(time),
  };
}

/** The Jobs the CronJob with this UID controls, whether the schedule or run-now made them. */
export function jobsOf(cronJobUid: string | undefined, jobs: readonly JobObject[]): JobObject[] {
  return jobs.filter((job) => cronJobUid !== undefined && controllingCronJob(job)?.uid === cronJobUid);
}

export function controllingCronJob(job: JobObject): { name: string; uid?: string } | undefined {
  return job.metadata.ownerReferences?.find((ref) => ref.kind === "CronJob" && ref.controller === true);
}

/**
 * Oldest first; Jobs made in the same second by name. Plain code-unit order, not the locale's: separate
 * processes must agree on it.
 */
function byCreation(a: JobObject, b: JobObject): number {
  return compare(createdAt(a), createdAt(b)) || compare(a.metadata.name, b.metadata.name);
}

/** The API server's creation time, to the second (RFC 3339 in UTC, so text order is time order). */
export function createdAt(job: JobObject): string {
  return job.metadata.creationTimestamp ?? "";
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A Job of the CronJob that has not finished. */
export interface RunInProgress {
  name: string;
  state: JobState;
  /** When the Job controller decided (FailureTarget, SuccessCriteriaMet): its pods stop from then. */
  decidedAt?: string;
}

/**
 * Pods stopping this long after the Job controller decided are not stopping (their node lost: a pod stays
 * Terminating until the Node is deleted or the pod forced): far beyond the pod's grace period (120 s).
 */
const stoppingAtMostMs = 10 * 60_000;

/** Whether a run's pods have been stopping for longer than any pod of a live node takes. */
export function isStuckStopping(run: RunInProgress, now: number): boolean {
  const decided = run.decidedAt === undefined ? Number.NaN : Date.parse(run.decidedAt);
  return now - decided > stoppingAtMostMs;
}

/**
 * The Jobs that have not finished, oldest first: running, waiting to start, or suspended (a queue such as
 * Kueue suspends a Job until it may run).
 */
export function unfinished(jobs: readonly JobObject[]): RunInProgress[] {
  return [...jobs].sort(byCreation).flatMap((job) => {
    const { finished, state, decidedAt } = jobOutcome(job);
    return finished ? [] : [{ name: job.metadata.name, state, ...(decidedAt ? { decidedAt } : {}) }];
  });
}

/**
 * The CronJob's Jobs that have not finished, oldest first. The CronJob controller's `concurrencyPolicy:
 * Forbid` counts only the Jobs it scheduled, so run-now asks here.
 */
export function runsInProgress(cronJob: CronJobObject, jobs: readonly JobObject[]): RunInProgress[] {
  return unfinished(jobsOf(cronJob.metadata.uid, jobs));
}

/** How a run in progress stands, after "job NAME". */
export function inProgressPhrase(state: JobState): string {
  if (state === "Running") return "is still running";
  if (state === "FailureTarget") return "has failed, and its pod is still stopping";
  if (state === "SuccessCriteriaMet") return "has succeeded, and its pod is still stopping";
  return state === "Suspended" ? "is suspended, not finished" : "has not started yet";
}

/** A run whose pod has started: to be followed, not looked into. */
export function hasStarted(state: JobState): boolean {
  return state === "Running" || state === "FailureTarget" || state === "SuccessCriteriaMet";
}
