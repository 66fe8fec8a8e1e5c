/**
 * Is the image a container runs the image its tag points to now? Runtimes key images by config digest and
 * report whichever of an image's repository digests they like (containerd: the smallest), so a running
 * digest that differs from the tag's can still be the tag's very image: a child of the tag's index, an
 * index holding the tag's manifest, or another manifest (or repository) with the same config. Restarting
 * such a container would bring back the same digest forever. So a differing digest is stale only when no
 * such sameness holds; manifests are read by digest, only when the digests differ. Pure.
 */
import { statesNoVariant } from "./manifest.js";
import type { IndexChild, ManifestInfo, TagDigest } from "./resolution.js";

/**
 * A manifest to read by digest from `repository`; `platform`: also the platform a single manifest's
 * config states.
 */
export interface ManifestNeed {
  repository: string;
  digest: string;
  platform: boolean;
}

/** A verdict on one running digest, or what must be learned first to reach one. */
export type DigestJudgement =
  /** `noImageToRun`: unknown because the tag has no image for the platform, which a new pod could not run. */
  | { status: "current" | "stale" | "unknown"; reason: string; noImageToRun?: true }
  | { needs: ManifestNeed[] }
  /**
   * The node's platform decides (the tag moved for some platforms only, say); `reason` if it cannot be known.
   */
  | { needNodePlatform: true; reason: string };

/** What the node runs: the digest in its imageID and the repository that digest was named in. */
export interface RunningDigest {
  digest: string;
  repository: string;
}

/**
 * What is known of a node's platform: `linux/arm64/v8` (as index children name theirs); null when the
 * node could not be read; undefined when it was not asked (no verdict needed it yet).
 */
export type NodePlatform = string | null | undefined;

const mixedMoveReason = "the tag moved for some platforms only, and the node's platform is not known";

/** The manifests read, by digest, as the running side's repository sees them (core/decide.ts readFrom). */
export type Manifests = Pick<ReadonlyMap<string, ManifestInfo>, "get" | "has">;
type Single = Extract<ManifestInfo, { isIndex: false }>;
type Index = Extract<ManifestInfo, { isIndex: true }>;

const current = (reason = ""): DigestJudgement => ({ status: "current", reason });
const stale: DigestJudgement = { status: "stale", reason: "" };
const unknown = (reason: string): DigestJudgement => ({ status: "unknown", reason });
const noImageFor = (platforms: string): DigestJudgement => ({
  status: "unknown",
  reason: `the tag no longer has an image for ${platforms}`,
  noImageToRun: true,
});
const needs = (...list: ManifestNeed[]): DigestJudgement => ({ needs: list });
const byNode = (reason: string): DigestJudgement => ({ needNodePlatform: true, reason });
const sameConfig = (config: string) => current(`the same image (config ${config}) under another digest`);
/**
 * A running manifest the registry does not have (a retention policy deleted it): nothing proves it the same.
 */
const gone = (why: string, what = "the running manifest"): DigestJudgement => ({
  status: "stale",
  reason: `${what} could not be read (${why}), so its digest alone decides`,
});
type Failed = Extract<ManifestInfo, { ok: false }>;
/**
 * A read of the running side that failed for another reason than the registry not having the manifest
 * (a 429, a 5xx, a refused login): it decides nothing, so the verdict is unknown rather than what the
 * digests alone would say. (A running manifest the registry lost leaves the digests to decide.)
 */
const failedRead = (info: ManifestInfo | undefined): info is Failed =>
  info !== undefined && !info.ok && info.missing !== true;
/** Any failed read of the tag's side, the registry not having it included: the tag's image is not known. */
const tagUnread = (info: ManifestInfo | undefined): info is Failed => info !== undefined && !info.ok;
const unreadable = (what: string, info: Failed) => unknown(`could not read ${what}: ${info.reason}`);
/** Why the registry no longer has a manifest of the running side, or null when it was read. */
const lostReason = (info: ManifestInfo | undefined): string | null => (info && !info.ok ? info.reason : null);

