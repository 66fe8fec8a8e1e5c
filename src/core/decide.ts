/**
 * The decision: pods + what each tag points to now → a Plan. Pure; nothing is restarted unless a
 * container is proven stale and its pod is safe to delete.
 */

import { IdentityMemo } from "../util/identity-memo.js";
import { SharedValues } from "../util/shared-values.js";
import { withoutUrlSecrets } from "../util/url-secrets.js";
import { type ContainerView, containerLists, containersOf } from "./containers.js";
import { tooNewFor } from "./image-age.js";
import { repositoryOf } from "./image-ref.js";
import { judgeByResolution } from "./judge-by-resolution.js";
import {
  builtInControllers,
  controllerOf,
  ignoreLabel,
  isBuiltInController,
  isOptedOut,
  mirrorPodAnnotation,
  type OwnerReference,
  type Pod,
  serviceAccountOf,
  type Volume,
} from "./k8s.js";
import { isRecreatingController } from "./kind-resources.js";
import { isBeingDeleted, isListed, type OwnerIndex, ownersOf } from "./owners.js";
import {
  type ContainerStatusVerdict,
  type NewImage,
  noWarnings,
  type Plan,
  type PlanContainer,
  type PlanPod,
  type ResolverName,
} from "./plan.js";
import { hasEnded } from "./readiness.js";
import type { ImageDescription, Resolution } from "./resolution.js";
import { alreadyRestartedFor, templateRestartedFor } from "./restarted-for.js";

export interface PlanInput {
  resolver: ResolverName;
  pods: readonly Pod[];
  owners: OwnerIndex;
  /** By normalized reference; a tag reference missing here is unknown. */
  resolutions: ReadonlyMap<string, Resolution>;
  /** Platforms of the nodes nodesToInspect() named (null: unreadable); without it, those stay unknown. */
  nodePlatforms?: ReadonlyMap<string, string | null>;
  /** Pull secrets the kubelet cannot read, by `namespace/name`: why. A pod naming one is not restarted. */
  unreadablePullSecrets?: ReadonlyMap<string, string>;
  /**
   * The pull secrets' names of ServiceAccounts, by `namespace/name`: a new pod naming none of its own gets
   * its ServiceAccount's at admission, as one made since the ServiceAccount gained them already has.
   */
  accountPullSecrets?: ReadonlyMap<string, readonly string[]>;
  /** Every ServiceAccount in scope, by `namespace/name`, when listed: a new pod naming another is refused. */
  serviceAccounts?: ReadonlySet<string>;
  /** --min-age: a stale container's new image must be at least this old (by its build time) to act on. */
  minAgeMs?: number;
  /** The clock's time, for --min-age. */
  now?: number;
}

/** Decides every container and every pod in scope. */
export function decidePlan(input: PlanInput): Plan {
  // Pods of one controller come to the same verdicts about the same containers: each verdict, owner and
  // controller is made once and shared, so a plan of 150,000 pods holds little more than a name per pod.
  const made: Made = {
    shared: new SharedValues(),
    owners: new IdentityMemo(),
    verdicts: new IdentityMemo(),
    warnings: new IdentityMemo(),
  };
  const pods = input.pods.map((pod) => decidePod(pod, input, made));
  return { resolver: input.resolver, pods };
}

/**
 * Why the pod's new pod would start a node's cached old image, or null. Under imagePullPolicy Never the
 * kubelet never pulls. A DaemonSet's new pod runs on the node of the pod it replaces, which holds the old
 * image under the tag (it runs it), so under IfNotPresent that image is started again, unless the pod
 * itself shows the node has the new one by then. (A node may have pulled the tag since for another pod, but
 * the pods in scope cannot show that of every node: left alike, whatever the scope.) A Deployment's new pod
 * may land on a node that pulls: it is tried, with a warning, and checked.
 */
