/**
 * What the plan keeps of each object it lists, so a 150,000-pod list never stays in memory whole: the
 * `Shape` cut out of each item before it is parsed (json-list-stream.ts), and the slim object made of
 * what is left. A field read here must be kept by the shape, or it is missing: the unit test
 * compares each slim object made from the cut item with the one made from the whole item.
 */
import {
  type Container,
  type ContainerStatus,
  controllerOf,
  mirrorPodAnnotation,
  type OwnerObject,
  type Pod,
  type Volume,
} from "../core/k8s.js";
import {
  recordedRestartedAtAnnotation,
  restartedAtAnnotation,
  restartedForAnnotation,
  templateRestartedFor,
} from "../core/restarted-for.js";
import {
  argoTrackingAnnotation,
  type Workload,
  type WorkloadKind,
  workloadResources,
} from "../core/workload.js";
import { ToolFailedError } from "../errors.js";
import type { SharedValues } from "../util/shared-values.js";
import type { ApartValues, ItemReader, Shape } from "./json-list-stream.js";

/**
 * What listObjects keeps of an owner in between (a ReplicaSet, a Job): whom it belongs to, whether it is
 * being deleted, and a ReplicaSet's replica count (a bare one of one replica is down while its pod is
 * evicted).
 */
export const ownerShape: Shape = {
  keep: {
    metadata: {
      keep: { name: true, namespace: true, ownerReferences: true, deletionTimestamp: true },
      others: "drop",
    },
    spec: { keep: { replicas: true }, others: "drop" },
  },
  others: "drop",
};

export function slimOwner(kind: string | undefined, o: OwnerObject): OwnerObject {
  const replicas = o.spec?.replicas;
  return {
    kind,
    metadata: {
      name: o.metadata?.name,
      namespace: o.metadata?.namespace,
      ownerReferences: o.metadata?.ownerReferences,
      ...(o.metadata?.deletionTimestamp ? { deletionTimestamp: o.metadata.deletionTimestamp } : {}),
    },
    ...(replicas !== undefined ? { spec: { replicas } } : {}),
  };
}

/** A pod as listPodCreationTimes reads it: whom it is, and when it was made. */
export interface CreatedPod {
  metadata?: { uid?: string; creationTimestamp?: string };
}

export const createdPodShape: Shape = {
  keep: { metadata: { keep: { uid: true, creationTimestamp: true }, others: "drop" } },
  others: "drop",
};

/** What the pods' readers keep of each container and its status (env, probes, mounts are not read). */
const containerShape: Shape = { keep: { name: true, image: true, imagePullPolicy: true }, others: "drop" };
const containerStatusShape: Shape = { keep: { name: true, image: true, imageID: true }, others: "drop" };
/** A restart's new pod's, with why a container waits: a replacement that never comes up says why. */
const startingStatusShape: Shape = {
  keep: {
    ...containerStatusShape.keep,
    state: { keep: { waiting: { keep: { reason: true }, others: "drop" } }, others: "drop" },
  },
  others: "drop",
};

/**
 * What the checks around a restart read of a controller's pods (core/readiness.ts, ownedPods): whose they
 * are, whether they are Ready, and the digests they run. A DaemonSet evicted pod by pod has all its pods
 * read at every poll, so the rest of each pod (env, probes, managedFields) is left in the pipe.
 */
export const controllerPodShape: Shape = {
  keep: {
    metadata: {
      keep: {
        name: true,
        namespace: true,
        uid: true,
        labels: true,
        ownerReferences: true,
        deletionTimestamp: true,
      },
      others: "drop",
    },
    spec: {
      keep: {
        nodeName: true,
        containers: containerShape,
        initContainers: containerShape,
        // With the conditions: a Ready False the kubelet did not set (its node stopped reporting).
        readinessGates: true,
      },
      others: "drop",
    },
    status: {
      keep: {
        phase: true,
        // When Ready began: a controller's minReadySeconds counts from it.
        conditions: { keep: { type: true, status: true, lastTransitionTime: true }, others: "drop" },
        containerStatuses: startingStatusShape,
        initContainerStatuses: startingStatusShape,
      },
      others: "drop",
    },
  },
  others: "drop",
};

/**
 * What is read of a Deployment's ReplicaSets: which are the Deployment's, by UID (ownedPods), and how many
 * pods each should have (a restart's capacity checks).
 */
export const ownedReplicaSetShape: Shape = {
  keep: {
    metadata: { keep: { name: true, namespace: true, uid: true, ownerReferences: true }, others: "drop" },
    spec: { keep: { replicas: true }, others: "drop" },
    // Its pods Ready, and available by the API server's clock (controller-readiness.ts).
    status: { keep: { readyReplicas: true, availableReplicas: true }, others: "drop" },
  },
  others: "drop",
};

