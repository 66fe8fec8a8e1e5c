/**
 * What may have changed about a planned pod by the time its eviction or deletion comes (minutes later, in
 * a long run or after the prompt). Pure.
 */
import { shortDigest } from "./image-id.js";
import { controllerOf, ignoreLabel, isOptedOut, type Pod } from "./k8s.js";
import type { PlanPod } from "./plan.js";
import { isStaying, type PodWithConditions, runsNewDigests, runsOtherDigest } from "./readiness.js";
import { belowPartition } from "./rolling-update.js";
import { updateStrategyType, type Workload } from "./workload.js";

/**
 * Why a pod planned to be evicted or deleted one at a time must be left now, as read just before: opted
 * out since the plan, or no longer owned by the controller that would recreate it (deleted leaving its
 * pods, or the pod taken out of it by a change of its labels), so that, gone, nothing would bring it back.
 * Null when it may go, or when it is gone or another pod has its name now (the eviction or deletion, by
 * UID, reports that).
 */
export function leftSincePlan(planned: PlanPod, current: PodWithConditions | null): string | null {
  if (!current || current.metadata.uid !== planned.uid) return null;
  if (isOptedOut(current.metadata)) return `opted out since the plan (${ignoreLabel}=true)`;
  const changed = imageChangedSincePlan(planned, current) ?? digestChangedSincePlan(planned, current);
  if (changed) return changed;
  if (current.status?.phase === "Unknown") {
    return "pod phase Unknown since the plan (its node cannot be reached): what it runs now is not known";
  }
  if (nodeStoppedReporting(current)) {
    return "its node has stopped reporting (the node controller marked the pod not Ready; its containers were last seen ready): what it runs now is not known, and its deletion would not finish while the node is away";
  }
  const controller = planned.controller;
  if (controller && controllerOf(current.metadata)?.uid !== controller.uid) {
    return `no longer owned by ${controller.kind}/${controller.name} since the plan: nothing would recreate it`;
  }
  return null;
}

/**
 * Why a pod is not the one the plan judged: a container's image changed in place since (`kubectl set image`
 * on the pod, pinning it by digest, say), which a restart from its controller's template would undo.
 */
function imageChangedSincePlan(planned: PlanPod, current: Pod): string | null {
  const spec = current.spec;
  const images = new Map([...(spec.initContainers ?? []), ...spec.containers].map((c) => [c.name, c.image]));
  for (const container of [...planned.containers, ...(planned.notSelected ?? [])]) {
    const now = images.get(container.name);
    if (now !== undefined && now !== container.image) {
      return `container ${container.name}'s image changed since the plan (${container.image} → ${now}): its restart would undo that`;
    }
  }
  return null;
}

/**
 * Why a pod is not the one the plan judged: a container runs a digest the plan did not see (restarted since,
 * it pulled a tag that moved again). Whether that one is stale was never asked: the next run asks.
 */
export function digestChangedSincePlan(planned: PlanPod, current: Pod | null): string | null {
  if (current?.metadata.uid !== planned.uid) return null;
  const other = runsOtherDigest(planned.containers, current);
  if (!other) return null;
  const { container, digest } = other;
  return `container ${container.name} restarted onto ${shortDigest(digest)} since the plan, which judged ${shortDigest(container.runningDigest)} against ${shortDigest(container.latestDigest)}: the next run judges it`;
}

/**
 * Whether the pod's node has stopped reporting: its Ready condition is False while the kubelet's own last
 * word, ContainersReady and every readiness gate, says ready; the kubelet sets Ready from exactly those, so
 * the node controller set it (a node it cannot reach). Such a pod's phase stays Running: no API server has
 * set phase Unknown since 2015.
 */
export function nodeStoppedReporting(pod: PodWithConditions): boolean {
  const conditions = pod.status?.conditions ?? [];
  const status = (type: string) => conditions.find((c) => c.type === type)?.status;
  if (status("Ready") !== "False" || status("ContainersReady") !== "True") return false;
  return (pod.spec.readinessGates ?? []).every((gate) => status(gate.conditionType) === "True");
}

