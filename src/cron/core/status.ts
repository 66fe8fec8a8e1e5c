/**
 * cron-status's summary of a CronJob, the Jobs it owns, what each run said and the restarts in vain its
 * runs remember. Pure.
 */
import { parseRecordRef, type RecordRef } from "../../core/restart-record.js";
import type { RememberedRestart } from "../../core/restarted-for.js";
import { flagBoolean } from "../../util/flag-boolean.js";
import { groupBy } from "../../util/group-by.js";
import { isoSeconds } from "../../util/iso-seconds.js";
import { shortFlags } from "../../util/short-flags.js";
import { jobContainerName, recordConfigMapEnv } from "./job-contract.js";
import {
  type CronJobObject,
  compare,
  createdAt,
  type JobObject,
  type JobState,
  jobOutcome,
  jobsOf,
  lastWarning,
  manualAnnotation,
  type WarningEvent,
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

/** A controller whose pods the runs hold since one of them was restarted in vain (core/restarted-for.ts). */
interface HeldController {
  namespace: string;
  kind: string;
  name: string;
  /** Each move its pods were restarted for in vain (core/restarted-for.ts), newest first. */
  restartedFor: string[];
  /** When its restart in vain was first recorded (later runs that hold its pods record it again). */
  recorded: string;
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
  /**
   * What the CronJob controller last warned about (a Job it could not create: quota, admission), while its
   * Event lasts; `unknown` when the Events could not be read.
   */
  lastWarning: ReturnType<typeof lastWarning> | "unknown";
  /** Newest first. */
  jobs: CronJobRun[];
  /**
   * Newest first; `unknown` when the record could not be read, null when the install keeps none
   * (--strategy rollout, or a CronJob installed by a version that kept none).
   */
  held: HeldController[] | "unknown" | null;
}

/**
 * The short flags the job's `apply` takes (src/cli/flags.ts; a test holds the two together), whether each
 * takes a value and its long name, so that a hand-edited command is read as apply reads it: `-Av`, `-yn=web`,
 * `-l app`.
 */
export const applyShortFlags: ReadonlyMap<string, { takesValue: boolean; long: string }> = new Map([
  ["-A", { takesValue: false, long: "--all-namespaces" }],
  ["-h", { takesValue: false, long: "--help" }],
  ["-l", { takesValue: true, long: "--selector" }],
  ["-n", { takesValue: true, long: "--namespace" }],
  ["-o", { takesValue: true, long: "--output" }],
  ["-s", { takesValue: true, long: "--server" }],
  ["-v", { takesValue: false, long: "--verbose" }],
  ["-y", { takesValue: false, long: "--yes" }],
]);

/**
 * Reads the scope back from the container command that install-cron wrote (see jobCommand), or someone
 * edited: the namespace and selector flags in the forms apply takes, the last word for each winning. An
 * `-A` whose value apply would refuse counts as every namespace: the guards that read it err safe. An
 * empty namespace is none, as apply takes it (the CronJob's own).
 */
function scopeOfCommand(command: readonly string[]): Pick<CronStatus, "scope" | "resolver"> {
  let allNamespaces = false;
  let namespace: string | null = null;
  let selector: string | null = null;
  const everyNamespace = (value: string | undefined) => value === undefined || flagBoolean(value) !== false;
  for (let i = 0; i < command.length; i++) {
    const word = command[i]!;
    const next = command[i + 1];
    if (word.startsWith("--")) {
      const [name, value] = word.includes("=")
        ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
        : [word, undefined];
      if (name === "--all-namespaces") allNamespaces = everyNamespace(value);
      else if (name === "--namespace" || name === "--selector") {
        const given = value ?? next ?? "";
        if (value === undefined) i++;
        if (name === "--namespace") namespace = given || null;
        else selector = given || null;
      }
      continue;
    }
    for (const flag of (word.startsWith("-") && shortFlags(word, (f) => applyShortFlags.get(f))) || []) {
      if (flag.name === "-A") allNamespaces = everyNamespace(flag.value);
      if (!flag.flag.takesValue) continue;
      const given = flag.value ?? next ?? "";
      if (flag.value === undefined) i++;
      if (flag.name === "-n") namespace = given || null;
      if (flag.name === "-l") selector = given || null;
    }
  }
  return {
    scope: { allNamespaces, namespace, selector },
    resolver: flagsOf(command).get("--resolver") ?? null,
  };
}

/** The words the job's container runs: its command, then its args. */
export function jobCommandOf(cronJob: CronJobObject): string[] {
  const container = jobContainerOf(cronJob);
  return [...(container?.command ?? []), ...(container?.args ?? [])];
}

/**
 * The flags by long name: `--name=value`, `--name value` (apply takes no arguments, so a word after a flag
 * that is no flag itself is its value: the form a hand edit of the job's args uses) and `--name`; apply's
 * short flags as apply reads them (`-A`, `-l app=web`, `-yn=web`). The last of a name counts, as the run's
 * own option parser takes it (a flag appended by hand overrides install-cron's).
 */
export function flagsOf(words: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith("-") && !word.startsWith("--")) {
      for (const { flag, value } of shortFlags(word, (f) => applyShortFlags.get(f)) ?? []) {
        if (!flag.takesValue) flags.set(flag.long, value ?? "");
        else if (value !== undefined) flags.set(flag.long, value);
        else flags.set(flag.long, words[++i] ?? "");
      }
      continue;
    }
    if (!word.startsWith("--")) continue;
    const at = word.indexOf("=");
    if (at !== -1) flags.set(word.slice(0, at), word.slice(at + 1));
    else if (words[i + 1] !== undefined && !words[i + 1]!.startsWith("-")) flags.set(word, words[++i]!);
    else flags.set(word, "");
  }
  return flags;
}