/** Judges a running digest against the tag's digest of `tagRepository`. */
export function judgeRunningDigest(
  running: RunningDigest,
  tagRepository: string,
  tag: TagDigest,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  if (running.digest === tag.digest) return current();
  if (tag.sameImageDigests.includes(running.digest)) {
    // docker's record of the same image holds for docker's own platform: for an index, compare platforms.
    const info = manifests.get(running.digest);
    if (!info) return needs({ repository: running.repository, digest: running.digest, platform: false });
    if (!info.ok) return unreadable("the running manifest, to tell whether it is an index", info);
    if (!info.isIndex) return current();
  }
  const otherRepository = running.repository !== tagRepository;
  const verdict = judgeSameRepository(running, tagRepository, tag, manifests, nodePlatform);
  // Another repository's digest proves nothing stale: only sameness is taken from it.
  if (otherRepository && "status" in verdict && verdict.status === "stale") {
    return unknown(`runs an image from ${running.repository}, not from ${tagRepository}`);
  }
  return verdict;
}

function judgeSameRepository(
  running: RunningDigest,
  tagRepository: string,
  tag: TagDigest,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  // A single manifest's platform is asked for with it, in againstSingleTag; an index states its children's.
  const tagNeed = { repository: tagRepository, digest: tag.digest, platform: false };
  const latest = manifests.get(tag.digest);
  // The manifest read by digest says what the tag names; the HEAD's Content-Type only until it is read (a
  // proxy cache may label an index a single manifest: taken at its word, every child would look stale).
  const namesSingle = latest?.ok ? !latest.isIndex : tag.isIndex === false;
  if (namesSingle) return againstSingleTag(running, tagNeed, latest, manifests, nodePlatform);
  if (!latest) return needs(tagNeed);
  // The docker resolver's pull does not say which the tag names.
  const named = tag.isIndex === null ? "manifest" : "index";
  if (!latest.ok) return unknown(`could not read the tag's ${named}: ${latest.reason}`);
  if (!latest.isIndex) return stale; // unreachable: a single manifest is handled above
  if (latest.children.some((child) => child.digest === running.digest)) return current();
  const twice = repeatedPlatform(latest);
  if (twice)
    return unknown(`the tag's index has several images for ${twice}, told apart by what is not compared`);
  const old = manifests.get(running.digest);
  if (!old || (old.ok && !old.isIndex && old.platform === undefined)) {
    return needs({ repository: running.repository, digest: running.digest, platform: true });
  }
  if (!old.ok) {
    return unknown(`could not read the running index to compare platforms: ${old.reason}`);
  }
  const exact = exactPlatform(nodePlatform);
  if (!old.isIndex) return platformManifestAgainstIndex(old, latest, tagRepository, manifests, exact);
  const oldTwice = repeatedPlatform(old);
  if (oldTwice) {
    return unknown(
      `the running index has several images for ${oldTwice}, told apart by what is not compared`,
    );
  }
  return comparePlatforms(running.repository, old, tagRepository, latest, manifests, exact);
}

/**
 * The node's platform where it names one image platform; a 32-bit ARM node's, which states no variant,
 * counts as not known (null) but where only its architecture matters (goneOnNode).
 */
function exactPlatform(nodePlatform: NodePlatform): NodePlatform {
  return typeof nodePlatform === "string" && statesNoVariant(nodePlatform) ? null : nodePlatform;
}

/**
 * The tag names one image manifest. A different digest is the same image when the running manifest has the
 * tag's config, or is an index holding the tag's manifest (or its config) for the node's platform; it is
 * stale only when the tag's image is for the platform the node runs. A running manifest the registry no
 * longer has leaves the verdict where digests alone put it (stale), once the tag's own manifest is read and
 * is for the node's platform; any other failed read leaves it unknown.
 */