function startsCachedImage(
  containers: readonly PlanContainer[],
  controller: OwnerReference | null,
): string | null {
  for (const [index, c] of containers.entries()) {
    if (c.status !== "stale" || c.pullPolicy === "Always") continue;
    if (controller?.kind === "DaemonSet" && !nodeGetsNewImage(containers, index)) {
      return `imagePullPolicy ${c.pullPolicy} on container ${c.name}: a DaemonSet's new pod runs on this node, which would start its cached old image again; set imagePullPolicy: Always`;
    }
    if (c.pullPolicy === "Never") {
      return `imagePullPolicy Never on container ${c.name}: the kubelet never pulls, so a new pod would start a node's old image; set imagePullPolicy: Always`;
    }
  }
  return null;
}

/**
 * Whether the pod itself shows that its node's tag names the new image by the time container `index` starts:
 * another container of that image runs the tag's image now, or one that starts before it (init containers
 * first, then in order) pulls the tag (imagePullPolicy Always).
 */
function nodeGetsNewImage(containers: readonly PlanContainer[], index: number): boolean {
  const c = containers[index]!;
  return containers.some(
    (other, at) =>
      at !== index &&
      sameImage(other, c) &&
      (other.status === "current" || (at < index && other.pullPolicy === "Always")),
  );
}

/** Two spellings of one tag (`busybox:1.36`, `docker.io/library/busybox:1.36`) are one image to the kubelet. */
function sameImage(a: PlanContainer, b: PlanContainer): boolean {
  return a.ref !== null && b.ref !== null ? a.ref === b.ref : a.image === b.image;
}

/** What pods share, made once: owners and controllers, verdicts (by containers), restart warnings. */
interface Made {
  shared: SharedValues;
  owners: IdentityMemo<Pick<PlanPod, "owner" | "controller">>;
  verdicts: IdentityMemo<PlanContainer[]>;
  warnings: IdentityMemo<readonly string[]>;
}

function decidePod(pod: Pod, input: PlanInput, made: Made): PlanPod {
  const { shared } = made;
  const namespace = pod.metadata.namespace ?? "default";
  const direct = controllerOf(pod.metadata);
  const { owner, controller } = made.owners.get([pod.metadata.namespace, direct], () => {
    const { top } = ownersOf(pod, input.owners);
    return {
      owner: top && shared.value(`owner ${top.apiVersion} ${top.kind}/${top.name}`, () => top),
      controller:
        direct &&
        shared.value(`controller ${direct.kind}/${direct.name}/${direct.uid}`, () => ({
          kind: direct.kind,
          name: direct.name,
          uid: direct.uid ?? "",
        })),
    };
  });
  const node = pod.spec.nodeName ?? "";
  const nodePlatform = input.nodePlatforms ? (input.nodePlatforms.get(node) ?? null) : null;
  // The lists a controller's pods share are looked up by identity; equal lists that are not the same
  // object still come to one shared verdict, by their text.
  const { spec } = pod;
  const containers = made.verdicts.get([nodePlatform, ...containerLists(pod)], () => {
    const views = containersOf(pod);
    return shared.value(`containers ${nodePlatform} ${views.map(viewKey).join("\u0001")}`, () =>
      views.map((view) => decideContainer(view, input.resolutions, nodePlatform)),
    );
  });
  const staleCount = containers.filter((c) => c.status === "stale").length;
  let action: PlanPod["action"] = "none";
  let reason = "";
  let warnings: readonly string[] = noWarnings;
  const optedOut = isOptedOut(pod.metadata);
  const restartedBefore = templateRestartedFor(pod.metadata.annotations);
  let heldByTemplate = false;
  let heldByMinAge = false;
  let leftOnCachedImage = false;
  if (optedOut) [action, reason] = ["skip", `opted out with label ${ignoreLabel}=true`];
  else if (staleCount > 0) {
    const notRestartable =
      whyNotRestartable(pod, direct, input.owners) ??
      withoutImageToRun(containers) ??
      withoutServiceAccount(pod, input.serviceAccounts) ??
      withUnreadablePullSecret(pod, input.unreadablePullSecrets, input.accountPullSecrets);
    const cached = notRestartable === null ? startsCachedImage(containers, direct) : null;
    leftOnCachedImage = cached !== null;
    const tooYoung = notRestartable === null && cached === null ? notOldEnough(containers, input) : null;
    heldByMinAge = tooYoung !== null;
    const unsafe = notRestartable ?? cached ?? tooYoung;
    const held = unsafe === null ? alreadyRestartedFor(restartedBefore, containers) : null;
    heldByTemplate = held !== null;
    const skipped = unsafe ?? held;
    if (skipped !== null) [action, reason] = ["skip", skipped];
    else {
      // The same for every pod of a template: shared, as the containers are.
      action = "delete";
      const volumeWarnings = (spec.volumes ?? []).flatMap(lostWithPod);
      warnings = made.warnings.get([volumeWarnings.join("\u0001"), containers], () =>
        restartWarnings(volumeWarnings, containers),
      );
    }
  }
  // One literal, not a spread of a common part: V8 gives each spread copy a shape of its own.
  return {
    namespace,
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? "",
    node: pod.spec.nodeName ?? "",
    terminating: pod.metadata.deletionTimestamp !== undefined,
    ended: hasEnded(pod),
    pending: pod.status?.phase === "Pending",
    labels: pod.metadata.labels ?? {},
    owner,
    controller,
    containers,
    action,
    reason,
    warnings,
    optedOut,
    heldByTemplate,
    heldByMinAge,
    leftOnCachedImage,
    restartedBefore: action === "delete" ? restartedBefore : undefined,
    notSelected: pod.notSelected,
  };
}