/**
 * Whether a planned pod needs no restart any more: it runs the new digest of each of its stale containers,
 * which restarted since the plan (pulling the tag again, imagePullPolicy Always).
 */
export function currentSincePlan(planned: PlanPod, current: Pod | null): boolean {
  return current?.metadata.uid === planned.uid && runsNewDigests(planned.containers, current);
}

/**
 * Why a planned pod must be left now that its controller is being deleted (a finalizer holds it; an
 * orphaning delete leaves its pods running): it makes no new pods.
 */
export function controllerDeletingSincePlan(controller: { kind: string; name: string }): string {
  return `${controller.kind}/${controller.name} is being deleted since the plan: it would not bring the pod back`;
}

/** Why a pod current since the plan is not restarted. */
export const restartedOnto = "its containers restarted onto the new image since the plan was made";

/**
 * Whether a planned pod is being deleted since the plan (a drain, its node taken away), or has ended (its
 * kubelet evicted it under node pressure: Failed, lingering until collected): its controller replaces it
 * without this run, and a restart of it would wait for a replacement made already.
 */
export function goingSincePlan(planned: PlanPod, current: Pod | null): boolean {
  return current?.metadata.uid === planned.uid && !isStaying(current);
}

/** The label a StatefulSet's pod names its template's revision by (as its status' revisions do). */
const revisionLabel = "controller-revision-hash";
/** A DaemonSet's template generation: on its pods as a label, on the DaemonSet as an annotation. */
const templateGenerationLabel = "pod-template-generation";
const templateGenerationAnnotation = "deprecated.daemonset.template.generation";

/**
 * Why a StatefulSet's or DaemonSet's pod must be left: its controller's template changed since the pod was
 * made (someone's update, which OnDelete leaves for whoever deletes the pods), so a replacement would run
 * that change, not only the new digest the plan showed. Null when a replacement would be made from the
 * pod's own template, or when the controller does not say.
 */
export function templateChangedFor(current: Pod, controller: Workload): string | null {
  const name = `${controller.kind}/${controller.metadata.name}`;
  const labels = current.metadata.labels ?? {};
  if (controller.kind === "DaemonSet") {
    // The API server moves the annotation with each template change; the controller labels pods with it.
    const made = labels[templateGenerationLabel];
    const now = controller.metadata.annotations?.[templateGenerationAnnotation];
    if (made === undefined || now === undefined || made === now) return null;
    // A change undone (`kubectl rollout undo`) moves the annotation again, but the controller finds its pods
    // on the template it is back on (by their revision hash): when it counts every pod updated, none
    // is behind.
    const s = controller.status ?? {};
    const caughtUp = (s.observedGeneration ?? 0) >= (controller.metadata.generation ?? 0);
    const desired = s.desiredNumberScheduled;
    if (caughtUp && desired !== undefined && (s.updatedNumberScheduled ?? 0) >= desired) return null;
    return `${name}'s template changed since ${current.metadata.name} was made (generation ${made}, now ${now}): its replacement would run that change too`;
  }
  if (controller.kind !== "StatefulSet") return null;
  const s = controller.status ?? {};
  // The revisions are the controller's: until it has seen the latest change they may be the old ones.
  if ((s.observedGeneration ?? 0) < (controller.metadata.generation ?? 0)) {
    return `${name} changed and its controller has not caught up yet: what a replacement of ${current.metadata.name} would run is not known`;
  }
  // A rolling update's partition keeps the pods below it on the current revision; OnDelete makes every
  // pod from the update revision (its current revision never moves).
  const rolling = updateStrategyType(controller) !== "OnDelete";
  const expected =
    rolling && belowPartition(controller, current.metadata.name) ? s.currentRevision : s.updateRevision;
  const made = labels[revisionLabel];
  if (made === undefined || expected === undefined || made === expected) return null;
  return `${name}'s template changed since ${current.metadata.name} was made (revision ${made}, now ${expected}): its replacement would run that change too`;
}