function againstSingleTag(
  running: RunningDigest,
  tagNeed: ManifestNeed,
  latest: ManifestInfo | undefined,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  const old = manifests.get(running.digest);
  const missing: ManifestNeed[] = [];
  // With their platforms: two different images are compared by platform too (singleAgainstSingle).
  if (!latest) missing.push({ ...tagNeed, platform: true });
  if (!old) missing.push({ repository: running.repository, digest: running.digest, platform: true });
  if (missing.length > 0) return needs(...missing);
  const notImage = notAnImageNow(latest, old);
  if (notImage) return { ...unknown(notImage), noImageToRun: true };
  // A registry that 404s the tag's manifest too serves no reads by digest: the running one's 404 proves
  // nothing.
  if (tagUnread(latest)) return unreadable("the tag's manifest", latest);
  if (old && !old.ok) {
    if (!old.missing) return unreadable("the running manifest", old);
    // Nor does it prove anything when the tag's manifest came with its tag: the registry may serve none
    // by digest.
    if (latest?.ok && latest.readByTag) {
      return unknown(
        `could not read the running manifest (${old.reason}), and this registry's manifests were read only by their tag (it sends no digest header): whether it serves reads by digest is not known`,
      );
    }
    return goneOnNode(old.reason, latest, tagNeed, nodePlatform);
  }
  if (!latest?.ok || latest.isIndex || !old?.ok || latest.config === null) return stale;
  if (!old.isIndex) {
    if (old.config === latest.config) return sameConfig(latest.config);
    return singleAgainstSingle(running, tagNeed, old, latest);
  }

  // The node runs an index, the tag now names one image: that is the node's image only for the node's own
  // platform, and a node of another platform has nothing to run from the tag any more.
  if (latest.platform === undefined) return needs({ ...tagNeed, platform: true });
  const platforms = old.children.filter((child) => child.platform !== null);
  // A child without a platform runs on any node, so one platform named beside it is not the node's.
  const only = platforms.length === 1 && old.children.length === 1 ? platforms[0]!.platform : null;
  const node = exactPlatform(nodePlatform);
  const platform = typeof node === "string" ? node : only;
  // Two images for the platform that matters (Windows images told apart by os.version): which one the node
  // runs is not known.
  const mattering = platform ?? latest.platform;
  if (mattering && old.children.filter((child) => child.platform === mattering).length > 1) {
    return unknown(
      `the running index has several images for ${mattering}, told apart by what is not compared`,
    );
  }
  if (platform === null) {
    // Which of the index's platforms the node runs is not known, and the verdict depends on it: on a node
    // of the tag's platform its child is the tag's image or not; on another, the tag has nothing to run.
    // That child is read first: once the nodes are read, no manifest is.
    // An image that states no platform is taken for any: whichever child the node runs is compared with it.
    const holds = old.children.some((child) => child.digest === tagNeed.digest);
    const candidates = latest.platform
      ? [old.children.find((c) => c.platform === latest.platform) ?? lonePlatformless(old)]
      : old.children;
    const unread = holds
      ? []
      : candidates.filter((c): c is IndexChild => c !== undefined && !manifests.has(c.digest));
    if (unread.length > 0) {
      return needs(
        ...unread.map((c) => ({ repository: running.repository, digest: c.digest, platform: false })),
      );
    }
    const why = `the tag now names an image for ${latest.platform ?? "one platform"} only, and the node's platform is not known`;
    // As comparePlatforms marks its twin: the node may be one the tag no longer has an image for.
    return node === undefined ? byNode(why) : { ...unknown(why), noImageToRun: true };
  }
  if (latest.platform !== null && latest.platform !== platform) {
    return noImageFor(platform);
  }
  // An index's only child that names no platform stands for any; with none for the node, what it runs
  // from the index is not known.
  const mine = old.children.find((child) => child.platform === platform) ?? lonePlatformless(old);
  if (!mine) return unknown(`the running index has no image for ${platform}`);
  if (mine.digest === tagNeed.digest) return current();
  const child = manifests.get(mine.digest);
  if (!child) return needs({ repository: running.repository, digest: mine.digest, platform: false });
  if (failedRead(child)) return unreadable(`the running index's image for ${platform}`, child);
  if (child.ok && child.isIndex)
    return unknown(`the running index's image for ${platform} is itself an index`);
  const lostWhy = lostReason(child);
  if (lostWhy !== null) return gone(lostWhy, `the running index's image for ${platform}`);
  return child.config === latest.config ? sameConfig(latest.config) : stale;
}

