/**
 * Deployments, StatefulSets and DaemonSets — the controllers that can roll their pods themselves — as the
 * restart decision and the rollout follower read them. Pure: the objects come from kubectl.
 */
import { controllerOf, type KubeObject, type OwnerReference, type Pod } from "./k8s.js";
import { kindResources } from "./kind-resources.js";
import type { LabelSelector } from "./readiness.js";

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet";

/** The resource kubectl lists and patches each kind by. */
export const workloadResources: Record<WorkloadKind, string> = {
  Deployment: kindResources.Deployment,
  StatefulSet: kindResources.StatefulSet,
  DaemonSet: kindResources.DaemonSet,
};

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return Object.hasOwn(workloadResources, kind);
}

/** maxSurge / maxUnavailable: a count or a percentage ("25%"). */
export type IntOrPercent = number | string;

interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** What is read of a workload (kubectl get -o json, slimmed to this). */
export interface Workload {
  kind: WorkloadKind;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    /** Only the controller reference is kept: an operator's (the Grafana operator's Grafana, say). */
    ownerReferences?: OwnerReference[];
    /** Set while it is being deleted (a finalizer holds it): its controller makes no new pods. */
    deletionTimestamp?: string;
  };
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    /** Deployment. */
    paused?: boolean;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
    };
    /** StatefulSet: its first pod's ordinal, from which its partition counts (spec.ordinals). */
    ordinals?: { start?: number };
    /** StatefulSet, DaemonSet. */
    updateStrategy?: {
      type?: string;
      rollingUpdate?: { partition?: number; maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    /** A StatefulSet's pods on its current revision (neither count holds a terminating pod). */
    currentReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: WorkloadCondition[];
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    /** Nodes that run a pod of it they should not: see daemonPodsWithoutSuccessor. */
    numberMisscheduled?: number;
  };
}

export function workloadName(w: Pick<Workload, "kind" | "metadata">): string {
  return `${w.kind}/${w.metadata.name}`;
}

/**
 * Of the pods the workload's selector matches, those it owns: another workload's selector may match them
 * too (a canary Deployment beside the stable one). A StatefulSet or DaemonSet controls its pods; a
 * Deployment, the ReplicaSets it controls among `replicaSets`, which control its pods. All of them when the
 * workload's UID is not known.
 */
export function ownedPods<T extends Pod>(
  workload: Pick<Workload, "kind" | "metadata">,
  pods: readonly T[],
  replicaSets: readonly KubeObject[],
): T[] {
  const uid = workload.metadata.uid;
  if (uid === undefined) return [...pods];
  const controllers = new Set(
    workload.kind === "Deployment"
      ? replicaSets
          .filter((rs) => controllerOf(rs.metadata)?.uid === uid)
          .flatMap((rs) => rs.metadata.uid ?? [])
      : [uid],
  );
  return pods.filter((pod) => controllers.has(controllerOf(pod.metadata)?.uid ?? ""));
}

/** A StatefulSet's pod's ordinal, from its name (`db-2` → 2); null for a pod named otherwise. */
export function podOrdinal(statefulSet: string, podName: string): number | null {
  const suffix = podName.startsWith(`${statefulSet}-`) ? podName.slice(statefulSet.length + 1) : "";
  return /^\d+$/.test(suffix) ? Number(suffix) : null;
}

/** RollingUpdate or Recreate (Deployment), RollingUpdate or OnDelete (StatefulSet, DaemonSet). */
export function updateStrategyType(w: Workload): string {
  const type = w.kind === "Deployment" ? w.spec.strategy?.type : w.spec.updateStrategy?.type;
  return type ?? "RollingUpdate";
}

/** Argo CD's annotation tracking: the only annotation the decision reads. */
export const argoTrackingAnnotation = "argocd.argoproj.io/tracking-id";

/**
 * The GitOps tool that manages the object, by the marks those tools leave: Argo CD's tracking annotation or
 * instance label, Flux's kustomize and helm labels. Not `app.kubernetes.io/instance`: Helm sets it on
 * everything it installs, and Argo CD's label tracking can use it, but it proves no tool watches the object.
 */
export function gitOpsManager(metadata: Workload["metadata"]): string | null {
  const annotations = metadata.annotations ?? {};
  const labels = metadata.labels ?? {};
  if (annotations[argoTrackingAnnotation] !== undefined)
    return `Argo CD (annotation ${argoTrackingAnnotation})`;
  if (labels["argocd.argoproj.io/instance"] !== undefined)
    return "Argo CD (label argocd.argoproj.io/instance)";
  for (const key of ["kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"]) {
    if (labels[key] !== undefined) return `Flux (label ${key})`;
  }
  return null;
}

