/**
 * When is it safe to delete the next pod of a controller? When as many of its pods are Ready as before
 * the last deletion, not counting the deleted one. Pure: the pods come from a kubectl list.
 */

import { firstFew } from "../util/first-few.js";
import { parseImageId, type RunningImage } from "./image-id.js";
import type { Pod } from "./k8s.js";
import type { PlanContainer, PlanPod } from "./plan.js";
import { podOrdinal } from "./workload.js";

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A label selector in kubectl's `-l` syntax. */
export function selectorString(selector: LabelSelector): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") terms.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") terms.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") terms.push(e.key);
    else if (e.operator === "DoesNotExist") terms.push(`!${e.key}`);
  }
  return terms.join(",");
}

/**
 * A selector of the labels every one of these pods has (`k=v,…`, sorted; "" when none): a controller's
 * selector matches its pods' labels, so it finds those pods and few others.
 */
export function sharedLabelsSelector(pods: readonly { labels: Readonly<Record<string, string>> }[]): string {
  const [first, ...rest] = pods;
  if (!first) return "";
  return Object.entries(first.labels)
    .filter(([key, value]) => rest.every((pod) => pod.labels[key] === value))
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join(",");
}

/** Ready, not terminating pods controlled by `controllerUid`, leaving out `excludeUid`. */
export function readyPodCount(
  pods: readonly PodWithConditions[],
  controllerUid: string,
  excludeUid?: string,
): number {
  return pods.filter((pod) => pod.metadata.uid !== excludeUid && isLive(pod, controllerUid) && isReady(pod))
    .length;
}

/**
 * The names of the pods controlled by `controllerUid` that should be serving and are not Ready: Pending or
 * Running, not terminating. A pod that has ended (Failed: evicted by its kubelet, shut down with its node)
 * is not one of them; the controller has already replaced it, and it stays until it is collected.
 */
export function notReadyPods(pods: readonly PodWithConditions[], controllerUid: string): string[] {
  return pods
    .filter((pod) => isLive(pod, controllerUid) && !hasEnded(pod) && !isReady(pod))
    .map((pod) => pod.metadata.name);
}

