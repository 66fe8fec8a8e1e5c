/**
 * Who owns a pod at the top: Pod → ReplicaSet → Deployment, Pod → Job → CronJob, or the direct controller.
 */
import { controllerOf, isBuiltInController, type OwnerObject, type OwnerReference, type Pod } from "./k8s.js";
import { kindResources } from "./kind-resources.js";
import type { ControllerRef } from "./plan.js";

/** Owner kinds that are listed to find the next owner up, with the resource kubectl lists them by. */
const intermediateOwners = { ReplicaSet: kindResources.ReplicaSet, Job: kindResources.Job } as const;

/** The resources to list for these pods' owners: only kinds some pod is directly controlled by. */
export function ownerResourcesToList(pods: readonly Pod[]): string[] {
  const resources = new Set<string>();
  for (const pod of pods) {
    const resource = ownerResourceOf(pod);
    if (resource) resources.add(resource);
  }
  return Object.values(intermediateOwners).filter((resource) => resources.has(resource));
}

/** The resource to list for this pod's owner, when its controller is a ReplicaSet or a Job. */
export function ownerResourceOf(pod: Pod): string | null {
  const direct = controllerOf(pod.metadata);
  return direct && isIntermediateOwner(direct) ? intermediateOwners[direct.kind] : null;
}

/** A built-in ReplicaSet or Job: another group's kind of that name is in neither list. */
function isIntermediateOwner(
  ref: OwnerReference,
): ref is OwnerReference & { kind: keyof typeof intermediateOwners } {
  return Object.hasOwn(intermediateOwners, ref.kind) && isBuiltInController(ref);
}

/** The ReplicaSets and Jobs listed, by namespace/kind/name. */
export interface OwnerIndex {
  /** Each one's controller reference. */
  readonly controllers: ReadonlyMap<string, OwnerReference | null>;
  /** The listed ReplicaSets' replica counts: a workload of one pod is down while it is replaced. */
  readonly replicas: ReadonlyMap<string, number>;
  /** Those being deleted (a finalizer holds them): they make no new pods. */
  readonly deleting?: ReadonlySet<string>;
}

/** Indexes the listed ReplicaSets and Jobs. */
export function indexOwners(objects: readonly OwnerObject[]): OwnerIndex {
  const controllers = new Map<string, OwnerReference | null>();
  const replicas = new Map<string, number>();
  const deleting = new Set<string>();
  for (const object of objects) {
    const kind = object.kind ?? "";
    const key = ownerKey(object.metadata.namespace ?? "", kind, object.metadata.name);
    const controller = controllerOf(object.metadata);
    controllers.set(key, controller);
    if (object.metadata.deletionTimestamp) deleting.add(key);
    const count = object.spec?.replicas;
    if (kind === "ReplicaSet" && count !== undefined) replicas.set(key, count);
  }
  return { controllers, replicas, deleting };
}

/** Whether the pod's controller is a listed ReplicaSet or Job being deleted. */
export function isBeingDeleted(index: OwnerIndex, namespace: string, controller: OwnerReference): boolean {
  return index.deleting?.has(ownerKey(namespace, controller.kind, controller.name)) ?? false;
}

/**
 * Whether the pod's controller, a ReplicaSet or Job, was in its list. One made after the list was read (the
 * pods are listed while it runs) has an owner that is not known: a Deployment may be rolling it.
 */
export function isListed(index: OwnerIndex, namespace: string, controller: OwnerReference): boolean {
  return index.controllers.has(ownerKey(namespace, controller.kind, controller.name));
}

/** A listed ReplicaSet's replica count. */
export function replicasOf(
  index: OwnerIndex,
  namespace: string,
  owner: Pick<ControllerRef, "kind" | "name">,
): number | undefined {
  return index.replicas.get(ownerKey(namespace, owner.kind, owner.name));
}

/** The pod's direct controller and the top one, following ReplicaSet and Job to theirs. */
export function ownersOf(
  pod: Pod,
  index: OwnerIndex,
): { direct: OwnerReference | null; top: ControllerRef | null } {
  const direct = controllerOf(pod.metadata);
  if (!direct) return { direct: null, top: null };
  if (isIntermediateOwner(direct)) {
    const parent = index.controllers.get(ownerKey(pod.metadata.namespace ?? "", direct.kind, direct.name));
    if (parent) return { direct, top: ownerOf(parent) };
  }
  return { direct, top: ownerOf(direct) };
}

/** With its apiVersion: a kind is the built-in one only in its group. */
function ownerOf(ref: OwnerReference): ControllerRef {
  return { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion };
}

function ownerKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}
