/**
 * What the plan keeps of each object it lists, so a 150,000-pod list never stays in memory whole: the
 * `Shape` cut out of each item before it is parsed (json-list-stream.ts), and the slim object made of
 * what is left. A field read here must be kept by the shape, or it arrives as null: the unit test
 * compares each slim object made from the cut item with the one made from the whole item.
 */
import { type KubeObject, mirrorPodAnnotation, type Pod } from "../core/k8s.js";
import {
  argoTrackingAnnotation,
  type Workload,
  type WorkloadKind,
  workloadResources,
} from "../core/workload.js";
import { ToolFailedError } from "../errors.js";
import type { Shape } from "./json-list-stream.js";
import type { StringPool } from "./string-pool.js";

/** What listObjects keeps of an owner in between (a ReplicaSet, a Job): whom it belongs to. */
export const ownerShape: Shape = {
  keep: { metadata: { keep: { name: true, namespace: true, ownerReferences: true }, others: "drop" } },
  others: "drop",
};

export function slimOwner(kind: string | undefined, o: KubeObject): KubeObject {
  return {
    kind,
    metadata: {
      name: o.metadata?.name,
      namespace: o.metadata?.namespace,
      ownerReferences: o.metadata?.ownerReferences,
    },
  };
}

/** Keeps what the restart decision and the rollout follower read of a workload. */
export function slimWorkload(kind: WorkloadKind, w: Workload): Workload {
  if (!w?.metadata || !w.spec)
    throw new ToolFailedError(
      `kubectl get ${workloadResources[kind]} printed an object that is not a ${kind}`,
    );
  const { metadata: m, spec, status: st } = w;
  return {
    kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      // What an Event on the workload names (kubectl describe finds Events by it).
      uid: m.uid,
      generation: m.generation,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      // Not last-applied-configuration and the like: a whole manifest per workload.
      annotations:
        m.annotations?.[argoTrackingAnnotation] !== undefined
          ? { [argoTrackingAnnotation]: m.annotations[argoTrackingAnnotation] }
          : undefined,
    },
    spec: {
      replicas: spec.replicas,
      selector: spec.selector,
      paused: spec.paused,
      strategy: spec.strategy,
      updateStrategy: spec.updateStrategy,
    },
    status: st && {
      observedGeneration: st.observedGeneration,
      replicas: st.replicas,
      updatedReplicas: st.updatedReplicas,
      readyReplicas: st.readyReplicas,
      availableReplicas: st.availableReplicas,
      conditions: st.conditions?.map(({ type, status, reason, message }) => ({
        type,
        status,
        reason,
        message,
      })),
      currentRevision: st.currentRevision,
      updateRevision: st.updateRevision,
      desiredNumberScheduled: st.desiredNumberScheduled,
      updatedNumberScheduled: st.updatedNumberScheduled,
      numberAvailable: st.numberAvailable,
    },
  };
}

/** What slimPod reads, cut out of each pod before parsing (env, probes, mounts, conditions are not). */
const containerShape: Shape = { keep: { name: true, image: true, imagePullPolicy: true }, others: "drop" };
const containerStatusShape: Shape = { keep: { name: true, image: true, imageID: true }, others: "drop" };
export const podShape: Shape = {
  keep: {
    metadata: {
      keep: {
        name: true,
        namespace: true,
        uid: true,
        labels: true,
        annotations: true,
        ownerReferences: true,
        deletionTimestamp: true,
      },
      others: "drop",
    },
    spec: {
      keep: {
        serviceAccountName: true,
        nodeName: true,
        containers: containerShape,
        initContainers: containerShape,
        imagePullSecrets: true,
        volumes: { keep: { name: true, emptyDir: true }, others: "drop" },
      },
      others: "drop",
    },
    status: {
      keep: {
        phase: true,
        containerStatuses: containerStatusShape,
        initContainerStatuses: containerStatusShape,
      },
      others: "drop",
    },
  },
  others: "drop",
};

/**
 * Keeps only what the plan reads, so a 150,000-pod list does not stay in memory whole; the strings that
 * repeat from pod to pod (images, namespaces, owners, labels) are shared through `shared`.
 */
export function slimPod(pod: Pod, shared: StringPool): Pod {
  if (!pod?.metadata || !pod.spec || !Array.isArray(pod.spec.containers)) {
    throw new ToolFailedError("kubectl get pods printed an object that is not a pod");
  }
  const { metadata: m, spec: s, status } = pod;
  const container = ({ name, image, imagePullPolicy }: Pod["spec"]["containers"][number]) => ({
    name: shared(name),
    image: shared(image),
    imagePullPolicy: shared(imagePullPolicy),
  });
  const containerStatus = ({
    name,
    image,
    imageID,
  }: NonNullable<NonNullable<Pod["status"]>["containerStatuses"]>[number]) => ({
    name: shared(name),
    image: shared(image),
    imageID: shared(imageID),
  });
  const labels =
    m.labels && Object.fromEntries(Object.entries(m.labels).map(([k, v]) => [shared(k), shared(v)]));
  return {
    metadata: {
      name: m.name,
      namespace: shared(m.namespace),
      uid: m.uid,
      labels,
      annotations:
        m.annotations?.[mirrorPodAnnotation] !== undefined ? { [mirrorPodAnnotation]: "" } : undefined,
      ownerReferences: m.ownerReferences?.map(({ apiVersion, kind, name, uid, controller }) => ({
        apiVersion: shared(apiVersion),
        kind: shared(kind),
        name: shared(name),
        uid: shared(uid),
        controller,
      })),
      deletionTimestamp: m.deletionTimestamp,
    },
    spec: {
      containers: s.containers.map(container),
      initContainers: s.initContainers?.map(container),
      imagePullSecrets: s.imagePullSecrets,
      serviceAccountName: shared(s.serviceAccountName),
      nodeName: shared(s.nodeName),
      volumes: s.volumes
        ?.filter((v) => v.emptyDir !== undefined)
        .map((v) => ({ name: v.name, emptyDir: {} })),
    },
    status: {
      phase: shared(status?.phase),
      containerStatuses: status?.containerStatuses?.map(containerStatus),
      initContainerStatuses: status?.initContainerStatuses?.map(containerStatus),
    },
  };
}