/** A container's status as far as it says why the container waits to start. */
export interface WaitingStatus {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** The containers of a pod that wait to start, init ones first, with what their kubelet says. */
export function containerWaits(pod: {
  status?: { initContainerStatuses?: readonly WaitingStatus[]; containerStatuses?: readonly WaitingStatus[] };
}): { container: string; reason: string; message?: string }[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.flatMap(({ name, state }) => {
    const { reason, message } = state?.waiting ?? {};
    return reason ? [{ container: name, reason, ...(message ? { message } : {}) }] : [];
  });
}

/**
 * What the kubelets say of these pods' waiting containers, ` (web-1's app ImagePullBackOff)` for the first
 * few; empty when none says anything. PodInitializing says only that an init container has not finished,
 * which says its own.
 */
export function waitingNote(pods: readonly PodWithConditions[]): string {
  const said = pods.flatMap((pod) =>
    containerWaits(pod)
      .filter((wait) => wait.reason !== "PodInitializing")
      .map((wait) => `${pod.metadata.name}'s ${wait.container} ${wait.reason}`),
  );
  return said.length > 0 ? ` (${firstFew(said)})` : "";
}

/**
 * The names of the pods controlled by `controllerUid` that are terminating and have not ended. A StatefulSet
 * or DaemonSet makes a pod's successor only once it is gone, so until then each is one pod short.
 * `successorOnNode`: a DaemonSet's, which makes it at once under a rolling update's surge; a terminating pod
 * whose node already runs a live pod of it is not missing.
 */
export function terminatingPods(
  pods: readonly PodWithConditions[],
  controllerUid: string,
  successorOnNode = false,
): string[] {
  const served = successorOnNode
    ? new Set(
        livePods(pods, controllerUid)
          .filter((pod) => !hasEnded(pod))
          .map((pod) => pod.spec.nodeName),
      )
    : new Set<string | undefined>();
  return pods
    .filter((pod) => pod.metadata.deletionTimestamp && isControlledBy(pod, controllerUid) && !hasEnded(pod))
    .filter((pod) => !(pod.spec.nodeName && served.has(pod.spec.nodeName)))
    .map((pod) => pod.metadata.name);
}

/** What a controller says of how many pods it should have: its object as the API server serves it. */
export interface ControllerCounts {
  /**
   * `ordinals.start`: a StatefulSet's first ordinal (0 when unset); `minReadySeconds`: how long a pod must
   * have been Ready to count as available.
   */
  spec?: { replicas?: number; ordinals?: { start?: number }; minReadySeconds?: number };
  /**
   * A DaemonSet's: the nodes it is to run on, and those that run a pod of it they should not (see
   * core/workload.ts daemonPodsWithoutSuccessor).
   */
  status?: {
    desiredNumberScheduled?: number;
    numberMisscheduled?: number;
    /**
     * How many of its pods are Ready, and available (Ready for minReadySeconds by the API server's clock).
     */
    readyReplicas?: number;
    availableReplicas?: number;
    numberReady?: number;
    numberAvailable?: number;
  };
}

/**
 * How many of a controller's pods are Ready but not yet available, as its status counts them: by the API
 * server's clock, which may be apart from this one. 0 when its status does not say.
 */
export function readyNotAvailable(counts: ControllerCounts): number {
  const s = counts.status ?? {};
  const ready = s.readyReplicas ?? s.numberReady;
  // The API server leaves a count of 0 out (omitempty): Ready pods and none available states no available.
  const available = s.availableReplicas ?? s.numberAvailable ?? 0;
  return ready === undefined ? 0 : Math.max(0, ready - available);
}

/**
 * Whether a StatefulSet's pod (`NAME-ORDINAL`) is beyond the ordinals its replica count now reaches: scaled
 * down, it gets no successor, so while it terminates the StatefulSet is short of nothing it should have.
 */
export function isScaledAway(statefulSet: string, podName: string, counts: ControllerCounts): boolean {
  const ordinal = podOrdinal(statefulSet, podName);
  return ordinal !== null && ordinal >= (counts.spec?.ordinals?.start ?? 0) + (counts.spec?.replicas ?? 1);
}

/**
 * How many pods the controller should have: a DaemonSet one per node it is to run on, the others their
 * replica count (1 when unset, as the API server defaults it). Undefined when the DaemonSet has not said.
 */
export function desiredPodCount(kind: string, controller: ControllerCounts): number | undefined {
  if (kind === "DaemonSet") return controller.status?.desiredNumberScheduled;
  return controller.spec?.replicas ?? 1;
}

/**
 * How many pods the controller is short of what it should have, of `pods` those that have not ended (ended
 * ones are replaced already): a quota or an admission webhook refusing the pods it makes, say. Each one
 * missing is capacity lost already, which no pod of it shows. A StatefulSet's or DaemonSet's pod
 * terminating counts (it is held as not Ready until gone); a ReplicaSet's is left out by the caller, as it
 * is replaced at once.
 */
export function missingPodCount(
  pods: readonly Pod[],
  controllerUid: string,
  desired: number | undefined,
): number {
  if (desired === undefined) return 0;
  const made = pods.filter((pod) => isControlledBy(pod, controllerUid) && !hasEnded(pod)).length;
  return Math.max(0, desired - made);
}

/** What a wait for a replacement read of its controller, scaled down since the pod went. */
export interface ScaledDown {
  /** How many pods it should have now, and its object as it said so. */
  desired: number;
  counts: ControllerCounts;
  /** Its pods that should be serving just before the pod went, that pod included. */
  liveBefore: number;
}

/**
 * Whether a controller scaled down since `gone` went needs no replacement of it: it should have fewer pods
 * than it had, has that many besides `gone`, all Ready, and no other pod of the workload (`workload`: the
 * UIDs of the controller and its Deployment's other ReplicaSets, a rollout's new one among them) is
 * starting; another workload's pods that the list holds (a canary's, sharing labels) are not its to wait
 * for. A StatefulSet makes a successor for every ordinal its count still reaches, once the pod is gone, so
 * only a pod scaled away needs none, and only once gone. A DaemonSet's count falls with any node that
 * leaves, so its successor is always taken as due.
 */
export function needsNoReplacement(
  pods: readonly PodWithConditions[],
  controller: { kind: string; name: string; uid: string },
  gone: { uid: string; name: string },
  scaled: ScaledDown,
  workload: ReadonlySet<string>,
): boolean {
  if (controller.kind === "DaemonSet" || scaled.desired >= scaled.liveBefore) return false;
  if (controller.kind === "StatefulSet") {
    if (!isScaledAway(controller.name, gone.name, scaled.counts)) return false;
    if (pods.some((pod) => pod.metadata.uid === gone.uid)) return false;
  }
  const kept = servingPods(pods, controller.uid).filter((pod) => pod.metadata.uid !== gone.uid);
  if (kept.length !== scaled.desired) return false;
  return [...workload].every((uid) => notReadyPods(pods, uid).length === 0);
}

/** The pods controlled by `controllerUid` that should be serving: not terminating, not ended. */
export function servingPods<T extends Pod>(pods: readonly T[], controllerUid: string): T[] {
  return livePods(pods, controllerUid).filter((pod) => !hasEnded(pod));
}

/** The pods controlled by `controllerUid`, not terminating. */
export function livePods<T extends Pod>(pods: readonly T[], controllerUid: string): T[] {
  return pods.filter((pod) => isLive(pod, controllerUid));
}

/** A pod neither being deleted nor ended: one its controller still counts, and has not replaced. */
export function isStaying(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !hasEnded(pod);
}

/** A pod that ran to its end (Succeeded, or Failed: one its kubelet evicted), left for garbage collection. */
export function hasEnded(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

function isLive(pod: PodWithConditions, controllerUid: string): boolean {
  return !pod.metadata.deletionTimestamp && isControlledBy(pod, controllerUid);
}

function isControlledBy(pod: Pod, controllerUid: string): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.controller === true && o.uid === controllerUid) === true;
}