/**
 * Why the tag's manifest is nothing a new pod could run, or null: it names no config, or it is an artifact
 * (a Helm chart pushed to the image's repository under the same version tag) where the pod runs an image.
 * A pod running such a type itself (a Wasm image's config) is compared as any other.
 */
function notAnImageNow(latest: ManifestInfo | undefined, old: ManifestInfo | undefined): string | null {
  if (!latest?.ok || latest.isIndex) return null;
  if (latest.config === null) return "the tag's manifest names no image config";
  if (latest.notImage === undefined) return null;
  if (old?.ok && !old.isIndex && old.notImage === latest.notImage) return null;
  return `the tag now names ${latest.notImage}, not a container image`;
}

/**
 * The running manifest is gone; the tag names one image. Its digest alone decides on a node of the image's
 * platform; on a node of another, the tag has nothing to run (a pod there would not start), so the node's
 * platform is asked for when the image states one. Where the nodes cannot be read (the CronJob may not),
 * the digest alone decides: most clusters run one platform, and a registry's retention policy deletes old
 * manifests every day.
 */
function goneOnNode(
  why: string,
  latest: ManifestInfo | undefined,
  tagNeed: ManifestNeed,
  nodePlatform: NodePlatform,
): DigestJudgement {
  if (!latest?.ok || latest.isIndex || latest.platform === null) return gone(why);
  if (latest.platform === undefined) return needs({ ...tagNeed, platform: true });
  if (nodePlatform === undefined) return byNode(`the running manifest could not be read (${why})`);
  if (nodePlatform === null || nodePlatform === latest.platform) return gone(why);
  // A 32-bit ARM node of the image's architecture: only the variant is not known, as where the nodes
  // cannot be read.
  if (statesNoVariant(nodePlatform) && latest.platform.startsWith(`${nodePlatform}/`)) return gone(why);
  return noImageFor(nodePlatform);
}

/**
 * Two images with different configs: the tag's replaces the running one only if it is for the same
 * platform. A tag pushed again for another platform only (amd64 where the node ran arm64) has nothing the
 * node can run, so it is unknown, as for an index that lost the node's platform; a config that states no
 * platform leaves it to the digests.
 */
function singleAgainstSingle(
  running: RunningDigest,
  tagNeed: ManifestNeed,
  old: Single,
  latest: Single,
): DigestJudgement {
  const missing: ManifestNeed[] = [];
  if (latest.platform === undefined) missing.push({ ...tagNeed, platform: true });
  if (old.platform === undefined)
    missing.push({ repository: running.repository, digest: running.digest, platform: true });
  if (missing.length > 0) return needs(...missing);
  if (old.platform && latest.platform && old.platform !== latest.platform) {
    return noImageFor(old.platform);
  }
  return stale;
}

/**
 * A platform manifest (CRI-O runs one) that the tag's index does not list: stale if the index has an image
 * for that platform with another config, the same image if its config is the same, and unknown if the
 * index no longer has an image for that platform at all (the replacement might find nothing to run).
 */
function platformManifestAgainstIndex(
  old: Single,
  latest: Index,
  tagRepository: string,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  if (old.config === null) return unknown("the running manifest names no config to compare");
  if (!old.platform)
    return platformlessAgainstIndex(old.config, latest, tagRepository, manifests, nodePlatform);
  // The index's only child without a platform stands for the platform its config states, or for any.
  const named = latest.children.find((child) => child.platform === old.platform);
  const lone = named ? undefined : lonePlatformless(latest);
  if (lone) {
    const its = lonePlatform(lone, tagRepository, manifests);
    if (!("platform" in its)) return its;
    if (its.platform !== null && its.platform !== old.platform) return noImageFor(old.platform);
  }
  const now = named ?? lone;
  if (!now) return noImageFor(old.platform);
  const child = manifests.get(now.digest);
  if (!child) return needs({ repository: tagRepository, digest: now.digest, platform: false });
  if (tagUnread(child)) return unreadable(`the tag's image for ${old.platform}`, child);
  if (child.isIndex) return unknown(`the tag's image for ${old.platform} is itself an index`);
  return child.config === old.config ? sameConfig(old.config) : stale;
}

