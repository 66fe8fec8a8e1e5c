/**
 * The parts of Kubernetes objects this tool reads, as `kubectl get -o json` prints them, and the Events it
 * records.
 */

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
}

export interface Volume {
  name: string;
  emptyDir?: object;
  /** A generic ephemeral volume: a PersistentVolumeClaim made for the pod, and deleted with it. */
  ephemeral?: object;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    containers: Container[];
    initContainers?: Container[];
    imagePullSecrets?: { name: string }[];
    serviceAccountName?: string;
    nodeName?: string;
    volumes?: Volume[];
    /** Conditions besides ContainersReady that Ready waits for (a load balancer's target health). */
    readinessGates?: { conditionType: string }[];
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
  /**
   * Not Kubernetes': the containers `--image` left out of the plan. A restart undoes a change to them too
   * (an image pinned in place since), so apply must see it.
   */
  notSelected?: readonly Container[];
}

/** Any object with metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/**
 * A ReplicaSet or Job listed to follow a pod's owners: whom it belongs to, and a ReplicaSet's replica count.
 */
export interface OwnerObject extends KubeObject {
  spec?: { replicas?: number };
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface ServiceAccount extends KubeObject {
  imagePullSecrets?: { name: string }[];
}

/** A Node, read only for the platform its kubelet reports. */
export interface Node extends KubeObject {
  status?: { nodeInfo?: { operatingSystem?: string; architecture?: string; kernelVersion?: string } };
}

/** `kubectl get … -o json` of several objects. */
export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  items: T[];
}

/** An Event as events.k8s.io/v1 takes it (core/restart-event.ts builds them). */
export interface KubeEvent {
  apiVersion: "events.k8s.io/v1";
  kind: "Event";
  metadata: { generateName: string; namespace: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The annotation the kubelet puts on the API mirror of a static pod. */
export const mirrorPodAnnotation = "kubernetes.io/config.mirror";

/** Who changes objects (managedFields' manager): the template patch, install-cron's server-side apply. */
export const fieldManager = "kubectl-autoupdate";

/** Who reports this tool's Events (reportingController, the FROM column of `kubectl describe`). */
export const eventReporter = "kubectl-autoupdate";

/** A pod with this label set to "true" is never restarted (the tool's own CronJob pods carry it). */
export const ignoreLabel = "kubectl-autoupdate/ignore";

/**
 * The ServiceAccount a pod runs as: the one it names, else its namespace's `default`, as admission sets it.
 */
export function serviceAccountOf(pod: Pick<Pod, "spec">): string {
  return pod.spec.serviceAccountName || "default";
}

/** Whether the object is opted out with the ignore label. */
export function isOptedOut(meta: Pick<ObjectMeta, "labels">): boolean {
  return meta.labels?.[ignoreLabel] === "true";
}

/** The built-in controller kinds, with the apiVersion their controllers write in owner references. */
export const builtInControllers: ReadonlyMap<string, string> = new Map([
  ["ReplicaSet", "apps/v1"],
  ["Deployment", "apps/v1"],
  ["StatefulSet", "apps/v1"],
  ["DaemonSet", "apps/v1"],
  ["ReplicationController", "v1"],
  ["Job", "batch/v1"],
  ["CronJob", "batch/v1"],
]);

/**
 * Whether the reference is to a built-in controller: its kind counts only in the built-in group, since
 * another group's kind of the same name (OpenKruise's apps.kruise.io StatefulSet, Volcano's
 * batch.volcano.sh Job) is a custom controller. A reference without apiVersion, which the API server never
 * returns, is taken by its kind.
 */
export function isBuiltInController(ref: Pick<OwnerReference, "kind" | "apiVersion">): boolean {
  const builtIn = builtInControllers.get(ref.kind);
  if (builtIn === undefined) return false;
  if (ref.apiVersion === undefined) return true;
  const group = groupOf(ref.apiVersion);
  return group === groupOf(builtIn) || (group === "extensions" && formerlyExtensions.has(ref.kind));
}

/**
 * Kinds served in `extensions` before `apps` (until 1.16): an owner reference written then still names it,
 * and is never rewritten.
 */
const formerlyExtensions = new Set(["Deployment", "ReplicaSet", "DaemonSet"]);

/** The API group of an apiVersion: `apps` of `apps/v1`, "" (the core group) of `v1`. */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** The controller owner reference, the one whose controller recreates the object. */
export function controllerOf(meta: Pick<ObjectMeta, "ownerReferences">): OwnerReference | null {
  return meta.ownerReferences?.find((ref) => ref.controller === true) ?? null;
}