/** Whether the pod's Ready condition is True. */
export function isReady(pod: PodWithConditions): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

/**
 * A pod with the conditions readiness needs (the plan's slim pods drop them), and why its containers wait
 * (a restart's new pod that never comes up says why).
 */
export type PodWithConditions = Pod & {
  status?: Pod["status"] & {
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: WaitingStatus[];
    initContainerStatuses?: WaitingStatus[];
  };
};

/**
 * The pods as their controller counts them under `minReadySeconds`: a pod Ready for less than that is not
 * available yet, and is taken here as not Ready, so that a new image that passes its probe and crashes
 * seconds later does not let the next pod go. `since` says when a Ready pod turned Ready (by default its
 * condition's transition time); undefined counts as long ago (the API server always sets the time).
 */
export function asAvailable<T extends PodWithConditions>(
  pods: readonly T[],
  minReadySeconds: number,
  now: number,
  since: (pod: T) => number | undefined = readySince,
): T[] {
  if (minReadySeconds <= 0) return [...pods];
  return pods.map((pod) => {
    const turned = isReady(pod) ? since(pod) : undefined;
    if (turned === undefined || turned + minReadySeconds * 1000 <= now) return pod;
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === "Ready" ? { ...c, status: "False" } : c,
    );
    return { ...pod, status: { ...pod.status, conditions } };
  });
}