/**
 * A running manifest whose config states no platform, against the tag's index: the same image when any of
 * the index's images has its config. Otherwise the tag names none of it, and the node's platform says
 * whether a new pod would find an image to run.
 */
function platformlessAgainstIndex(
  config: string,
  latest: Index,
  tagRepository: string,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  const unread = latest.children.filter((child) => !manifests.has(child.digest));
  if (unread.length > 0) {
    return needs(...unread.map(({ digest }) => ({ repository: tagRepository, digest, platform: false })));
  }
  for (const { digest, platform } of latest.children) {
    const child = manifests.get(digest)!;
    if (tagUnread(child)) return unreadable(`the tag's image for ${platform ?? digest}`, child);
    if (!child.isIndex && child.config === config) return sameConfig(config);
  }
  const lone = lonePlatformless(latest);
  let loneFor: string | false = false;
  if (lone) {
    const its = lonePlatform(lone, tagRepository, manifests);
    if (!("platform" in its)) return its;
    if (its.platform === null) return stale;
    loneFor = its.platform;
  }
  const why = "the running image states no platform, and the node's platform is not known";
  if (nodePlatform === undefined) return byNode(why);
  // Unread node: a new pod might land where the tag has no image for it, so the pod is held.
  if (nodePlatform === null) return { ...unknown(why), noImageToRun: true };
  const forNode = latest.children.some(
    (child) => (child === lone ? loneFor : child.platform) === nodePlatform,
  );
  return forNode ? stale : noImageFor(nodePlatform);
}

/**
 * The platform the tag's only image without a platform in its index is for: the one its config states
 * (containerd matches such an entry by its config, so a node of another platform finds nothing to run, and
 * CRI-O would run it there and fail), or null when the config states none: then it stands for any. False
 * when it is no image (an SBOM or signature beside the images): neither runtime runs it on any platform.
 */
function lonePlatform(
  lone: IndexChild,
  repository: string,
  manifests: Manifests,
  side: "tag" | "running" = "tag",
): { platform: string | null | false } | DigestJudgement {
  const info = manifests.get(lone.digest);
  if (!info || (info.ok && !info.isIndex && info.platform === undefined)) {
    return needs({ repository, digest: lone.digest, platform: true });
  }
  // Any failed read of the tag's side leaves it unknown; the running side's lost manifest only says nothing.
  if (!info.ok && (side === "tag" || info.missing !== true)) {
    return unreadable(`the ${side === "tag" ? "tag's" : "running index's"} image without a platform`, info);
  }
  if (isNoImage(info)) return { platform: false };
  return { platform: info.ok && !info.isIndex ? (info.platform ?? null) : null };
}

/**
 * An older index against the tag's index, platform by platform: a platform is unchanged when its child
 * digest is the same or its child manifests have the same config (each index's only child without a
 * platform stands for the same platform as the other's). A uniform answer needs no node: every
 * platform unchanged (current) or every one moved (stale). Otherwise the node's platform decides, when its
 * Node object says it and the old index has exactly that platform. A platform the tag no longer has is
 * never stale: the replacement might find no image to run.
 */
