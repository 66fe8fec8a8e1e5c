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
import type { IndexChild, ManifestInfo, Resolution, TagDigest } from "./resolution.js";

/** Controllers known to replace a deleted pod with a new one from the same template. */
const recreatingControllers = new Set(["ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet"]);

/** A verdict on one running digest, or what must be learned first to reach one. */
type DigestJudgement =
  | { status: "current" | "stale" | "unknown"; reason: string }
  /** Read this manifest first; `platform`: also the platform of a single manifest (from its config). */
  | { need: string; platform: boolean }
  /** The tag moved for some platforms only: the node's platform decides. */
  | { needNodePlatform: true };

/**
 * What is known of a node's platform: `linux/arm64/v8` (as index children name theirs); null when the
 * node could not be read; undefined when it was not asked (no verdict needed it yet).
 */
type NodePlatform = string | null | undefined;

const mixedMoveReason = "the tag moved for some platforms only, and the node's platform is not known";

/**
 * Is `running` what the tag points to now? Current when it is the tag's digest, one of its twins
 * (docker's RepoDigests), a child of the tag's index (CRI-O runs the platform manifest), or an older
 * index whose every platform manifest is unchanged (containerd can keep showing the older of two index
 * digests of one image; restarting would never change it). Manifests are read only when needed.
 */
function judgeDigest(
  running: string,
  tag: TagDigest,
  manifests: ReadonlyMap<string, ManifestInfo>,
  nodePlatform: NodePlatform,
): DigestJudgement {
  if (running === tag.digest || tag.sameImageDigests.includes(running))
    return { status: "current", reason: "" };
  if (tag.isIndex === false) return { status: "stale", reason: "" };
  const latest = manifests.get(tag.digest);
  if (!latest) return { need: tag.digest, platform: false };
  if (!latest.ok) return { status: "unknown", reason: `could not read the tag's index: ${latest.reason}` };
  if (!latest.isIndex) return { status: "stale", reason: "" };
  if (latest.children.some((child) => child.digest === running)) return { status: "current", reason: "" };
  const old = manifests.get(running);
  if (!old) return { need: running, platform: true };
  if (!old.ok) {
    return {
      status: "unknown",
      reason: `could not read the running index to compare platforms: ${old.reason}`,
    };
  }
  if (!old.isIndex) {
    // A platform manifest (CRI-O) the tag's index no longer lists: stale if the index still has an image
    // for that platform, else the replacement might have nothing to run.
    const gone = old.platform !== null && !latest.children.some((child) => child.platform === old.platform);
    if (gone) return { status: "unknown", reason: `the tag no longer has an image for ${old.platform}` };
    return { status: "stale", reason: "" };
  }
  return comparePlatforms(old.children, latest.children, nodePlatform);
}

/**
 * An older index against the tag's index, platform by platform. A uniform answer needs no node: every
 * platform unchanged (current) or every one moved (stale). Otherwise the node's platform decides, when its
 * Node object says it and the old index has exactly that platform. A platform the tag no longer has is
 * never stale: the replacement might find no image to run.
 */
function comparePlatforms(
  old: readonly IndexChild[],
  latest: readonly IndexChild[],
  nodePlatform: NodePlatform,
): DigestJudgement {
  const now = new Map(latest.map((child) => [child.platform ?? child.digest, child.digest]));
  const mine = nodePlatform ? old.find((child) => child.platform === nodePlatform) : undefined;
  if (mine) {
    const latestDigest = now.get(nodePlatform!);
    if (latestDigest === undefined) {
      return { status: "unknown", reason: `the tag no longer has an image for ${nodePlatform}` };
    }
    return latestDigest === mine.digest ? { status: "current", reason: "" } : { status: "stale", reason: "" };
  }
  const removed = old.filter((child) => child.platform !== null && !now.has(child.platform));
  if (removed.length > 0) {
    const platforms = removed.map((child) => child.platform).join(", ");
    return { status: "unknown", reason: `the tag no longer has an image for ${platforms}` };
  }
  const unchanged = old.filter((child) => now.get(child.platform ?? child.digest) === child.digest).length;
  if (unchanged === old.length) return { status: "current", reason: "" };
  if (unchanged === 0) return { status: "stale", reason: "" };
  if (nodePlatform === undefined) return { needNodePlatform: true };
  if (nodePlatform === null) return { status: "unknown", reason: mixedMoveReason };
  return {
    status: "unknown",
    reason: `the tag moved for some platforms only, and the running index has no image for exactly the node's platform (${nodePlatform})`,
  };
}