/** When the pod's Ready condition last changed, by the API server's clock; undefined when not said. */
export function readySince(pod: PodWithConditions): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  const at = Date.parse(ready?.lastTransitionTime ?? "");
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The first of `stale` (a restarted pod's containers, or staleContainersOf) that `replacement` runs on the
 * same old digest again. Null when none does. The message names the likely cause: under IfNotPresent or
 * Never the node started its cached old image; under Always it pulled, so the runtime reports that digest
 * for what the tag gives it now.
 */
export function backOnOldDigest(stale: readonly PlanContainer[], replacement: Pod): string | null {
  return backOnOldDigestIn(stale, imagesRunBy(replacement));
}

function backOnOldDigestIn(stale: readonly PlanContainer[], runs: ImagesRun): string | null {
  const container = stale.find(isBackOnOldDigest(runs));
  if (container === undefined) return null;
  const cause =
    container.pullPolicy === "Always"
      ? "it was pulled (imagePullPolicy Always), so the runtime reports that digest for the tag's image: another digest of the same image, or a registry mirror serving the old one"
      : `the node started its cached image (imagePullPolicy ${container.pullPolicy})`;
  return `container ${container.name}: ${cause}`;
}

/** Those of `stale`'s stale containers that `replacement` runs on the same old digest again. */
export function containersBackOnOldDigest(
  stale: readonly PlanContainer[],
  replacement: Pod,
): PlanContainer[] {
  return stale.filter(isBackOnOldDigest(imagesRunBy(replacement)));
}

/** Whether a stale container of known old digest runs that digest again, by what a pod runs. */
function isBackOnOldDigest(runs: ImagesRun): (container: PlanContainer) => boolean {
  return (c) => staleOnKnownDigest(c) && repoDigestOf(runs(c.name)) === c.runningDigest;
}

/**
 * Those of `containers` (stale, or current and not pulled Always) that `replacement` runs on a digest
 * that is neither the one they ran nor the tag's, each as stale on that digest: a node's cached image, or
 * under Always what a registry mirror still serves for the tag, which a restart would bring again. (Had the
 * tag itself moved there during the run, the next plan finds those pods current, and the record holds
 * nothing.)
 */
export function containersOnOtherDigests(
  containers: readonly PlanContainer[],
  replacement: Pod,
): PlanContainer[] {
  const runs = digestsRunBy(replacement);
  return containers.flatMap((container) => {
    // A current one only where its node chose the image (no pull): under Always, another digest is what the
    // tag named when it was pulled (moved during the run), which the next plan judges afresh.
    const known =
      staleOnKnownDigest(container) ||
      (container.status === "current" &&
        container.runningDigest !== null &&
        container.pullPolicy !== "Always");
    const now = known ? runs(container.name) : null;
    if (now === null || now === container.runningDigest || isNewDigest(container, now)) return [];
    return [{ ...container, status: "stale" as const, runningDigest: now }];
  });
}

/**
 * Those of `stale`'s stale containers that `replacement` runs on an image its runtime names by no repository
 * digest (a bare image ID: an image imported or built on the node, never pulled): not proven on the new
 * digest, and under IfNotPresent most likely the node's own old image. Each with that image's ID.
 */
export function containersOnUnnamedImages(
  stale: readonly PlanContainer[],
  replacement: Pod,
): OnUnnamedImage[] {
  return onUnnamedImagesIn(stale, imagesRunBy(replacement));
}

/** A stale container run on an image named by no digest, and that image's ID. */
export interface OnUnnamedImage {
  container: PlanContainer;
  imageID: string;
}

/**
 * What a rollout's new pod shows against the planned pods' `stale` containers, its statuses read once: the
 * first back on its old digest (as backOnOldDigest says it), else those of `unseen` on images named by no
 * digest (as containersOnUnnamedImages names them); null when neither.
 */
export function rolledPodProblem(
  stale: readonly PlanContainer[],
  unseen: readonly PlanContainer[],
  pod: Pod,
): { back: string } | { unnamed: string[] } | null {
  const runs = imagesRunBy(pod);
  const back = backOnOldDigestIn(stale, runs);
  if (back !== null) return { back };
  const unnamed = onUnnamedImagesIn(unseen, runs);
  return unnamed.length > 0 ? { unnamed: unnamed.map(unnamedImageText) } : null;
}

/** A container on an image named by no digest, as reasons name it: `name imageID`. */
export function unnamedImageText({ container, imageID }: OnUnnamedImage): string {
  return `${container.name} ${imageID}`;
}

function onUnnamedImagesIn(stale: readonly PlanContainer[], runs: ImagesRun): OnUnnamedImage[] {
  return stale.flatMap((container) => {
    const image = staleOnKnownDigest(container) ? runs(container.name) : undefined;
    return image?.parsed.kind === "bare-id" ? [{ container, imageID: image.imageID ?? "" }] : [];
  });
}

/** The tag's digest, or (CRI-O reports the platform's image of an index) one of its index's images. */
function isNewDigest(container: PlanContainer, digest: string): boolean {
  return digest === container.latestDigest || (container.latestImages?.split("+").includes(digest) ?? false);
}

/**
 * Whether `pod` already runs every one of `stale`'s stale containers on its tag's new digest: a container
 * restarted since the plan (a crash, a liveness probe) under imagePullPolicy Always pulled the tag again.
 * False when no stale container's old digest is known.
 */
export function runsNewDigests(stale: readonly PlanContainer[], pod: Pod): boolean {
  const known = stale.filter(staleOnKnownDigest);
  const runs = digestsRunBy(pod);
  return (
    known.length > 0 &&
    known.every((c) => {
      const digest = runs(c.name);
      return digest !== null && isNewDigest(c, digest);
    })
  );
}

/**
 * The first of `stale`'s stale containers that `pod` runs on a digest that is neither its old one nor its
 * tag's new one (restarted since the plan, it pulled the tag again and got what the tag points to now),
 * where none of them still runs its old digest: one that does is still proven stale.
 */
export function runsOtherDigest(
  stale: readonly PlanContainer[],
  pod: Pod,
): { container: PlanContainer; digest: string } | null {
  const runs = digestsRunBy(pod);
  const known = stale.filter(staleOnKnownDigest);
  if (known.some((container) => runs(container.name) === container.runningDigest)) return null;
  for (const container of known) {
    const digest = runs(container.name);
    if (digest !== null && digest !== container.runningDigest && !isNewDigest(container, digest)) {
      return { container, digest };
    }
  }
  return null;
}

/** The repository digest a pod's container (or init container) runs, by name; null when it names none. */
function digestsRunBy(pod: Pod): (name: string) => string | null {
  const runs = imagesRunBy(pod);
  return (name) => repoDigestOf(runs(name));
}

function repoDigestOf(image: ImageRun | undefined): string | null {
  return image?.parsed.kind === "repo-digest" ? image.parsed.digest : null;
}

interface ImageRun {
  imageID: string | undefined;
  parsed: RunningImage;
}

type ImagesRun = (name: string) => ImageRun | undefined;

/** What a pod's container (or init container) runs, by name, its statuses read once. */
function imagesRunBy(pod: Pod): ImagesRun {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const images = new Map<string, ImageRun>();
  for (const s of statuses) {
    if (!images.has(s.name)) images.set(s.name, { imageID: s.imageID, parsed: parseImageId(s.imageID) });
  }
  return (name) => images.get(name);
}

/**
 * The stale containers of `planned` with a known old digest, each name, digest and pull policy once: the
 * pods of one template share them, and a rollout's check of every new pod against every planned pod would
 * cost their product.
 */
export function staleContainersOf(planned: readonly PlanPod[]): PlanContainer[] {
  const distinct = new Map<string, PlanContainer>();
  for (const pod of planned) {
    for (const container of pod.containers) {
      if (!staleOnKnownDigest(container)) continue;
      const key = `${container.name} ${container.runningDigest} ${container.pullPolicy}`;
      if (!distinct.has(key)) distinct.set(key, container);
    }
  }
  return [...distinct.values()];
}

/** A stale container whose old digest is known: what a replacement can be caught running again. */
function staleOnKnownDigest(container: PlanContainer): boolean {
  return container.status === "stale" && container.runningDigest !== null;
}
