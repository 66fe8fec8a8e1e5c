/** The kubectl calls of the CronJob verbs, over the shared Kubectl (its connection flags, its one exec). */

import { howItEnded } from "../../adapters/exec-result.js";
import { type Kubectl, listSelected, parseList } from "../../adapters/kubectl.js";
import { kubectlFailure, readKubectlStderr } from "../../adapters/kubectl-errors.js";
import type { KubeObject, Pod } from "../../core/k8s.js";
import { kindResources } from "../../core/kind-resources.js";
import { ToolFailedError } from "../../errors.js";
import { managedSelector } from "../core/install-labels.js";
import type { InstallObject } from "../core/install-objects.js";
import { jobContainerName } from "../core/job-contract.js";
import type { CronJobObject, JobObject, NewJob, WaitingPod, WarningEvent } from "../core/jobs.js";

/** An object as the server returned it. */
export interface ServerObject extends KubeObject {
  metadata: KubeObject["metadata"] & { resourceVersion?: string; generation?: number };
}

/**
 * Several objects by `resource/name`, missing ones left out; namespaced ones are looked up in `namespace`.
 */
export async function getObjects(kubectl: Kubectl, refs: readonly string[], namespace: string) {
  if (refs.length === 0) return [];
  const out = await kubectl.run([
    "get",
    ...refs,
    `--namespace=${namespace}`,
    "--ignore-not-found",
    "-o",
    "json",
  ]);
  return out.trim() === "" ? [] : parseList<ServerObject>(out, "get");
}

/** Objects of several kinds by label; `namespace` null for cluster-scoped kinds. */
export async function listByLabel(
  kubectl: Kubectl,
  resources: readonly string[],
  selector: string,
  namespace: string | null,
): Promise<ServerObject[]> {
  const args = ["get", resources.join(","), `--selector=${selector}`, "-o", "json"];
  if (namespace !== null) args.push(`--namespace=${namespace}`);
  return parseList<ServerObject>(await kubectl.run(args), `get ${resources.join(",")}`);
}

/** The CronJobs of the installations in `namespace` (null: in every one), found by their labels. */
export async function listInstalledCronJobs(
  kubectl: Kubectl,
  namespace: string | null,
): Promise<CronJobObject[]> {
  const where = namespace === null ? "--all-namespaces" : `--namespace=${namespace}`;
  const args = ["get", kindResources.CronJob, where, `--selector=${managedSelector}`, "-o", "json"];
  return parseList<CronJobObject>(await kubectl.run(args), `get ${kindResources.CronJob}`);
}

/**
 * Server-side apply with our field manager: the server merges, so a second run with the same objects
 * changes nothing and a run with other flags updates in place. --force-conflicts: install-cron states the
 * whole wanted state, so it takes back fields someone changed by hand (e.g. `kubectl patch … suspend`).
 */
export async function applyServerSide(
  kubectl: Kubectl,
  objects: readonly InstallObject[],
  fieldManager: string,
  dryRun = false,
): Promise<ServerObject[]> {
  const list = { apiVersion: "v1", kind: "List", items: objects };
  const out = await kubectl.run(
    [
      "apply",
      "--server-side",
      `--field-manager=${fieldManager}`,
      "--force-conflicts",
      ...(dryRun ? ["--dry-run=server"] : []),
      "--output=json",
      "--filename=-",
    ],
    { input: JSON.stringify(list) },
  );
  return parseList<ServerObject>(out, "apply");
}

/**
 * Deletes `resource/name` objects (cluster-scoped ones ignore the namespace). Dependents (a CronJob's Jobs,
 * their pods) go in the background, as `kubectl delete` does by default. kubectl goes on past an object it
 * could not delete: a failure names those it deleted, before or after it.
 */
