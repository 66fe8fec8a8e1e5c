/**
 * What must be read before the plan can be decided: manifests by digest, the new images to describe, and
 * the nodes whose platform decides a verdict. Pure.
 */
import { IdentityMemo } from "../util/identity-memo.js";
import { containerLists, containersOf } from "./containers.js";
import type { PlanInput } from "./decide.js";
import type { ImageInUse } from "./images-in-use.js";
import { judgeByResolution } from "./judge-by-resolution.js";
import type { Pod } from "./k8s.js";
import type { IndexChild, Resolution } from "./resolution.js";
import { lonePlatformless, type ManifestNeed } from "./running-image.js";

/** The manifests to read (by digest) before every running digest of these images can be judged. */
export function manifestsToInspect(
  images: readonly ImageInUse[],
  resolutions: ReadonlyMap<string, Resolution>,
): { image: ImageInUse; need: ManifestNeed }[] {
  // One read per repository@digest; asked for with its platform by any verdict, it is read with it.
  const wanted = new Map<string, { image: ImageInUse; need: ManifestNeed }>();
  for (const image of images) {
    const resolution = resolutions.get(image.key);
    if (!resolution?.tag.ok) continue;
    for (const running of image.running.values()) {
      const judgement = judgeByResolution(running, image.ref, resolution, undefined);
      if (!("needs" in judgement)) continue;
      for (const need of judgement.needs) {
        const id = `${need.repository}@${need.digest}`;
        const known = wanted.get(id);
        if (!known) wanted.set(id, { image, need: { ...need } });
        else known.need.platform ||= need.platform;
      }
    }
  }
  return [...wanted.values()];
}

/**
 * The platform manifests that stand for the tag's new image, to be described (build time, labels): only
 * when some node runs another image of the tag. For a multi-arch tag, the platforms running platform
 * manifests state, and every platform that moved since a running index (--min-age must see the images the
 * stale pods would get, not an unchanged one, and which platform a pod on an index runs is not known: the
 * youngest decides); else the index's only platform, else linux/amd64, else its first. The first stands
 * for the rest when only one is described.
 */
export function newImagesToDescribe(image: ImageInUse, resolution: Resolution): string[] {
  if (!resolution.tag.ok) return [];
  const moved = [...image.running.values()].some((running) => {
    const judgement = judgeByResolution(running, image.ref, resolution, undefined);
    return ("status" in judgement && judgement.status === "stale") || "needNodePlatform" in judgement;
  });
  if (!moved) return [];
  const tagDigest = resolution.tag.tag.digest;
  const latest = resolution.manifests.get(tagDigest);
  if (!latest?.ok || !latest.isIndex) return [tagDigest];
  const runningPlatforms = [...image.running.values()].map((running) => {
    const info = resolution.manifests.get(running.digest);
    return info?.ok && !info.isIndex ? info.platform : undefined;
  });
  const byPlatform = (platform: string | null | undefined) =>
    latest.children.find((child) => platform && child.platform === platform);
  const runningIndexes = [...image.running.values()].flatMap((running) => {
    const info = resolution.manifests.get(running.digest);
    return info?.ok && info.isIndex ? [info] : [];
  });
  // An image without a platform stands for any the index does not name: the tag's, for a platform it does not
  // name; the running index's, for the images the tag now names for platforms it did not.
  const latestLone = lonePlatformless(latest);
  const movedSince = latest.children.filter((child) =>
    runningIndexes.some((old) => {
      const before =
        old.children.find((c) => c.platform === child.platform) ??
        (child.platform !== null ? lonePlatformless(old) : undefined);
      return before !== undefined && before.digest !== child.digest;
    }),
  );
  // A platform a pod's runtime names first (CRI-O), then those that moved under the pods that run an index.
  const named = runningPlatforms.flatMap(
    (platform) => byPlatform(platform) ?? (platform ? latestLone : undefined) ?? [],
  );
  // The tag's image without a platform, where it now serves a platform a running index named.
  const serves = (lone: IndexChild) =>
    runningIndexes.some((old) =>
      old.children.some((c) => c.platform !== null && !byPlatform(c.platform) && c.digest !== lone.digest),
    );
  const serving = latestLone && serves(latestLone) ? [latestLone] : [];
  const candidates = [...new Set([...named, ...movedSince, ...serving].map((child) => child.digest))];
  if (candidates.length > 0) return candidates;
  const chosen =
    (latest.children.length === 1 ? latest.children[0] : undefined) ??
    byPlatform("linux/amd64") ??
    latest.children[0];
  return chosen ? [chosen.digest] : [];
}

/**
 * The nodes whose platform decides some verdict: they run an older index of a multi-arch tag that moved
 * for some platforms only. Usually none; then no Node is read.
 */
export function nodesToInspect(input: PlanInput): string[] {
  const nodes = new Set<string>();
  // Pods that share their lists come to the same answer: asked once.
  const decisive = new IdentityMemo<boolean>();
  for (const pod of input.pods) {
    const node = pod.spec.nodeName;
    if (!node || nodes.has(node)) continue;
    if (decisive.get(containerLists(pod), () => needsNodePlatform(pod, input))) nodes.add(node);
  }
  return [...nodes].sort();
}

/** Whether some container's verdict depends on the platform of the pod's node. */
function needsNodePlatform(pod: Pod, input: PlanInput): boolean {
  return containersOf(pod).some(({ parsed, running }) => {
    if (!parsed.ok || running.kind !== "repo-digest" || running.repository === null) return false;
    const resolution = input.resolutions.get(parsed.key);
    if (!resolution?.tag.ok) return false;
    const digest = { digest: running.digest, repository: running.repository };
    return "needNodePlatform" in judgeByResolution(digest, parsed.ref, resolution, undefined);
  });
}
