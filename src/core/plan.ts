/**
 * The Plan: every pod in scope, each container's verdict, and what `apply` will do.
 * Its JSON form is a published contract (apiVersion kubectl-autoupdate/v1); see output/plan-document.ts.
 */

import { type Container, isBuiltInController } from "./k8s.js";
import type { RememberedRestart } from "./restarted-for.js";

export type ContainerStatusVerdict = "stale" | "current" | "pinned" | "unknown";
/**
 * "delete" reads "apply replaces this pod" (how: its `restart`); the value stays, the contract is published.
 */
type PodAction = "delete" | "skip" | "none";
export type ResolverName = "docker" | "registry";

/** What `--strategy` asks for: auto chooses rollout or evict per controller. */
export const strategyNames = ["auto", "rollout", "evict", "delete"] as const;
export type StrategyName = (typeof strategyNames)[number];
/** How apply restarts one controller's pods. */
export type RestartMethod = "rollout" | "evict" | "delete";

/** A controlling object by kind and name: a pod's top owner, or the controller a restart is about. */
export interface ControllerRef {
  kind: string;
  name: string;
  /** Not in the document: as the owner reference states it (a kind is the built-in one only in its group). */
  apiVersion?: string;
}

/** A new image's build time (`created`, as its config states it) and its OCI labels, where present. */
export interface NewImage {
  created: string | null;
  revision?: string;
  source?: string;
  version?: string;
  title?: string;
}

/** How apply replaces a pod, and why that way. */
export interface Restart {
  strategy: RestartMethod;
  /**
   * The controller the choice is about: the workload rolled out, or whose pods are evicted or deleted one at
   * a time (a Deployment, not its ReplicaSet); for a pod of no workload, its own controller.
   */
  controller: ControllerRef;
  reason: string;
  /** Not in the document: a rollout's pace as planned (core/restart-strategy.ts rolloutPace). */
  pace?: string;
  /**
   * Not in the document: how many pods a rollout takes out of service at once, which its budgets must allow.
   */
  takesDown?: number;
  /** Not in the document: a rollout leaves some of its workload's pods (a StatefulSet's below its partition). */
  partial?: true;
  /**
   * Not in the document: how many pods the workload (or bare controller) had as the plan read its count, else
   * as many as it listed: one evicted or deleted with more then and only that one now was not warned of being
   * down.
   */
  replicas?: number;
}

export interface PlanContainer {
  name: string;
  init: boolean;
  /** The image as written in the pod spec. */
  image: string;
  /** The normalized reference, or null when the image is not a valid reference. */
  ref: string | null;
  runningDigest: string | null;
  latestDigest: string | null;
  /** What the tag's new image says of itself; only on stale containers, when its config could be read. */
  latestImage?: NewImage;
  /**
   * Not in the document: on a stale container whose tag names an index, its images' digests
   * (`sha256:a+sha256:b`, attestations left out), which an index published again around the same images
   * keeps: restart records name the move by them too (core/restarted-for.ts).
   */
  latestImages?: string;
  status: ContainerStatusVerdict;
  reason: string;
  /** Not in the document: the pull policy, for the warning and for wide output. */
  pullPolicy: string;
  /**
   * Not in the document: unknown because the tag has no image a new pod could run (the registry does not
   * have it; none for the node's platform). Restarting the pod would leave it unable to start.
   */
  noImageToRun?: true;
  /**
   * Not in the document: it runs an image its runtime names by no digest (a bare image ID: imported or built
   * on the node), so a rollout's new pod on such an image may stand for this pod's.
   */
  onUnnamedImage?: true;
}

/** Most pods have none: one list for all of them rather than an empty one each (150,000 of them). */
export const noWarnings: readonly string[] = Object.freeze([]);

export interface PlanPod {
  namespace: string;
  name: string;
  /**
   * Not in the document: lets apply delete exactly the pod it planned, not a successor with the same name.
   */
  uid: string;
  /** Not in the document. */
  node: string;
  owner: ControllerRef | null;
  /** Not in the document: the pod's labels, to find the disruption budgets that select it. */
  labels: Record<string, string>;
  /** Not in the document: already being deleted (its replacement is on the way). */
  terminating: boolean;
  /** Not in the document: it ran to its end (Succeeded, Failed), and its controller has replaced it. */
  ended: boolean;
  /** Not in the document: Pending (its containers not all started), whose eviction no budget refuses. */
  pending?: boolean;
  /** Not in the document: labelled kubectl-autoupdate/ignore=true, so skipped whatever its containers say. */
  optedOut?: boolean;
  /** Not in the document: the direct controller, whose readiness apply waits for between deletions. */
  controller: { kind: string; name: string; uid: string } | null;
  action: PodAction;
  reason: string;
  warnings: readonly string[];
  containers: PlanContainer[];
  /** With action delete, once the restart strategy is decided (core/restart-strategy.ts). */
  restart?: Restart;
  /** Not in the document: held since its controller restarted a pod in vain (core/restarted-for.ts). */
  heldBy?: RememberedRestart;
  /**
   * Not in the document: left until the tag moves, as its template's record says a rollout of this tool
   * already brought it back on this digest (a rollout would replace it in vain again).
   */
  heldByTemplate?: boolean;
  /** Not in the document: left by --min-age, as a stale container's new image is younger than it. */
  heldByMinAge?: boolean;
  /**
   * Not in the document: left as its new pod would start a node's cached old image (imagePullPolicy Never, or
   * a DaemonSet's pod under IfNotPresent): a rollout would replace it in vain.
   */
  leftOnCachedImage?: boolean;
  /** Not in the document: the restarted-for record the pod carries from an earlier rollout's template. */
  restartedBefore?: string;
  /** Not in the document: the containers `--image` left out, whose change since the plan a restart undoes. */
  notSelected?: readonly Container[];
}