/** What slimWorkload reads, cut out of each listed workload before parsing (not its pod template). */
export const workloadShape: Shape = {
  keep: {
    metadata: {
      keep: {
        name: true,
        namespace: true,
        uid: true,
        generation: true,
        resourceVersion: true,
        deletionTimestamp: true,
        labels: true,
        // Not last-applied-configuration and the like: a whole manifest per workload.
        annotations: { keep: { [argoTrackingAnnotation]: true }, others: "drop" },
        ownerReferences: {
          keep: { apiVersion: true, kind: true, name: true, controller: true },
          others: "drop",
        },
      },
      others: "drop",
    },
    spec: {
      keep: {
        replicas: true,
        selector: true,
        paused: true,
        strategy: true,
        updateStrategy: true,
        ordinals: true,
      },
      others: "drop",
    },
    status: true,
  },
  others: "drop",
};

/** Keeps what the restart decision and the rollout follower read of a workload. */
export function slimWorkload(kind: WorkloadKind, w: Workload): Workload {
  if (!w?.metadata || !w.spec)
    throw new ToolFailedError(
      `kubectl get ${workloadResources[kind]} printed an object that is not a ${kind}`,
    );
  const { metadata: m, spec, status: st } = w;
  // An operator's controller reference: its template is the operator's (core/workload.ts controllingOwner).
  const owner = controllerOf(m);
  return {
    kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      // What an Event on the workload names (kubectl describe finds Events by it).
      uid: m.uid,
      generation: m.generation,
      resourceVersion: m.resourceVersion,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      labels: m.labels,
      // Not last-applied-configuration and the like: a whole manifest per workload.
      annotations:
        m.annotations?.[argoTrackingAnnotation] !== undefined
          ? { [argoTrackingAnnotation]: m.annotations[argoTrackingAnnotation] }
          : undefined,
      ownerReferences: owner
        ? [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, controller: true }]
        : undefined,
    },
    spec: {
      replicas: spec.replicas,
      selector: spec.selector,
      paused: spec.paused,
      strategy: spec.strategy,
      updateStrategy: spec.updateStrategy,
      ...(spec.ordinals ? { ordinals: spec.ordinals } : {}),
    },
    status: st && {
      observedGeneration: st.observedGeneration,
      replicas: st.replicas,
      updatedReplicas: st.updatedReplicas,
      currentReplicas: st.currentReplicas,
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
      numberMisscheduled: st.numberMisscheduled,
    },
  };
}

/** The slots of what differs between the pods of one controller (see podReader). */
const NAME = 0;
const UID = 1;
const NODE = 2;
/** Each pod has its own service-account token volume (kube-api-access-xxxxx). */
const VOLUMES = 3;

/** The annotations of a pod the plan reads (others are often per pod, a CNI's pod IP, say). */
export const podAnnotations = [
  mirrorPodAnnotation,
  restartedForAnnotation,
  restartedAtAnnotation,
  recordedRestartedAtAnnotation,
] as const;

/**
 * What slimPod reads, cut out of each pod before parsing (env, probes, mounts, conditions are not). A pod
 * read as protobuf is read to the same fields (pod-protobuf.ts).
 */