/**
 * Why a pod whose ServiceAccount is gone (a chart renamed it) is not restarted: admission refuses every new
 * pod naming a ServiceAccount that does not exist, so its replacement would never be made. Null when it
 * exists, or when the ServiceAccounts were not listed.
 */
function withoutServiceAccount(pod: Pod, accounts: ReadonlySet<string> | undefined): string | null {
  const account = serviceAccountOf(pod);
  if (accounts === undefined || accounts.has(`${pod.metadata.namespace ?? "default"}/${account}`))
    return null;
  return `its ServiceAccount ${account} does not exist: admission refuses a new pod naming it`;
}

/**
 * Why a pod whose new pod would name a pull secret the kubelet cannot read is not restarted: the kubelet
 * fails the keyring it makes of the pod's secrets, so a new pod could pull none of its images. Its own
 * secrets, or, naming none, its ServiceAccount's, which admission gives the new pod. Null when there is none.
 */
function withUnreadablePullSecret(
  pod: Pod,
  unreadable: ReadonlyMap<string, string> | undefined,
  accountPullSecrets: ReadonlyMap<string, readonly string[]> | undefined,
): string | null {
  if (unreadable === undefined || unreadable.size === 0) return null;
  const namespace = pod.metadata.namespace ?? "default";
  const own = (pod.spec.imagePullSecrets ?? []).map(({ name }) => name);
  const account = serviceAccountOf(pod);
  const names = own.length > 0 ? own : (accountPullSecrets?.get(`${namespace}/${account}`) ?? []);
  const whose = own.length > 0 ? "" : ` of ServiceAccount ${account}`;
  for (const name of names) {
    const why = unreadable.get(`${namespace}/${name}`);
    if (why !== undefined) {
      return `pull secret ${name}${whose} cannot be read by the kubelet (${why}): a new pod could not pull its images`;
    }
  }
  return null;
}