export interface Plan {
  resolver: ResolverName;
  /** The strategy asked for, once restarts are decided. */
  strategy?: StrategyName;
  pods: PlanPod[];
}

/** Counts for the summary line; a pod counts once, by its most pressing state. */
export interface PlanSummary {
  /** Pods with action delete: apply restarts them. */
  toRestart: number;
  skipped: number;
  unknown: number;
  current: number;
  /** Pods labelled to be left alone, none of whose containers is stale. */
  optedOut: number;
  /** Pods that ran to their end, not opted out: they run nothing, so none of them is stale or current. */
  finished: number;
  namespacesToRestart: number;
}

/** Summarizes a plan for the closing line of the table and the CronJob's JSON log line. */
export function summarize(plan: Plan): PlanSummary {
  const summary: PlanSummary = {
    toRestart: 0,
    skipped: 0,
    unknown: 0,
    current: 0,
    optedOut: 0,
    finished: 0,
    namespacesToRestart: 0,
  };
  const namespaces = new Set<string>();
  for (const pod of plan.pods) {
    if (pod.action === "delete") {
      summary.toRestart++;
      namespaces.add(pod.namespace);
    } else if (pod.optedOut && !pod.containers.some((c) => c.status === "stale")) summary.optedOut++;
    else if (pod.ended) summary.finished++;
    else if (pod.action === "skip") summary.skipped++;
    else if (pod.containers.some((c) => c.status === "unknown")) summary.unknown++;
    else summary.current++;
  }
  summary.namespacesToRestart = namespaces.size;
  return summary;
}

/**
 * Whether `plan --exit-code` fails: some container is stale, whatever its pod's action (to delete, skipped,
 * or already terminating: until its replacement runs, the workload still runs the old image) — but not in
 * a pod that has finished: it runs nothing, and no apply restarts it, so the gate could never pass.
 */
export function hasStalePods(plan: Plan): boolean {
  return plan.pods.some((pod) => !pod.ended && pod.containers.some((c) => c.status === "stale"));
}

/** A key for the workload a pod belongs to: its top owner, else its controller; null for a pod of none. */
export function topOwnerKey(pod: PlanPod): string | null {
  const owner = pod.owner ?? pod.controller;
  return owner ? `${pod.namespace}/${owner.kind}/${owner.name}` : null;
}

/**
 * The pods the plan leaves (held, opted out, going already) that run a stale digest, by topOwnerKey: a
 * replacement that starts one of their digests is back on an old image as surely as on its own pod's.
 */
export function staleLeftByWorkload(plan: Plan): Map<string, PlanPod[]> {
  const left = new Map<string, PlanPod[]>();
  for (const pod of plan.pods) {
    if (pod.action === "delete" || !pod.containers.some((c) => c.status === "stale")) continue;
    const key = topOwnerKey(pod);
    if (key === null) continue;
    const pods = left.get(key);
    if (pods) pods.push(pod);
    else left.set(key, [pod]);
  }
  return left;
}

/**
 * The names of the containers the plan saw on images named by no digest, by topOwnerKey: after a rollout, a
 * new pod on such an image may have replaced one of those pods, and proves nothing of the restart.
 */
export function unnamedImagesByWorkload(plan: Plan): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const pod of plan.pods) {
    const key = topOwnerKey(pod);
    if (key === null) continue;
    for (const c of pod.containers) {
      if (!c.onUnnamedImage) continue;
      const names = seen.get(key) ?? new Set<string>();
      seen.set(key, names.add(c.name));
    }
  }
  return seen;
}

/**
 * The key of the group a pod's restart belongs to: its controller (`restart.controller`) and strategy. A
 * group's pods go together, in one rollout or one at a time.
 */
export function restartGroupKey(pod: PlanPod, restart: Restart): string {
  const { kind, name } = restart.controller;
  return `${pod.namespace}/${restart.strategy}/${kind}/${name}`;
}

/**
 * The pods that go one after another: one controller's, or, one at a time too, those of every controller
 * under one top owner no built-in workload rolls (an Argo Rollout's stable and canary ReplicaSets), which
 * serve as one.
 */
export function restartTurnKey(pod: PlanPod, restart: Restart): string {
  const { owner } = pod;
  const { controller } = restart;
  const sharedOwner =
    restart.strategy !== "rollout" &&
    owner !== null &&
    !isBuiltInController(owner) &&
    (owner.kind !== controller.kind || owner.name !== controller.name);
  if (!sharedOwner) return restartGroupKey(pod, restart);
  return `${pod.namespace}/${restart.strategy}/owner/${owner.apiVersion ?? ""}/${owner.kind}/${owner.name}`;
}

/** The pods apply restarts: exactly those the plan marks `delete`. */
export function podsToRestart(plan: Plan): PlanPod[] {
  return plan.pods.filter((pod) => pod.action === "delete");
}