/** The manifests to read (by digest) before every running digest of these images can be judged. */
export function manifestsToInspect(
  images: readonly ImageInUse[],
  resolutions: ReadonlyMap<string, Resolution>,
): { image: ImageInUse; digest: string; platform: boolean }[] {
  const wanted: { image: ImageInUse; digest: string; platform: boolean }[] = [];
  for (const image of images) {
    const resolution = resolutions.get(image.key);
    if (!resolution?.tag.ok) continue;
    const seen = new Set<string>();
    for (const running of image.runningDigests) {
      const judgement = judgeDigest(running, resolution.tag.tag, resolution.manifests, undefined);
      if ("need" in judgement && !seen.has(judgement.need)) {
        seen.add(judgement.need);
        wanted.push({ image, digest: judgement.need, platform: judgement.platform });
      }
    }
  }
  return wanted;
}

export interface PlanInput {
  resolver: ResolverName;
  pods: readonly Pod[];
  owners: OwnerIndex;
  /** By normalized reference; a tag reference missing here is unknown. */
  resolutions: ReadonlyMap<string, Resolution>;
  /** Platforms of the nodes nodesToInspect() named (null: unreadable); without it, those stay unknown. */
  nodePlatforms?: ReadonlyMap<string, string | null>;
}

/**
 * The nodes whose platform decides some verdict: they run an older index of a multi-arch tag that moved
 * for some platforms only. Usually none; then no Node is read.
 */
export function nodesToInspect(input: PlanInput): string[] {
  const nodes = new Set<string>();
  for (const pod of input.pods) {
    const node = pod.spec.nodeName;
    if (!node || nodes.has(node)) continue;
    for (const view of containersOf(pod)) {
      if (!view.parsed.ok || view.running.kind !== "repo-digest") continue;
      const resolution = input.resolutions.get(view.parsed.key);
      if (!resolution?.tag.ok) continue;
      const judgement = judgeDigest(view.running.digest, resolution.tag.tag, resolution.manifests, undefined);
      if ("needNodePlatform" in judgement) {
        nodes.add(node);
        break;
      }
    }
  }
  return [...nodes].sort();
}

/** Decides every container and every pod in scope. */
export function decidePlan(input: PlanInput): Plan {
  const pods = input.pods.map((pod) => decidePod(pod, input));
  return { resolver: input.resolver, pods };
}

function decidePod(pod: Pod, input: PlanInput): PlanPod {
  const { direct, top } = ownersOf(pod, input.owners);
  const views = containersOf(pod);
  const node = pod.spec.nodeName ?? "";
  const nodePlatform = input.nodePlatforms ? (input.nodePlatforms.get(node) ?? null) : null;
  const containers = views.map((view) => decideContainer(view, input.resolutions, nodePlatform));
  const staleCount = containers.filter((c) => c.status === "stale").length;
  const base = {
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? "",
    node: pod.spec.nodeName ?? "",
    terminating: pod.metadata.deletionTimestamp !== undefined,
    labels: pod.metadata.labels ?? {},
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
    return "Job pod has not finished: deleting it would count as a failure against the Job's backoffLimit";
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

/** The Plan document carries sha256 digests only (its contract); another algorithm is shown as null. */
const sha256Digest = /^sha256:[0-9a-f]{64}$/;
const documented = (digest: string | null) => (digest !== null && sha256Digest.test(digest) ? digest : null);

function decideContainer(
  view: ContainerView,
  resolutions: ReadonlyMap<string, Resolution>,
  nodePlatform: string | null,
): PlanContainer {
  const runningDigest = documented(view.running.kind === "repo-digest" ? view.running.digest : null);
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
    latestDigest: documented(latestDigest),
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
      if (runningDigest === null) {
        return result(
          "unknown",
          `runs a digest of an algorithm this tool does not compare (sha256 only)`,
          latest,
        );
      }
      break;
  }
  if (running.repository !== repositoryOf(ref)) {
    const from = running.repository ?? "an unparseable repository";
    return result("unknown", `runs an image from ${from}, not from ${repositoryOf(ref)}`, latest);
  }
  if (!resolution) return result("unknown", "not resolved");
  if (!resolution.tag.ok) return result("unknown", resolution.tag.reason);

  const judgement = judgeDigest(running.digest, resolution.tag.tag, resolution.manifests, nodePlatform);
  if ("need" in judgement) return result("unknown", `manifest ${judgement.need} was not read`, latest);
  if ("needNodePlatform" in judgement) return result("unknown", mixedMoveReason, latest);
  return result(judgement.status, judgement.reason, latest);
}