export async function deleteObjects(
  kubectl: Kubectl,
  refs: readonly string[],
  namespace: string,
  dryRun: boolean,
): Promise<void> {
  if (refs.length === 0) return;
  const args = [
    "delete",
    ...refs,
    `--namespace=${namespace}`,
    "--ignore-not-found",
    "--wait=false",
    "-o",
    "name",
  ];
  if (dryRun) args.push("--dry-run=server");
  const result = await kubectl.runUnchecked(args);
  if (result.exitCode === 0) return;
  const failure = kubectlFailure(result, "kubectl delete");
  // -o name: a `resource/name` line for each object deleted (a dry run's deleted nothing).
  const deleted = result.stdout.split("\n").filter((line) => /^[a-z0-9.-]+\/[A-Za-z0-9.:_-]+$/.test(line));
  if (dryRun || deleted.length === 0) throw failure;
  throw new PartlyDeletedError(failure, deleted);
}

/**
 * A deletion kubectl went on with past an object it could not delete: those it deleted (`cronjob.batch/x`).
 */
export class PartlyDeletedError extends ToolFailedError {
  constructor(
    failure: Error,
    readonly deleted: readonly string[],
  ) {
    super(`${failure.message}; deleted all the same: ${deleted.join(", ")}`, { cause: failure });
  }
}

/** One CronJob, or null. */
export function getCronJob(kubectl: Kubectl, name: string, namespace: string): Promise<CronJobObject | null> {
  return kubectl.getObject<CronJobObject>("cronjobs.batch", name, namespace);
}

/** One Job, or null. */
export function getJob(kubectl: Kubectl, name: string, namespace: string): Promise<JobObject | null> {
  return kubectl.getObject<JobObject>("jobs.batch", name, namespace);
}

/** Jobs by label in one namespace. */
export function listJobs(kubectl: Kubectl, namespace: string, selector: string): Promise<JobObject[]> {
  return listSelected<JobObject>(kubectl, "jobs.batch", namespace, { label: selector });
}

/** Creates a Job (with generateName: `kubectl create`, not apply) and returns it as created. */
export async function createJob(kubectl: Kubectl, job: NewJob): Promise<JobObject> {
  const out = await kubectl.run(["create", "--output=json", "--filename=-"], { input: JSON.stringify(job) });
  const [created] = parseList<JobObject>(out, "create");
  if (!created) throw new ToolFailedError("kubectl create printed no object");
  return created;
}

/** The pods of a Job (by the controller-uid label the Job controller sets), oldest first. */
export async function jobPods(
  kubectl: Kubectl,
  namespace: string,
  jobUid: string,
): Promise<(Pod & WaitingPod)[]> {
  const pods = await listSelected<Pod & WaitingPod & { metadata: { creationTimestamp?: string } }>(
    kubectl,
    "pods",
    namespace,
    { label: `batch.kubernetes.io/controller-uid=${jobUid}` },
  );
  return pods.sort((a, b) =>
    (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""),
  );
}

/**
 * The Job controller's FailedCreate Events, in any order: about one Job (by its UID), or about every Job of
 * the namespace (one list, where several Jobs may have none of their pods).
 */
export function jobCreateFailures(
  kubectl: Kubectl,
  namespace: string,
  jobUid?: string,
): Promise<WarningEvent[]> {
  const about = jobUid === undefined ? "involvedObject.kind=Job" : `involvedObject.uid=${jobUid}`;
  return listSelected<WarningEvent>(kubectl, "events", namespace, { field: `${about},reason=FailedCreate` });
}

/** The Warning Events about one object (by its UID), e.g. what the CronJob controller could not do. */
export function warningEvents(kubectl: Kubectl, namespace: string, uid: string): Promise<WarningEvent[]> {
  return listSelected<WarningEvent>(kubectl, "events", namespace, {
    field: `involvedObject.uid=${uid},type=Warning`,
  });
}

/**
 * The run's log: its container's, not an injected sidecar's; an error (e.g. no kubelet to ask) is returned,
 * not thrown.
 */
export async function podLogs(
  kubectl: Kubectl,
  namespace: string,
  pod: string,
): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  const result = await kubectl.runUnchecked([
    "logs",
    pod,
    `--namespace=${namespace}`,
    `--container=${jobContainerName}`,
  ]);
  if (result.exitCode === 0) return { ok: true, text: result.stdout };
  return { ok: false, reason: readKubectlStderr(result.stderr).line || howItEnded(result) };
}