/**
 * The operator's object that controls the workload (`Grafana/web` of the Grafana operator, a
 * prometheus-operator `Prometheus`), or null. Such an operator may write the pod template back to its own: a
 * rollout's annotations are then reverted, which rolls the pods a second time and drops the restarted-for
 * record.
 */
export function controllingOwner(metadata: Workload["metadata"]): string | null {
  const owner = controllerOf(metadata);
  return owner ? `${owner.kind}/${owner.name}` : null;
}

/**
 * Why the workload is in the middle of a rollout (its controller has not caught up with its template, or
 * some of its pods are not available), or null when it is settled. Such a workload is left alone by auto
 * and rollout: someone else's change is still being rolled out, or stuck. `terminating`: how many of its
 * pods are terminating, where all of them were seen.
 */
export function rolloutInProgress(w: Workload, terminating?: number): string | null {
  const s = w.status ?? {};
  if ((s.observedGeneration ?? 0) < (w.metadata.generation ?? 0)) {
    return "its controller has not yet seen its latest change";
  }
  if (w.kind === "DaemonSet") {
    const desired = s.desiredNumberScheduled ?? 0;
    const updated = s.updatedNumberScheduled ?? 0;
    const available = s.numberAvailable ?? 0;
    // OnDelete has no rollout a pod not available could harm (as for a StatefulSet): its pods are evicted one
    // at a time, a not-Ready one before the Ready ones it would hold.
    const rolling = updateStrategyType(w) !== "OnDelete";
    if (updated < desired || (rolling && available < desired)) {
      return `${updated} of ${desired} updated, ${available} available`;
    }
    return null;
  }
  const replicas = w.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (w.kind === "StatefulSet") {
    // Under OnDelete the controller never moves currentRevision up (before Kubernetes 1.36:
    // kubernetes/kubernetes#73492), so only the updated count says whether the pods caught up.
    const rolling = updateStrategyType(w) !== "OnDelete";
    // A partition keeps the pods below it on the current revision for good: a rollout it lets through is
    // done once the pods from it up are updated (as rolloutStatus judges), the revisions still apart.
    const partition = rolling ? (w.spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
    const toUpdate = Math.max(0, replicas - partition);
    const revisionsApart = rolling && partition === 0 && s.currentRevision !== s.updateRevision;
    // A rolling update with pods not available: under Parallel its controller deletes a Ready pod first,
    // under OrderedReady the rollout stalls. OnDelete has no rollout to harm; its pods are evicted one at a
    // time, a not-Ready one before the Ready ones it holds. Available counts minReadySeconds too, where the
    // server reports it.
    const [serving, word] =
      s.availableReplicas !== undefined
        ? [s.availableReplicas, "available"]
        : [s.readyReplicas ?? 0, "ready"];
    if (revisionsApart || updated < toUpdate || (rolling && serving < replicas)) {
      return `${updated} of ${toUpdate} on revision ${s.updateRevision ?? "?"}, ${serving} ${word}`;
    }
    // A scale-down under way: the pods beyond the count go by themselves, and a rollout would replace none.
    if ((s.replicas ?? 0) > replicas) return `scaling down: ${s.replicas} pods, ${replicas} wanted`;
    // A pod terminating (a drain) is counted Ready until it stops, but on no revision: with a partition the
    // counts above miss it, and under Parallel the controller would take another pod down beside it.
    // The API server leaves out a count of 0 (currentReplicas is omitempty): read where the revisions are.
    if (rolling && s.updateRevision !== undefined) {
      const onRevisions =
        s.currentRevision === s.updateRevision ? updated : (s.currentReplicas ?? 0) + updated;
      if (onRevisions < replicas) {
        // Below a partition a pod may also stay on an older update revision (a staged rollout begun again
        // with a newer template), counted on neither: only the pods themselves tell it from a drain.
        if (partition === 0) return `only ${onRevisions} of ${replicas} pods up and not terminating`;
        if (terminating === undefined) {
          return `only ${onRevisions} of ${replicas} pods on revision ${s.currentRevision ?? "?"} or ${s.updateRevision}: one terminating, or kept below the partition on an older revision`;
        }
        if (terminating > 0) return `${terminating} of ${replicas} pods terminating`;
      }
    }
    return null;
  }
  const available = s.availableReplicas ?? 0;
  if (updated < replicas || available < replicas) {
    return `${updated} of ${replicas} updated, ${available} available`;
  }
  const old = (s.replicas ?? 0) - updated;
  if (old > 0) return `${old} old ${old === 1 ? "pod" : "pods"} still running`;
  return null;
}

export type RolloutStatus =
  | { state: "done" }
  | { state: "waiting"; progress: string }
  /** `paused`: the controller goes no further until someone resumes it. */
  | { state: "failed"; reason: string; paused?: true };

/**
 * Where a rollout started at `generation` stands, judged as `kubectl rollout status` judges it: the
 * controller has seen the change, then every replica is updated, the old ones are gone and the new ones
 * are available (StatefulSet: ready and on the update revision; a partition counts only the pods it lets
 * roll). A Deployment past its progress deadline has failed.
 */
export function rolloutStatus(w: Workload, generation: number): RolloutStatus {
  const s = w.status ?? {};
  if ((s.observedGeneration ?? 0) < generation) {
    return { state: "waiting", progress: "waiting for the controller to see the change" };
  }
  if (w.kind === "Deployment") {
    const progressing = s.conditions?.find((c) => c.type === "Progressing");
    if (progressing?.reason === "ProgressDeadlineExceeded") {
      return {
        state: "failed",
        reason: `ProgressDeadlineExceeded${progressing.message ? `: ${progressing.message}` : ""}`,
      };
    }
    return deploymentStatus(w);
  }
  if (w.kind === "StatefulSet") {
    const replicas = w.spec.replicas ?? 1;
    const ready = s.readyReplicas ?? 0;
    if (ready < replicas) return waiting(`${ready} of ${replicas} pods ready`);
    // Beyond `kubectl rollout status`: its controller calls the revisions one once every pod is Ready,
    // before minReadySeconds have passed (kubernetes/kubernetes#136831); available counts them.
    const available = s.availableReplicas;
    if (available !== undefined && available < replicas) {
      return waiting(`${available} of ${replicas} pods available`);
    }
    const partition = w.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const updated = s.updatedReplicas ?? 0;
    if (partition > 0) {
      if (updated < replicas - partition)
        return waiting(`${updated} of ${replicas - partition} pods updated`);
      return { state: "done" };
    }
    if (s.updateRevision !== s.currentRevision) {
      return waiting(`${updated} of ${replicas} pods on revision ${s.updateRevision ?? "?"}`);
    }
    return { state: "done" };
  }
  const desired = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  if (updated < desired) return waiting(`${updated} of ${desired} updated pods scheduled`);
  const available = s.numberAvailable ?? 0;
  if (available < desired) return waiting(`${available} of ${desired} updated pods available`);
  return { state: "done" };
}

/**
 * A Deployment's rollout; paused since the patch (someone ran kubectl rollout pause), its controller takes
 * no further step, so one with replicas still to update or old ones to scale down goes no further. Its new
 * pods still become available without it.
 */
function deploymentStatus(w: Workload): RolloutStatus {
  const s = w.status ?? {};
  const replicas = w.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const stepLeft = (progress: string): RolloutStatus =>
    w.spec.paused === true
      ? {
          state: "failed",
          reason: `paused during its rollout (${progress}): kubectl rollout resume it to go on`,
          paused: true,
        }
      : waiting(progress);
  if (updated < replicas) return stepLeft(`${updated} of ${replicas} new replicas updated`);
  const old = (s.replicas ?? 0) - updated;
  if (old > 0) return stepLeft(`${old} old replicas pending termination`);
  const available = s.availableReplicas ?? 0;
  if (available < updated) return waiting(`${available} of ${updated} updated replicas available`);
  return { state: "done" };
}

function waiting(progress: string): RolloutStatus {
  return { state: "waiting", progress };
}

/**
 * Why no pod of a DaemonSet may be restarted while it runs pods on nodes it no longer schedules to (a
 * NoSchedule taint it does not tolerate, added while they ran: a node not Ready, one being removed, one
 * tainted by hand): such a pod, restarted, gets no successor, and its node loses the daemon for good (its
 * own rollout deletes them too). Which pods those are would take the nodes' taints. Null when it runs none.
 */
export function daemonPodsWithoutSuccessor(name: string, misscheduled: number | undefined): string | null {
  if (!misscheduled) return null;
  const pods = misscheduled === 1 ? "a pod on a node" : `pods on ${misscheduled} nodes`;
  return `${name} runs ${pods} it no longer schedules to (a NoSchedule taint it does not tolerate: a node not Ready, being removed, or tainted; kubectl describe daemonset shows them as misscheduled), and any of its pods restarted there would get no successor`;
}
