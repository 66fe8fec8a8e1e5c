/** The unique image references the pods use: each is resolved once, whatever the pod count. */
import { IdentityMemo } from "../util/identity-memo.js";
import { type ContainerView, containerLists, containersOf } from "./containers.js";
import type { ImageRef } from "./image-ref.js";
import { type Pod, serviceAccountOf } from "./k8s.js";
import type { RunningDigest } from "./running-image.js";

/** A secret reference: pull secrets are namespaced. */
export interface SecretRef {
  namespace: string;
  name: string;
}

export interface ImageInUse {
  /** The normalized reference, the key of everything resolved about it. */
  key: string;
  ref: ImageRef;
  /** Pull secrets of the pods that run it, in first-seen order, without repeats. */
  pullSecrets: SecretRef[];
  /** Pods running it that name no pull secret: their ServiceAccount's secrets may apply. */
  serviceAccounts: SecretRef[];
  /**
   * What the nodes run for it, from imageIDs in a repository of its registry (usually its own),
   * by `repository@digest`.
   */
  running: Map<string, RunningDigest>;
  podCount: number;
}

/** Collects unique tag references; pinned references need no resolving and are left out. */
export function imagesInUse(pods: readonly Pod[]): ImageInUse[] {
  const byKey = new Map<string, ImageInUse>();
  const seenSecret = new Map<string, Set<string>>();
  const seenAccount = new Map<string, Set<string>>();
  // Pods that share their lists run the same tags; what they add beyond their count repeats unless their
  // namespace, pull secrets or ServiceAccount differ. Each is worked out once.
  const tagsOf = new IdentityMemo<PodTags>();
  const recorded = new IdentityMemo<true>();
  for (const pod of pods) {
    const found = tagsOf.get(containerLists(pod), () => podTags(pod));
    if (found.tags.length === 0) continue;
    for (const { key, ref } of found.tags) {
      let use = byKey.get(key);
      if (!use) {
        use = { key, ref, pullSecrets: [], serviceAccounts: [], running: new Map(), podCount: 0 };
        byKey.set(key, use);
        seenSecret.set(key, new Set());
        seenAccount.set(key, new Set());
      }
      use.podCount++;
    }
    const namespace = pod.metadata.namespace ?? "default";
    const secrets = pod.spec.imagePullSecrets ?? [];
    const account = secrets.length === 0 ? serviceAccountOf(pod) : null;
    recorded.get([found, namespace, pod.spec.imagePullSecrets, account], () => {
      for (const { key, running } of found.running) {
        byKey.get(key)!.running.set(`${running.repository}@${running.digest}`, running);
      }
      for (const { key } of found.tags) {
        const use = byKey.get(key)!;
        for (const { name } of secrets) addOnce(use.pullSecrets, seenSecret.get(key)!, { namespace, name });
        if (account !== null)
          addOnce(use.serviceAccounts, seenAccount.get(key)!, { namespace, name: account });
      }
      return true;
    });
  }
  return [...byKey.values()];
}

/**
 * A pod's tags (each once, in the order its containers name them) and the digests its nodes report of them.
 */
interface PodTags {
  tags: { key: string; ref: ImageRef }[];
  running: { key: string; running: RunningDigest }[];
}

function podTags(pod: Pod): PodTags {
  const tags = new Map<string, ImageRef>();
  const running: PodTags["running"] = [];
  for (const container of containersOf(pod)) {
    if (!container.parsed.ok || container.parsed.ref.digest !== null) continue;
    const { key, ref } = container.parsed;
    if (!tags.has(key)) tags.set(key, ref);
    const comparable = comparableRunning(container);
    if (comparable) running.push({ key, running: comparable });
  }
  return { tags: [...tags].map(([key, ref]) => ({ key, ref })), running };
}

/**
 * A tag's container whose node reports a digest a registry can compare. Another repository of the same
 * registry can prove the same image (runtimes report any of an image's repository digests); one on
 * another registry is left alone.
 */
function comparableRunning(container: ContainerView): RunningDigest | null {
  if (!container.parsed.ok || container.parsed.ref.digest !== null) return null;
  const running = container.running;
  if (running.kind !== "repo-digest" || !running.repository?.startsWith(`${container.parsed.ref.domain}/`)) {
    return null;
  }
  return { digest: running.digest, repository: running.repository };
}

/**
 * Whether this pod alone shows that ServiceAccounts' pull secrets will be needed: it names none of its own
 * and runs a tag worth resolving. (imagesToResolve decides in the end; a pod for which this holds is
 * always among what it decides on.)
 */
export function needsAccountSecrets(pod: Pod): boolean {
  if ((pod.spec.imagePullSecrets ?? []).length > 0) return false;
  return containersOf(pod).some((container) => comparableRunning(container) !== null);
}

/** A tag reference worth resolving: imagesToResolve will keep it, whatever the other pods run. */
export interface TagInUse {
  key: string;
  ref: ImageRef;
}

/** The tags this pod alone shows worth resolving: run by one of its containers with a comparable digest. */
export function tagsWorthResolving(pod: Pod): TagInUse[] {
  const tags = new Map<string, TagInUse>();
  for (const container of containersOf(pod)) {
    if (!container.parsed.ok || comparableRunning(container) === null) continue;
    const { key, ref } = container.parsed;
    tags.set(key, { key, ref });
  }
  return [...tags.values()];
}

function addOnce(list: SecretRef[], seen: Set<string>, ref: SecretRef): void {
  const id = `${ref.namespace}/${ref.name}`;
  if (seen.has(id)) return;
  seen.add(id);
  list.push(ref);
}

/**
 * The images worth asking a registry about: those some node runs with a comparable digest. A tag whose
 * every container is unknown anyway (bare image IDs, not started, another registry) would cost a request —
 * a counted pull on Docker Hub with the docker resolver — and decide nothing.
 */
export function imagesToResolve(images: readonly ImageInUse[]): ImageInUse[] {
  return images.filter((image) => image.running.size > 0);
}