/** Null when restarting the pod is safe: a controller will bring it back on the new image. */
function whyNotRestartable(pod: Pod, controller: OwnerReference | null, owners: OwnerIndex): string | null {
  if (pod.metadata.annotations?.[mirrorPodAnnotation] !== undefined) {
    return "mirror pod of a static pod: change the manifest on its node instead";
  }
  if (pod.metadata.deletionTimestamp) return "already terminating";
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return `pod has finished (${phase})`;
  // The API server's word for a pod whose node it cannot reach: its statuses are the kubelet's last, and a
  // deletion there would not end.
  if (phase === "Unknown")
    return "pod phase Unknown (its node cannot be reached): what it runs now is not known";
  if (controller === null) return "no controller owns it: deleting it would lose it for good";
  const builtIn = builtInControllers.get(controller.kind);
  if (builtIn !== undefined && !isBuiltInController(controller)) {
    return `owned by ${controller.kind}/${controller.name} of ${controller.apiVersion} (not the built-in ${builtIn} ${controller.kind}), which is not known to recreate deleted pods`;
  }
  if (controller.kind === "Job") {
    return "Job pod has not finished: deleting it would count as a failure against the Job's backoffLimit";
  }
  if (!isRecreatingController(controller.kind)) {
    return `owned by ${controller.kind}/${controller.name}, which is not known to recreate deleted pods`;
  }
  if (
    controller.kind === "ReplicaSet" &&
    !isListed(owners, pod.metadata.namespace ?? "default", controller)
  ) {
    return `ReplicaSet/${controller.name} was not in the list of ReplicaSets (made since it was read?): whether a Deployment rolls it is not known`;
  }
  if (isBeingDeleted(owners, pod.metadata.namespace ?? "default", controller)) {
    return `${controller.kind}/${controller.name} is being deleted: it would not bring the pod back`;
  }
  return null;
}

/**
 * Why a pod with a stale container is not restarted for it: another of its containers has no image a new
 * pod could run, so the replacement could not start. Null when every container has one.
 */
function withoutImageToRun(containers: readonly PlanContainer[]): string | null {
  const missing = containers.find((c) => c.noImageToRun);
  return missing ? cannotStartReason(missing) : null;
}

/** Why a pod is left for one of its containers that has no image a new pod could run. */
export function cannotStartReason(container: PlanContainer): string {
  return `container ${container.name} (${container.image}): ${container.reason}, so a new pod could not start it`;
}

/**
 * The build time and the OCI labels a plan shows of a new image; absent labels stay absent. A CI often sets
 * the source from its clone URL, token included (`https://oauth2:glpat-…@gitlab…`): URLs go without their
 * user info and query, as everywhere this tool quotes one, since the plan and the webhook's report
 * carry them.
 */
function newImageFacts(description: Extract<ImageDescription, { ok: true }>): NewImage {
  const facts: NewImage = { created: description.created };
  const label = (name: string) => description.labels[`org.opencontainers.image.${name}`];
  for (const name of ["revision", "source", "version", "title"] as const) {
    const value = label(name);
    if (value !== undefined) facts[name] = withoutUrlSecrets(value);
  }
  return facts;
}

/** --min-age: why a stale container's new image is not acted on yet, or null. */
function notOldEnough(containers: readonly PlanContainer[], input: PlanInput): string | null {
  if (input.minAgeMs === undefined) return null;
  for (const c of containers) {
    if (c.status !== "stale") continue;
    const reason = tooNewFor(c.latestImage?.created, input.minAgeMs, input.now ?? 0);
    if (reason !== null) return reason;
  }
  return null;
}

/** What goes with the pod: an emptyDir's data; a generic ephemeral volume's claim, and its data with it. */
function lostWithPod(volume: Volume): string[] {
  if (volume.emptyDir !== undefined) return [`emptyDir volume ${volume.name}: its data is lost with the pod`];
  if (volume.ephemeral !== undefined) {
    return [`ephemeral volume ${volume.name}: its claim and data are lost with the pod`];
  }
  return [];
}

function restartWarnings(
  volumeWarnings: readonly string[],
  containers: readonly PlanContainer[],
): readonly string[] {
  const warnings: string[] = [];
  for (const c of containers) {
    if (c.status === "stale" && c.pullPolicy !== "Always") {
      warnings.push(
        `imagePullPolicy ${c.pullPolicy} on container ${c.name}: the node may start its cached old image again`,
      );
    }
  }
  warnings.push(...volumeWarnings);
  return warnings.length === 0 ? noWarnings : warnings;
}

