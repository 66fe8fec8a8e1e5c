/**
 * The decision: pods + what each tag points to now → a Plan. Pure; nothing is restarted unless a
 * container is proven stale and its pod is safe to delete.
 */
import { type ContainerView, containersOf } from "./containers.js";
import { repositoryOf } from "./image-ref.js";
import type { ImageInUse } from "./images-in-use.js";
import { ignoreLabel, mirrorPodAnnotation, type OwnerReference, type Pod } from "./k8s.js";
import { type OwnerIndex, ownersOf } from "./owners.js";
import type { ContainerStatusVerdict, Plan, PlanContainer, PlanPod, ResolverName } from "./plan.js";
import type { Resolution, TagResolution } from "./resolution.js";

/** Controllers known to replace a deleted pod with a new one from the same template. */
const recreatingControllers = new Set(["ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet"]);

/**
 * The references whose index must be listed: a running digest matched neither the tag's digest nor its
 * twins, and the tag may be an index (CRI-O runs the platform child; containerd may show a sibling).
 */
export function needsIndexChildren(images: readonly ImageInUse[], tags: ReadonlyMap<string, TagResolution>) {
  return images.filter((image) => {
    const tag = tags.get(image.key);
    if (!tag?.ok || tag.tag.isIndex === false) return false;
    const known = new Set([tag.tag.digest, ...tag.tag.sameImageDigests]);
    return [...image.runningDigests].some((digest) => !known.has(digest));
  });
}

export interface PlanInput {
  resolver: ResolverName;
  pods: readonly Pod[];
  owners: OwnerIndex;
  /** By normalized reference; a tag reference missing here is unknown. */
  resolutions: ReadonlyMap<string, Resolution>;
}

/** Decides every container and every pod in scope. */
export function decidePlan(input: PlanInput): Plan {
  const pods = input.pods.map((pod) => decidePod(pod, input));
  return { resolver: input.resolver, pods };
}

function decidePod(pod: Pod, input: PlanInput): PlanPod {
  const { direct, top } = ownersOf(pod, input.owners);
  const views = containersOf(pod);
  const containers = views.map((view) => decideContainer(view, input.resolutions));
  const staleCount = containers.filter((c) => c.status === "stale").length;
  const base = {
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? "",
    node: pod.spec.nodeName ?? "",
    owner: top,
    controller: direct ? { kind: direct.kind, name: direct.name, uid: direct.uid ?? "" } : null,
    containers,
  };
  if (staleCount === 0) return { ...base, action: "none", reason: "", warnings: [] };
  const unsafe = whyNotDeletable(pod, direct);
  if (unsafe !== null) return { ...base, action: "skip", reason: unsafe, warnings: [] };
  return { ...base, action: "delete", reason: "", warnings: deletionWarnings(pod, containers) };
}

/** Null when deleting the pod is safe: a controller will bring it back on the new image. */
function whyNotDeletable(pod: Pod, controller: OwnerReference | null): string | null {
  if (pod.metadata.annotations?.[mirrorPodAnnotation] !== undefined) {
    return "mirror pod of a static pod: change the manifest on its node instead";
  }
  if (pod.metadata.deletionTimestamp) return "already terminating";
  if (pod.metadata.labels?.[ignoreLabel] === "true") return `opted out with label ${ignoreLabel}=true`;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return `pod has finished (${phase})`;
  if (controller === null) return "no controller owns it: deleting it would lose it for good";
  if (controller.kind === "Job") {
    return "Job pod still running: deleting it would count as a failure against the Job's backoffLimit";
  }
  if (!recreatingControllers.has(controller.kind)) {
    return `owned by ${controller.kind}/${controller.name}, which is not known to recreate deleted pods`;
  }
  return null;
}

function deletionWarnings(pod: Pod, containers: readonly PlanContainer[]): string[] {
  const warnings: string[] = [];
  for (const c of containers) {
    if (c.status === "stale" && c.pullPolicy !== "Always") {
      warnings.push(
        `imagePullPolicy ${c.pullPolicy} on container ${c.name}: the node may start its cached old image again`,
      );
    }
  }
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.emptyDir !== undefined) {
      warnings.push(`emptyDir volume ${volume.name}: its data is lost with the pod`);
    }
  }
  return warnings;
}

function decideContainer(view: ContainerView, resolutions: ReadonlyMap<string, Resolution>): PlanContainer {
  const runningDigest = view.running.kind === "repo-digest" ? view.running.digest : null;
  const result = (
    status: ContainerStatusVerdict,
    reason: string,
    latestDigest: string | null = null,
  ): PlanContainer => ({
    name: view.name,
    init: view.init,
    image: view.image,
    ref: view.parsed.ok ? view.parsed.key : null,
    runningDigest,
    latestDigest,
    status,
    reason,
    pullPolicy: view.pullPolicy,
  });

  if (!view.parsed.ok) return result("unknown", `invalid image reference: ${view.parsed.reason}`);
  const { ref, key } = view.parsed;
  if (ref.digest !== null) return result("pinned", "pinned by digest", ref.digest);

  const resolution = resolutions.get(key);
  const latest = resolution?.tag.ok ? resolution.tag.tag.digest : null;
  const running = view.running;
  switch (running.kind) {
    case "empty":
      return result(
        "unknown",
        view.hasStatus ? "not started yet (no imageID)" : "no container status",
        latest,
      );
    case "bare-id":
      return result(
        "unknown",
        "imageID is a bare image ID with no registry digest (image loaded locally?)",
        latest,
      );
    case "malformed":
      return result("unknown", `unrecognized imageID "${running.raw}"`, latest);
    case "repo-digest":
      break;
  }
  if (running.repository !== repositoryOf(ref)) {
    const from = running.repository ?? "an unparseable repository";
    return result("unknown", `runs an image from ${from}, not from ${repositoryOf(ref)}`, latest);
  }
  if (!resolution) return result("unknown", "not resolved");
  if (!resolution.tag.ok) return result("unknown", resolution.tag.reason);

  const tag = resolution.tag.tag;
  if (running.digest === tag.digest || tag.sameImageDigests.includes(running.digest)) {
    return result("current", "", latest);
  }
  if (tag.isIndex === false) return result("stale", "", latest);
  const children = resolution.children;
  if (!children) return result("unknown", "the tag's index was not listed", latest);
  if (!children.ok) return result("unknown", `could not list the tag's index: ${children.reason}`, latest);
  if (children.digests.includes(running.digest)) return result("current", "", latest);
  return result("stale", "", latest);
}