export const podShape: Shape = {
  keep: {
    metadata: {
      keep: {
        name: { apart: NAME },
        namespace: true,
        uid: { apart: UID },
        labels: true,
        annotations: { keep: Object.fromEntries(podAnnotations.map((key) => [key, true])), others: "drop" },
        ownerReferences: true,
        deletionTimestamp: true,
      },
      others: "drop",
    },
    spec: {
      keep: {
        serviceAccountName: true,
        nodeName: { apart: NODE },
        containers: containerShape,
        initContainers: containerShape,
        imagePullSecrets: true,
        volumes: { apart: VOLUMES },
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
 * The two annotations the plan reads, shared: a rolled workload's pods all carry one restarted-for value.
 * A restarted-for the template was restarted since is left out.
 */
function keptAnnotations(
  annotations: Record<string, string> | undefined,
  shared: SharedValues,
): Record<string, string> | undefined {
  const mirror = annotations?.[mirrorPodAnnotation] !== undefined;
  const restartedFor = templateRestartedFor(annotations);
  if (!mirror && restartedFor === undefined) return undefined;
  return shared.value(`annotations ${mirror} ${restartedFor ?? ""}`, () => ({
    ...(mirror ? { [mirrorPodAnnotation]: "" } : {}),
    ...(restartedFor !== undefined ? { [restartedForAnnotation]: restartedFor } : {}),
  }));
}

/**
 * Keeps only what the plan reads, so a 150,000-pod list does not stay in memory whole; the strings that
 * repeat from pod to pod (images, namespaces, owners, labels) are shared through `shared`.
 */
export function slimPod(pod: Pod, shared: SharedValues): Pod {
  if (!pod?.metadata || !pod.spec || !Array.isArray(pod.spec.containers)) {
    throw new ToolFailedError("kubectl get pods printed an object that is not a pod");
  }
  const { metadata: m, spec: s, status } = pod;
  const str = <T extends string | undefined>(value: T) => shared.string(value);
  const containers = (list: Container[] | undefined) =>
    list &&
    shared.value(`containers ${keyOf(list, (c) => [c.name, c.image, c.imagePullPolicy])}`, () =>
      list.map(({ name, image, imagePullPolicy }) => ({
        name: str(name),
        image: str(image),
        imagePullPolicy: str(imagePullPolicy),
      })),
    );
  const statuses = (list: ContainerStatus[] | undefined) =>
    list &&
    shared.value(`statuses ${keyOf(list, (c) => [c.name, c.image, c.imageID])}`, () =>
      list.map(({ name, image, imageID }) => ({ name: str(name), image: str(image), imageID: str(imageID) })),
    );
  const labels = m.labels && Object.entries(m.labels);
  const owners = m.ownerReferences;
  const secrets = s.imagePullSecrets;
  return {
    metadata: {
      name: m.name,
      namespace: str(m.namespace),
      uid: m.uid,
      labels:
        labels &&
        shared.value(`labels ${keyOf(labels, (entry) => entry)}`, () =>
          Object.fromEntries(labels.map(([k, v]) => [str(k), str(v)])),
        ),
      annotations: keptAnnotations(m.annotations, shared),
      ownerReferences:
        owners &&
        shared.value(
          `owners ${keyOf(owners, (o) => [o.apiVersion, o.kind, o.name, o.uid, String(o.controller)])}`,
          () =>
            owners.map(({ apiVersion, kind, name, uid, controller }) => ({
              apiVersion: str(apiVersion),
              kind: str(kind),
              name: str(name),
              uid: str(uid),
              controller,
            })),
        ),
      deletionTimestamp: m.deletionTimestamp,
    },
    spec: {
      containers: containers(s.containers)!,
      initContainers: containers(s.initContainers),
      imagePullSecrets:
        secrets &&
        shared.value(`secrets ${keyOf(secrets, (r) => [r.name])}`, () =>
          secrets.map(({ name }) => ({ name })),
        ),
      serviceAccountName: str(s.serviceAccountName),
      nodeName: str(s.nodeName),
      volumes: volumesLostWithPod(s.volumes, shared),
    },
    status: {
      phase: str(status?.phase),
      containerStatuses: statuses(status?.containerStatuses),
      initContainerStatuses: statuses(status?.initContainerStatuses),
    },
  };
}

/**
 * A pod's emptyDir and generic ephemeral volumes, the only ones read (their data goes with the pod);
 * undefined when none.
 */
export function volumesLostWithPod(
  volumes: Volume[] | undefined,
  shared: SharedValues,
): Volume[] | undefined {
  const lost = Array.isArray(volumes)
    ? volumes.filter((v) => v?.emptyDir !== undefined || v?.ephemeral !== undefined)
    : [];
  if (lost.length === 0) return undefined;
  return shared.value(
    `volumes ${keyOf(lost, (v) => [v.name, v.emptyDir !== undefined ? "emptyDir" : "ephemeral"])}`,
    () =>
      lost.map((v) =>
        v.emptyDir !== undefined ? { name: v.name, emptyDir: {} } : { name: v.name, ephemeral: {} },
      ),
  );
}

/** Templates kept: the pods of one controller come one after another (the API server lists by name). */
export const recentTemplates = 64;

/**
 * Reads pods cut by podShape. What is left once the apart members are out (namespace, labels, owner,
 * containers, images) is the same for every pod of a controller, so it is parsed and slimmed once per
 * run of such pods and only the apart members are read per pod.
 */
export function podReader(shared: SharedValues): ItemReader<Pod> {
  let templates = new Map<string, Pod>();
  let lastText = "";
  let last: Pod | undefined;
  return (text: string, apart: ApartValues) => {
    // Most often the last pod's: comparing two texts costs less than hashing one for the map.
    let template = text === lastText ? last : templates.get(text);
    if (template === undefined) {
      template = slimPod(JSON.parse(text) as Pod, shared);
      Object.freeze(template.status);
      if (templates.size >= recentTemplates) templates = new Map();
      templates.set(text, template);
    }
    lastText = text;
    last = template;
    const volumes = apart[VOLUMES];
    return {
      metadata: {
        ...template.metadata,
        name: parsedString(apart[NAME]) as string,
        uid: parsedString(apart[UID]),
      },
      spec: {
        ...template.spec,
        nodeName: shared.string(parsedString(apart[NODE])),
        // Most pods have neither: their volumes need not be parsed to know it.
        volumes:
          volumes !== undefined && (volumes.includes('"emptyDir"') || volumes.includes('"ephemeral"'))
            ? volumesLostWithPod(JSON.parse(volumes) as Volume[], shared)
            : undefined,
      },
      status: template.status,
    };
  };
}

/**
 * A JSON string's value. Parsed rather than sliced out of the text: a slice would keep its text alive, a
 * few dozen bytes more for each of 150,000 pods' names and UIDs.
 */
function parsedString(json: string | undefined): string | undefined {
  const value: unknown = json === undefined ? undefined : JSON.parse(json);
  return typeof value === "string" ? value : undefined;
}

/**
 * A key that tells lists apart by every field kept of their elements: JSON, so no value can pass for a
 * separator (an image is free text to the API server: one holding a separator would make its pod's key
 * another pod's, which would then be handed the first pod's containers). One flat string: a key is kept
 * for as long as its value is shared.
 */
function keyOf<T>(list: readonly T[], fields: (element: T) => readonly (string | undefined)[]): string {
  return JSON.stringify(list.map(fields));
}