/** The Plan document carries sha256 digests only (its contract); another algorithm is shown as null. */
const sha256Digest = /^sha256:[0-9a-f]{64}$/;
const documented = (digest: string | null) => (digest !== null && sha256Digest.test(digest) ? digest : null);

/** Everything decideContainer reads of a view (the parsed image follows from the image). */
function viewKey(view: ContainerView): string {
  const r = view.running;
  const running =
    r.kind === "repo-digest" ? `${r.repository}@${r.digest}` : r.kind === "malformed" ? `?${r.raw}` : r.kind;
  return `${view.name}\u0000${view.init}\u0000${view.image}\u0000${view.hasStatus}\u0000${view.pullPolicy}\u0000${running}`;
}

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
  if (ref.digest === view.image) return result("pinned", "pinned by image ID");
  if (ref.digest !== null) return result("pinned", "pinned by digest", ref.digest);

  const resolution = resolutions.get(key);
  const latest = resolution?.tag.ok ? resolution.tag.tag.digest : null;
  // A tag the registry no longer has holds the pod whatever this container runs (or has not started yet,
  // in ImagePullBackOff for it): a replacement could not pull it either.
  if (resolution && !resolution.tag.ok && resolution.tag.missing) {
    return { ...result("unknown", resolution.tag.reason), noImageToRun: true };
  }
  const running = view.running;
  switch (running.kind) {
    case "empty":
      return result(
        "unknown",
        view.hasStatus ? "not started yet (no imageID)" : "no container status",
        latest,
      );
    case "bare-id":
      return {
        ...result(
          "unknown",
          "imageID is a bare image ID with no registry digest (image loaded locally?)",
          latest,
        ),
        onUnnamedImage: true,
      };
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
  if (running.repository === null) {
    return result(
      "unknown",
      `runs an image from an unparseable repository, not from ${repositoryOf(ref)}`,
      latest,
    );
  }
  // Another registry's digest (containerd names the smallest of an image's repository digests, from any
  // registry it pulled the image from) is never read: the reason says so rather than that a read failed.
  const fromElsewhere = running.repository.startsWith(`${ref.domain}/`)
    ? null
    : `runs an image from ${running.repository}, not from ${repositoryOf(ref)}`;
  if (!resolution) return result("unknown", fromElsewhere ?? "not resolved");
  if (!resolution.tag.ok) return result("unknown", resolution.tag.reason);
  // A verdict must be one a restart record can name (running and tag digest): without it, a restart that
  // brings back the cached old image would be made again at every run.
  if (documented(latest) === null) {
    return result(
      "unknown",
      `its tag points to a digest of an algorithm this tool does not compare (sha256 only): ${latest}`,
    );
  }

  const judgement = judgeByResolution(
    { digest: running.digest, repository: running.repository },
    ref,
    resolution,
    nodePlatform,
  );
  if ("needs" in judgement) {
    const digests = judgement.needs.map((n) => n.digest).join(", ");
    return result("unknown", fromElsewhere ?? `manifest ${digests} was not read`, latest);
  }
  if ("needNodePlatform" in judgement) return result("unknown", judgement.reason, latest);
  const decided = result(judgement.status, judgement.reason, latest);
  if (judgement.noImageToRun) decided.noImageToRun = true;
  const described = resolution.newImage?.description;
  if (judgement.status === "stale" && described?.ok) decided.latestImage = newImageFacts(described);
  const index = resolution.manifests.get(resolution.tag.tag.digest);
  if (judgement.status === "stale" && index?.ok && index.isIndex && index.children.length > 0) {
    decided.latestImages = [...new Set(index.children.map((child) => child.digest))].sort().join("+");
  }
  return decided;
}