function comparePlatforms(
  oldRepository: string,
  old: Index,
  latestRepository: string,
  latest: Index,
  manifests: Manifests,
  nodePlatform: NodePlatform,
): DigestJudgement {
  const now = new Map(latest.children.map((child) => [child.platform ?? child.digest, child.digest]));
  // Children without a platform are paired by digest; the one such child of each index, with each other.
  // That one stands for the platform its config states (any, where it states none), the node's too when no
  // child names it.
  const oldLone = lonePlatformless(old);
  const mine = nodePlatform
    ? (old.children.find((child) => child.platform === nodePlatform) ?? oldLone)
    : undefined;
  // An entry that is no image (an SBOM beside the images) served no node: it is neither moved nor removed.
  const considered = mine ? [mine] : old.children.filter((child) => !isNoImage(manifests.get(child.digest)));
  const latestLone = lonePlatformless(latest);
  // Platforms the tag names that the running index did not: nodes its lone child served may now get them.
  const newlyNamed = latest.children.some(
    (child) => child.platform !== null && !old.children.some((o) => o.platform === child.platform),
  );
  // Which of the tag's images stands in for the running index's lone child depends on the node's platform,
  // and once the nodes are read no manifest is: every candidate is read first.
  if (nodePlatform === undefined && oldLone && (newlyNamed || latestLone?.digest !== oldLone.digest)) {
    const named = new Set(old.children.map((child) => child.platform));
    const unread = [
      { repository: oldRepository, child: oldLone },
      ...latest.children
        .filter((child) => !named.has(child.platform) || child === latestLone)
        .map((child) => ({ repository: latestRepository, child })),
    ].filter(({ child }) => {
      // A lone child read before without its platform (for another pod) is read again with it.
      const info = manifests.get(child.digest);
      return !info || (child.platform === null && info.ok && !info.isIndex && info.platform === undefined);
    });
    if (unread.length > 0) {
      // The lone children with their platforms: which platform each is for may decide (lonePlatform).
      return needs(
        ...unread.map(({ repository, child }) => ({
          repository,
          digest: child.digest,
          platform: child.platform === null,
        })),
      );
    }
  }
  // What the tag has for a child of the running index: for its lone child, the image for the node's platform
  // first; then the child's own platform's (or, without one, the same digest); else the tag's lone child
  // without a platform, for a platform it does not name (and its config does not rule out, below).
  const successor = (child: IndexChild): string | undefined => {
    const forNode = child === oldLone && typeof nodePlatform === "string" ? now.get(nodePlatform) : undefined;
    const standIn = child.platform !== null || child === oldLone ? latestLone?.digest : undefined;
    return forNode ?? now.get(child.platform ?? child.digest) ?? standIn;
  };

  const missing: ManifestNeed[] = [];
  /** Why the node's platform decides, where a lone child's platform could not be learned. */
  let nodeDecides: string | null = null;
  const changes = new Map<IndexChild, "unchanged" | "moved" | "removed">();
  /** Moved children of the running index the registry no longer has: their digests alone decide. */
  const lost = new Map<IndexChild, string>();
  for (const child of considered) {
    let latestDigest = successor(child);
    // The tag's lone child standing in for a platform: only where its config states that one, or none. The
    // running lone child is for the node's platform, which its own config states when the node is not known.
    if (latestLone && latestDigest === latestLone.digest && latestDigest !== child.digest) {
      const ran =
        child.platform !== null
          ? { platform: child.platform }
          : typeof nodePlatform === "string"
            ? { platform: nodePlatform }
            : lonePlatform(child, oldRepository, manifests, "running");
      const its = lonePlatform(latestLone, latestRepository, manifests);
      const unread = [ran, its].flatMap((x) => ("needs" in x ? x.needs : []));
      if (unread.length > 0) {
        // Each once: the lone child stands in for every platform the tag no longer names.
        const asked = (n: ManifestNeed) =>
          missing.some((m) => m.digest === n.digest && m.repository === n.repository && m.platform);
        missing.push(...unread.filter((need) => !asked(need)));
        continue;
      }
      if (!("platform" in ran)) return ran;
      if (!("platform" in its)) return its;
      // No image at all: no platform it stands in for.
      if (its.platform === false) latestDigest = undefined;
      else if (ran.platform === null && its.platform !== null) {
        // Which platform the running image served is not known (its config states none, or the registry lost
        // it), and the tag's is for one platform only: the node's decides, once every other child is read.
        nodeDecides = `the tag's image without a platform is for ${its.platform} only, and the node's platform is not known`;
        continue;
      } else if (ran.platform !== null && its.platform !== null && its.platform !== ran.platform) {
        latestDigest = undefined;
      }
    }
    if (latestDigest === undefined) changes.set(child, "removed");
    else if (latestDigest === child.digest) changes.set(child, "unchanged");
    else {
      const a = manifests.get(child.digest);
      const b = manifests.get(latestDigest);
      if (!a) missing.push({ repository: oldRepository, digest: child.digest, platform: child === oldLone });
      const bLone = latestDigest === latestLone?.digest;
      if (!b) missing.push({ repository: latestRepository, digest: latestDigest, platform: bLone });
      const running = `the running index's ${imageFor(child)}`;
      const tags = `the tag's ${imageFor(child)}`;
      if (failedRead(a)) return unreadable(running, a);
      if (tagUnread(b)) return unreadable(tags, b);
      // A nested index's images are not compared: which of them the node runs is not known.
      if (a?.ok && a.isIndex) return unknown(`${running} is itself an index`);
      if (b?.ok && b.isIndex) return unknown(`${tags} is itself an index`);
      const same = a?.ok && !a.isIndex && b?.ok && !b.isIndex && a.config !== null && a.config === b.config;
      changes.set(child, same ? "unchanged" : "moved");
      const lostWhy = lostReason(a);
      if (lostWhy !== null) lost.set(child, lostWhy);
    }
  }
  if (missing.length > 0) return needs(...missing);
  if (nodeDecides !== null) {
    return nodePlatform === undefined ? byNode(nodeDecides) : { ...unknown(nodeDecides), noImageToRun: true };
  }
  // A node the running index's lone child served takes the tag's image for its platform, where the tag now
  // names one, before any without a platform (containerd and CRI-O rank them so): on a node not known, which
  // of the tag's images stands in depends on its platform.
  if (typeof nodePlatform !== "string" && oldLone && considered.includes(oldLone) && newlyNamed) {
    const why =
      "the running index's image without a platform stood for the node's, and the tag now names images for some platforms: which one a new pod runs depends on the node's platform, not known";
    if (nodePlatform === undefined) return byNode(why);
    // Without an image for any platform, the tag may have nothing for the node.
    return latestLone ? unknown(why) : { ...unknown(why), noImageToRun: true };
  }

  // A stale verdict that rests on a lost child's digest alone says so.
  const staleFor = (children: readonly IndexChild[]): DigestJudgement => {
    const child = children.find((c) => lost.has(c));
    return child ? gone(lost.get(child)!, `the running index's ${imageFor(child)}`) : stale;
  };
  if (mine) {
    const change = changes.get(mine);
    if (change === "removed") return noImageFor(mine.platform ?? String(nodePlatform));
    return change === "unchanged" ? current() : staleFor([mine]);
  }
  const removed = considered.filter((child) => changes.get(child) === "removed");
  if (removed.length > 0) {
    // A node of another platform still has its image: the node's platform decides. When it cannot be
    // known, the node may be one the tag no longer has an image for.
    const platforms = removed.map((child) => child.platform ?? "its image without a platform").join(", ");
    const why = `the tag no longer has an image for ${platforms}, and the node's platform is not known`;
    if (nodePlatform === undefined) return byNode(why);
    return { ...unknown(why), noImageToRun: true };
  }
  const unchanged = considered.filter((child) => changes.get(child) === "unchanged").length;
  if (unchanged === considered.length) return current();
  if (unchanged === 0) return staleFor(considered);
  if (nodePlatform === undefined) return byNode(mixedMoveReason);
  if (nodePlatform === null) return unknown(mixedMoveReason);
  return unknown(
    `the tag moved for some platforms only, and the running index has no image for exactly the node's platform (${nodePlatform})`,
  );
}

/** A manifest read that is no container image (an artifact: an SBOM, a signature). */
function isNoImage(info: ManifestInfo | undefined): boolean {
  return info?.ok === true && !info.isIndex && info.notImage !== undefined;
}

/** "image for linux/amd64", or "image without a platform". */
function imageFor(child: IndexChild): string {
  return child.platform === null ? "image without a platform" : `image for ${child.platform}`;
}

/** The index's only child that names no platform, if it has exactly one. */
export function lonePlatformless(index: Index): IndexChild | undefined {
  const platformless = index.children.filter((child) => child.platform === null);
  return platformless.length === 1 ? platformless[0] : undefined;
}

/** A platform two children of the index share (Windows images differing only in os.version), or null. */
function repeatedPlatform(index: Index): string | null {
  const seen = new Set<string>();
  for (const { platform } of index.children) {
    if (platform === null) continue;
    if (seen.has(platform)) return platform;
    seen.add(platform);
  }
  return null;
}
