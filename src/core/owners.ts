/** Who owns a pod at the top: Pod → ReplicaSet → Deployment, Pod → Job → CronJob, or the direct controller. */
import { controllerOf, isBuiltInController, type KubeObject, type OwnerReference, type Pod } from "./k8s.js";
import type { Owner } from "./plan.js";

/** Owner kinds that are listed to find the next owner up, with the resource kubectl lists them by. */
const intermediateOwners = { ReplicaSet: "replicasets.apps", Job: "jobs.batch" } as const;

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

/** Controller references of ReplicaSets and Jobs, by namespace/kind/name. */
export type OwnerIndex = ReadonlyMap<string, OwnerReference | null>;

/** Indexes listed ReplicaSets and Jobs by their controller reference. */
export function indexOwners(objects: readonly KubeObject[]): OwnerIndex {
  const index = new Map<string, OwnerReference | null>();
  for (const object of objects) {
    const kind = object.kind ?? "";
    index.set(
      ownerKey(object.metadata.namespace ?? "", kind, object.metadata.name),
      controllerOf(object.metadata),
    );
  }
  return index;
}

/** The pod's direct controller and the top one, following ReplicaSet and Job to theirs. */
export function ownersOf(pod: Pod, index: OwnerIndex): { direct: OwnerReference | null; top: Owner | null } {
  const direct = controllerOf(pod.metadata);
  if (!direct) return { direct: null, top: null };
  if (isIntermediateOwner(direct)) {
    const parent = index.get(ownerKey(pod.metadata.namespace ?? "", direct.kind, direct.name));
    if (parent) return { direct, top: ownerOf(parent) };
  }
  return { direct, top: ownerOf(direct) };
}

/** With its apiVersion: a kind is the built-in one only in its group. */
function ownerOf(ref: OwnerReference): Owner {
  return { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion };
}

function ownerKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}