/** The tool's container in the job's pod (a sidecar may have been added beside it by hand). */
export function jobContainerOf(cronJob: CronJobObject) {
  const containers = cronJob.spec.jobTemplate.spec.template?.spec?.containers ?? [];
  return containers.find((c) => c.name === jobContainerName) ?? containers[0];
}

/**
 * What the CronJob's runs check, as its job's command says; with no namespace named, the CronJob's own (the
 * job's kubectl falls back to its ServiceAccount's).
 */
export function scopeOf(cronJob: CronJobObject): CronStatus["scope"] {
  const scope = scopeOfCommand(jobCommandOf(cronJob)).scope;
  return scope.allNamespaces || scope.namespace !== null
    ? scope
    : { ...scope, namespace: cronJob.metadata.namespace ?? null };
}

/** Whether the CronJob's runs check every namespace: an -A install, whose rights are a ClusterRole's. */
export function checksEveryNamespace(cronJob: CronJobObject): boolean {
  return scopeOf(cronJob).allNamespaces;
}

/**
 * The record ConfigMap the job's container names (install-cron sets it), or null for an install keeping none.
 */
export function recordRefOf(cronJob: CronJobObject): RecordRef | null {
  const value = jobContainerOf(cronJob)?.env?.find((e) => e.name === recordConfigMapEnv)?.value;
  return value ? parseRecordRef(value) : null;
}

/**
 * Summarizes a CronJob and the Jobs it owns (others are ignored), with what each run said, by Job uid, the
 * restarts in vain its record holds (`unknown`: not readable; null: none kept), and the Warning Events about
 * the CronJob (`unknown`: not readable).
 */
export function cronStatus(
  cronJob: CronJobObject,
  jobs: readonly JobObject[],
  results: ReadonlyMap<string, string>,
  remembered: readonly RememberedRestart[] | "unknown" | null,
  warnings: readonly WarningEvent[] | "unknown",
): CronStatus {
  const owned = jobsOf(cronJob.metadata.uid, jobs)
    // Newest first; the same second by name.
    .sort((a, b) => compare(createdAt(b), createdAt(a)) || compare(a.metadata.name, b.metadata.name));
  const unfinished = owned.filter((job) => !jobOutcome(job).finished).map((job) => job.metadata.name);
  const runs = owned.map((job): CronJobRun => {
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
  const container = jobContainerOf(cronJob);
  const { scope, resolver } = scopeOfCommand(jobCommandOf(cronJob));
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
    // The controller lists only the Jobs it made: a run-now Job not yet ended is active too.
    active: [...new Set([...(cronJob.status?.active ?? []).map((ref) => ref.name), ...unfinished])],
    lastWarning: warnings === "unknown" ? warnings : lastWarning(warnings),
    jobs: runs,
    held: remembered === null || remembered === "unknown" ? remembered : heldControllers(remembered),
  };
}

/**
 * One entry per controller, the newest restart in vain first: by when each was first recorded (firstAt),
 * as each run that holds its pods stamps it again. A restart whose replacement was not checked holds nothing
 * yet: the run that finds a pod made since on the old digest records it again as checked.
 */
function heldControllers(remembered: readonly RememberedRestart[]): HeldController[] {
  const recordedAt = (r: RememberedRestart) => r.firstAt ?? r.at;
  const newestFirst = remembered
    .filter((r) => r.uncheckedRestartAt === undefined)
    .sort((a, b) => recordedAt(b) - recordedAt(a));
  const byController = groupBy(newestFirst, (r) => `${r.namespace}/${r.controller.uid}`);
  return [...byController.values()].map((records) => {
    const { namespace, controller, firstAt, at } = records[0]!;
    return {
      namespace,
      kind: controller.kind,
      name: controller.name,
      restartedFor: records.map((r) => r.restartedFor),
      recorded: isoSeconds(firstAt ?? at),
    };
  });
}
