/**
 * How apply restarts each controller's stale pods: a rollout (the controller replaces its pods with its own
 * surge and pacing), evictions (one pod at a time; the API server enforces disruption budgets) or
 * deletions (asked for by name). `auto` takes the rollout only where the controller is known to roll
 * without losing capacity, and evicts otherwise: budgets govern evictions, a rollout only the workload's own
 * settings.
 * Pure: the workloads come from one list per kind.
 */
import { counted } from "../util/counted.js";
import { firstFew } from "../util/first-few.js";
import { groupBy } from "../util/group-by.js";
import {
  type DisruptionBudget,
  mostDisruptionsAllowed,
  selectingAny,
  selectingBudgets,
  severalBudgetsReason,
} from "./disruption-budget.js";
import { ignoreLabel, isBuiltInController, isOptedOut, type Pod } from "./k8s.js";
import { type OwnerIndex, ownersOf, replicasOf } from "./owners.js";
import {
  type ControllerRef,
  noWarnings,
  type Plan,
  type PlanPod,
  type Restart,
  type RestartMethod,
  type StrategyName,
} from "./plan.js";
import { hasEnded } from "./readiness.js";
import {
  belowPartition,
  partitionOf,
  rollingUpdateStopsEveryPod,
  rolloutPace,
  rolloutReason,
  rolloutTakesDown,
} from "./rolling-update.js";
import {
  controllingOwner,
  daemonPodsWithoutSuccessor,
  gitOpsManager,
  isWorkloadKind,
  rolloutInProgress,
  updateStrategyType,
  type Workload,
  type WorkloadKind,
  workloadName,
} from "./workload.js";

export type RestartDecision =
  | {
      kind: "restart";
      strategy: RestartMethod;
      reason: string;
      /** Why `auto` evicts rather than rolls: the reason without what it then does. */
      noRollout?: string;
      warnings: string[];
      pace?: string;
      takesDown?: number;
      partial?: true;
      /** How many pods the workload had, where known (core/plan.ts Restart). */
      replicas?: number;
    }
  | { kind: "skip"; reason: string };

/** What is known of one pod's controller when deciding. */
export interface ControllerFacts {
  /** The workload as listed; undefined when its kind is not a workload or it was not found. */
  workload?: Workload;
  /** Why its kind could not be listed (RBAC, say); the workload is then unknown. */
  unreadable?: string;
  /**
   * Not a workload: its replica count where it was listed (a bare ReplicaSet's; no ReplicationController's).
   */
  replicas?: number;
  /** The names of its pods to restart (a StatefulSet's partition is judged by their ordinals). */
  pods: readonly string[];
  /** Its pods opted out with the ignore label, which a rollout would replace as well. */
  optedOut?: readonly string[];
  /**
   * Its pods left for a container with no image to run, whose replacements a rollout would leave unable
   * to start.
   */
  noImageToRun?: readonly string[];
  /** Its pods left until the tag moves (a rollout already brought them back on their digest). */
  heldByTemplate?: readonly string[];
  /** Its pods left until the tag moves (an eviction or deletion already brought its pods back on it). */
  heldByRecord?: readonly string[];
  /** The pods left by --min-age (a rollout would replace them with the image too young to act on). */
  heldByMinAge?: readonly string[];
  /** Its pods left as their new pods would start their nodes' cached old image. */
  leftOnCachedImage?: readonly string[];
  /** The PodDisruptionBudgets selecting its pods, when they were read (auto). */
  budgets?: readonly DisruptionBudget[];
  /** The budgets could not be read (auto). */
  budgetsUnread?: boolean;
  /**
   * The pods in scope that ended or are going that each budget selects, which some budgets count among their
   * pods; `allSeen`: every pod of the namespaces is in scope.
   */
  endedPods?: { counts: ReadonlyMap<DisruptionBudget, number>; allSeen: boolean };
  /**
   * Under a scope a selector narrowed, the names of its pods the plan has: those outside it were not judged
   * (held, opted out, on a node the tag dropped), and its rollout would replace them too. Undefined: the
   * scope is whole.
   */
  podsInScope?: readonly string[];
  /** How many of its pods are terminating, where the plan saw all of them. */
  terminatingPods?: number;
}

export interface RestartInput {
  strategy: StrategyName;
  /** Workloads by workloadKey. */
  workloads: ReadonlyMap<string, Workload>;
  /** Kinds whose list failed, with the error. */
  unreadable: ReadonlyMap<WorkloadKind, string>;
  /** The owners listed while gathering, for a bare ReplicaSet's replica count. */
  owners: OwnerIndex;
  /**
   * Pods opted out outside a scope narrowed by a selector, by the workloadKey of what restarts them
   * (optedOutByTarget): a rollout of their workload would replace them too.
   */
  optedOutElsewhere?: ReadonlyMap<string, readonly string[]>;
  /** The PodDisruptionBudgets by namespace, when they were read (auto). */
  budgets?: ReadonlyMap<string, readonly DisruptionBudget[]>;
  /** Their list failed (auto): apply's check before a rollout would fail alike. */
  budgetsUnread?: boolean;
  /** The scope is narrowed by a selector (-l, --field-selector): a workload may have pods outside it. */
  narrowed?: boolean;
  /** Pods of the scope's namespaces were left out of the plan otherwise (--image runs only some). */
  podsLeftOut?: boolean;
}

export function workloadKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

/**
 * The controller a pod's restart is about: its Deployment, StatefulSet or DaemonSet, which can roll it;
 * otherwise its direct controller (a bare ReplicaSet, a ReplicationController, one owned by another group's
 * kind of the same name), which recreates it.
 */
function restartTarget(pod: PlanPod): ControllerRef | null {
  if (pod.owner && isWorkloadKind(pod.owner.kind) && isBuiltInController(pod.owner)) return pod.owner;
  return pod.controller ? { kind: pod.controller.kind, name: pod.controller.name } : null;
}

/**
 * The pods opted out (and not going, nor ended), by the workloadKey of what restarts them, as the plan's
 * pods are grouped: for pods listed outside the plan's scope.
 */
export function optedOutByTarget(pods: readonly Pod[], owners: OwnerIndex): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const pod of pods) {
    if (!isOptedOut(pod.metadata) || pod.metadata.deletionTimestamp || hasEnded(pod)) continue;
    const { direct, top } = ownersOf(pod, owners);
    const target =
      top && isWorkloadKind(top.kind) && isBuiltInController(top)
        ? top
        : direct && { kind: direct.kind, name: direct.name };
    if (!target) continue;
    const key = workloadKey(pod.metadata.namespace ?? "default", target.kind, target.name);
    byTarget.set(key, [...(byTarget.get(key) ?? []), pod.metadata.name]);
  }
  return byTarget;
}

/** The opted-out pods in scope and outside it, each once; undefined when none. */
function optedOutOf(
  inScope: readonly string[] | undefined,
  elsewhere: readonly string[] | undefined,
): string[] | undefined {
  const all = [...new Set([...(inScope ?? []), ...(elsewhere ?? [])])];
  return all.length > 0 ? all : undefined;
}

/** Whether a strategy rolls workloads out (auto rolls those that can be, rollout each). */
export function mayRoll(strategy: StrategyName): boolean {
  return strategy === "auto" || strategy === "rollout";
}

/**
 * The workloads to read before deciding, by kind (kinds sorted), each as `namespace/name`: those of pods to
 * restart. Evict and delete roll nothing, and read only the kinds that recreate their pods themselves
 * (StatefulSet, DaemonSet): one being deleted would not. A Deployment's pods are recreated by a ReplicaSet,
 * whose deletion the pods' owners show.
 */
export function workloadsToRead(plan: Plan, strategy: StrategyName): Map<WorkloadKind, Set<string>> {
  const rolls = mayRoll(strategy);
  const names = new Map<WorkloadKind, Set<string>>();
  for (const pod of plan.pods) {
    const target = pod.action === "delete" ? restartTarget(pod) : null;
    if (!target || !isWorkloadKind(target.kind) || !(rolls || target.kind !== "Deployment")) continue;
    const ofKind = names.get(target.kind) ?? new Set<string>();
    names.set(target.kind, ofKind.add(`${pod.namespace}/${target.name}`));
  }
  return new Map([...names].sort(([a], [b]) => a.localeCompare(b)));
}

/** The plan with each pod to restart given its restart, or turned into a skip with the reason. */
export function decideRestarts(plan: Plan, input: RestartInput): Plan {
  const targetKey = (pod: PlanPod) => {
    const target = restartTarget(pod);
    return target && workloadKey(pod.namespace, target.kind, target.name);
  };
  const groups = groupBy(
    plan.pods.filter((p) => p.action === "delete" && restartTarget(p)),
    (p) => targetKey(p)!,
  );
  // The pods opted out, by controller: its rollout would replace them too (not one already going, which
  // apply's check right before the patch leaves out as well, nor one that ended: it was replaced already).
  const optedOut = groupBy(
    plan.pods.filter((p) => p.optedOut && !p.terminating && !p.ended),
    (p) => targetKey(p),
  );
  // The pods left because a container has no image to run (on a platform the tag dropped, say): a rollout
  // would replace them too, with pods that could not start.
  const noImageToRun = groupBy(
    plan.pods.filter((p) => !p.terminating && !p.ended && p.containers.some((c) => c.noImageToRun)),
    (p) => targetKey(p),
  );
  // The pods left until the tag moves: a rollout would replace them in vain once more.
  const heldByTemplate = groupBy(
    plan.pods.filter((p) => p.heldByTemplate && !p.terminating && !p.ended),
    (p) => targetKey(p),
  );
  const heldByRecord = groupBy(
    plan.pods.filter((p) => p.heldBy && !p.terminating && !p.ended),
    (p) => targetKey(p),
  );
  // The pods left by --min-age: a rollout would replace them too, with the image not old enough yet.
  const heldByMinAge = groupBy(
    plan.pods.filter((p) => p.heldByMinAge && !p.terminating && !p.ended),
    (p) => targetKey(p),
  );
  // The pods left as their new pods would start their nodes' cached old image: a rollout would replace them
  // in vain.
  const leftOnCachedImage = groupBy(
    plan.pods.filter((p) => p.leftOnCachedImage && !p.terminating && !p.ended),
    (p) => targetKey(p),
  );
  // Under a selector, each workload's pods in scope (not going, nor ended): a rollout replaces the
  // others too.
  const inScope = input.narrowed
    ? groupBy(
        plan.pods.filter((p) => !p.terminating && !p.ended),
        (p) => targetKey(p),
      )
    : undefined;
  // A selector or --image left pods out of the plan: what it lists of a workload may not be all of it.
  const unseenPods = Boolean(input.narrowed || input.podsLeftOut);
  // Each workload's pods terminating, where the plan has all of them.
  const terminating = unseenPods
    ? undefined
    : groupBy(
        plan.pods.filter((p) => p.terminating),
        (p) => targetKey(p),
      );
  // The pods in scope a budget selects, current ones too: a rollout replaces them all, so their budgets are
  // its own. Looked at once per label set, which a controller's pods share.
  const budgeted = input.budgets ? budgetedPods(plan.pods, input.budgets, targetKey) : undefined;
  const endedPods = input.budgets && {
    counts: endedPodsByBudget(plan.pods, input.budgets),
    allSeen: !unseenPods,
  };
  // One Restart per controller, and one warnings list per pod warnings list it extends: shared by every pod
  // of the controller, which may be 150,000.
  const decided = new Map<PlanPod, (pod: PlanPod) => PlanPod>();
  let livePods: Map<string, number> | undefined;
  for (const [key, pods] of groups) {
    const target = restartTarget(pods[0]!)!;
    const kind = isWorkloadKind(target.kind) ? target.kind : null;
    const namespace = pods[0]!.namespace;
    const facts: ControllerFacts = {
      workload: input.workloads.get(key),
      unreadable: kind ? input.unreadable.get(kind) : undefined,
      replicas:
        kind === "Deployment"
          ? deploymentReplicas(input.owners, pods)
          : kind
            ? undefined
            : replicasOf(input.owners, namespace, target),
      pods: pods.map((p) => p.name),
      optedOut: optedOutOf(
        optedOut.get(key)?.map((p) => p.name),
        input.optedOutElsewhere?.get(key),
      ),
      noImageToRun: noImageToRun.get(key)?.map((p) => p.name),
      heldByTemplate: heldByTemplate.get(key)?.map((p) => p.name),
      heldByRecord: heldByRecord.get(key)?.map((p) => p.name),
      heldByMinAge: heldByMinAge.get(key)?.map((p) => p.name),
      leftOnCachedImage: leftOnCachedImage.get(key)?.map((p) => p.name),
      // Of every pod its rollout replaces: a budget may select only some (a StatefulSet's primary, current).
      budgets:
        input.budgets &&
        selectingAny(
          input.budgets.get(namespace) ?? [],
          new Set([...pods, ...(budgeted?.get(key) ?? [])].map((p) => p.labels)),
        ),
      endedPods,
      ...(input.budgetsUnread ? { budgetsUnread: true } : {}),
      ...(input.narrowed ? { podsInScope: inScope?.get(key)?.map((p) => p.name) ?? [] } : {}),
      ...(terminating ? { terminatingPods: terminating.get(key)?.length ?? 0 } : {}),
    };
    const decision = decideRestart(input.strategy, target, facts);
    // Where it read no count (a ReplicationController's, a StatefulSet it could not list), the pods it
    // listed stand for it: apply compares it with how many the workload should have at each pod's turn.
    const uncounted =
      decision.kind === "restart" && decision.strategy !== "rollout" && decision.replicas === undefined;
    if (uncounted) livePods ??= liveByTarget(plan.pods, targetKey);
    const counted = uncounted
      ? countedByPods(decision, target, livePods?.get(key) ?? pods.length, unseenPods)
      : decision;
    const decide = decidedPod(counted, target);
    // Under auto, a pod two budgets select would be evicted in vain: the Eviction API refuses it.
    const evicted = counted.kind === "restart" && counted.strategy === "evict";
    const several = evicted && input.budgets ? severalBudgetsSkip(input.budgets.get(namespace) ?? []) : null;
    for (const pod of pods) decided.set(pod, several?.(pod) ?? decide);
  }
  return {
    ...plan,
    strategy: input.strategy,
    pods: plan.pods.map((pod) => decided.get(pod)?.(pod) ?? pod),
  };
}

/**
 * A restart counted by the pods listed; the only one of them, where every pod of the scope was listed, is
 * warned of as a workload of one replica is: evicting it leaves none up.
 */
function countedByPods(
  decision: RestartDecision & { kind: "restart" },
  target: ControllerRef,
  live: number,
  unseenPods: boolean,
): RestartDecision {
  const counted = { ...decision, replicas: live };
  if (live !== 1 || unseenPods) return counted;
  const one = target.kind === "DaemonSet" ? "runs on one node" : "has one pod running";
  return {
    ...counted,
    warnings: [...decision.warnings, `${target.kind}/${target.name} ${one}: ${downUntilReplaced}`],
  };
}

/**
 * For pods more than one of these budgets selects, their skip; looked at once per label set, which a
 * controller's pods share.
 */
function severalBudgetsSkip(
  budgets: readonly DisruptionBudget[],
): (pod: PlanPod) => ((p: PlanPod) => PlanPod) | null {
  const bySet = new Map<Readonly<Record<string, string>>, ((p: PlanPod) => PlanPod) | null>();
  return (pod) => {
    // The Eviction API checks no budget for a Pending pod (one stuck in its init containers): it goes.
    if (pod.pending) return null;
    let skip = bySet.get(pod.labels);
    if (skip === undefined) {
      const selecting = selectingBudgets(budgets, pod.labels);
      const reason = severalBudgetsReason(selecting.map((b) => b.name));
      skip = selecting.length > 1 ? (p) => ({ ...p, action: "skip", reason, warnings: noWarnings }) : null;
      bySet.set(pod.labels, skip);
    }
    return skip;
  };
}

/**
 * How many pods not going nor ended the plan holds of each controller, by `key`; of a DaemonSet, how many
 * nodes they are on (an update's surge runs two on one), each pod not yet on one counted.
 */
function liveByTarget(pods: readonly PlanPod[], key: (pod: PlanPod) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  const daemonNodes = new Set<string>();
  for (const pod of pods) {
    if (pod.terminating || pod.ended) continue;
    const k = key(pod);
    if (k === null) continue;
    if (pod.controller?.kind === "DaemonSet" && pod.node !== "") {
      const onNode = `${k}\n${pod.node}`;
      if (daemonNodes.has(onNode)) continue;
      daemonNodes.add(onNode);
    }
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The pods not going nor ended whose labels some budget of their namespace selects, by `key`. */
function budgetedPods(
  pods: readonly PlanPod[],
  budgets: ReadonlyMap<string, readonly DisruptionBudget[]>,
  key: (pod: PlanPod) => string | null,
): Map<string | null, PlanPod[]> {
  // By namespace, then label set: one label set may be shared by pods of several namespaces.
  const selected = new Map<string, Map<Readonly<Record<string, string>>, boolean>>();
  const isSelected = (pod: PlanPod) => {
    const inNamespace = budgets.get(pod.namespace);
    if (!inNamespace?.length) return false;
    let known = selected.get(pod.namespace);
    if (!known) {
      known = new Map();
      selected.set(pod.namespace, known);
    }
    let is = known.get(pod.labels);
    if (is === undefined) {
      is = selectingAny(inNamespace, [pod.labels]).length > 0;
      known.set(pod.labels, is);
    }
    return is;
  };
  return groupBy(
    pods.filter((p) => !p.terminating && !p.ended && isSelected(p)),
    key,
  );
}

/** How many pods that ended or are going (stuck terminating on a lost node) each budget selects. */
function endedPodsByBudget(
  pods: readonly PlanPod[],
  budgets: ReadonlyMap<string, readonly DisruptionBudget[]>,
): Map<DisruptionBudget, number> {
  const counts = new Map<DisruptionBudget, number>();
  for (const pod of pods) {
    if (!pod.ended && !pod.terminating) continue;
    for (const budget of selectingBudgets(budgets.get(pod.namespace) ?? [], pod.labels)) {
      counts.set(budget, (counts.get(budget) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * A Deployment's pod count from its ReplicaSets' (all of those its stale pods run in), for when it is not
 * read (evict and delete do not read Deployments): one pod is down while it is replaced.
 */
function deploymentReplicas(owners: OwnerIndex, pods: readonly PlanPod[]): number | undefined {
  const sets = new Map(pods.flatMap((p) => (p.controller ? [[p.controller.name, p.controller]] : [])));
  const counts = [...sets.values()].map((rs) => replicasOf(owners, pods[0]!.namespace, rs));
  return counts.every((n) => n !== undefined) ? counts.reduce((a, b) => a + b, 0) : undefined;
}

/** What a controller's decision makes of each of its pods. */
function decidedPod(decision: RestartDecision, target: ControllerRef): (pod: PlanPod) => PlanPod {
  if (decision.kind === "skip") {
    return (pod) => ({ ...pod, action: "skip", reason: decision.reason, warnings: noWarnings });
  }
  const restart: Restart = {
    strategy: decision.strategy,
    controller: target,
    reason: decision.reason,
    ...(decision.pace !== undefined ? { pace: decision.pace } : {}),
    ...(decision.takesDown !== undefined ? { takesDown: decision.takesDown } : {}),
    ...(decision.partial ? { partial: true as const } : {}),
    ...(decision.replicas !== undefined ? { replicas: decision.replicas } : {}),
  };
  const extended = new Map<readonly string[], readonly string[]>();
  const warningsOf = (own: readonly string[]) => {
    if (decision.warnings.length === 0) return own;
    let all = extended.get(own);
    if (!all) {
      all = [...own, ...decision.warnings];
      extended.set(own, all);
    }
    return all;
  };
  return (pod) => ({ ...pod, restart, warnings: warningsOf(pod.warnings) });
}

/** What evicting or deleting a workload's only pod warns of. */
export const downUntilReplaced = "it is down until its replacement is Ready";

/**
 * The decision for one controller's pods; evicting or deleting the only pod of a workload (or of a bare
 * ReplicaSet) says that it is down until the replacement is Ready (a rollout's surge would have kept it up).
 */
export function decideRestart(
  strategy: StrategyName,
  target: ControllerRef,
  facts: ControllerFacts,
): RestartDecision {
  const decision = decideRestartOf(strategy, target, facts);
  const w = facts.workload;
  const daemonSet = w?.kind === "DaemonSet";
  const replicas = daemonSet ? w.status?.desiredNumberScheduled : w ? w.spec.replicas : facts.replicas;
  if (decision.kind === "skip" || decision.strategy === "rollout") return decision;
  const counted = replicas !== undefined ? { ...decision, replicas } : decision;
  if (replicas !== 1) return counted;
  const onlyPod = `${target.kind}/${target.name} ${daemonSet ? "runs on one node" : "has one replica"}: ${downUntilReplaced}`;
  return { ...counted, warnings: [...decision.warnings, onlyPod] };
}

function decideRestartOf(
  strategy: StrategyName,
  target: ControllerRef,
  facts: ControllerFacts,
): RestartDecision {
  const name = `${target.kind}/${target.name}`;
  if (facts.workload?.metadata.deletionTimestamp) {
    return skip(`${name} is being deleted: it would not bring the pods back`);
  }
  const withoutSuccessor =
    facts.workload?.kind === "DaemonSet"
      ? daemonPodsWithoutSuccessor(name, facts.workload.status?.numberMisscheduled)
      : null;
  if (withoutSuccessor) return skip(withoutSuccessor);
  if (strategy === "delete") {
    return restart("delete", "--strategy delete: deleted one at a time, budgets checked before each");
  }
  if (strategy === "evict") {
    return restart("evict", "--strategy evict: evicted one at a time, the API server enforces budgets");
  }
  const auto = strategy === "auto";
  const evict = (why: string, instead = "evicted one at a time") => ({
    ...restart("evict", `${why}: ${instead}`),
    noRollout: why,
  });
  if (!isWorkloadKind(target.kind)) {
    return auto ? evict(`${name} has no rollout`) : skip(`${name} has no rollout: use --strategy evict`);
  }
  const w = facts.workload;
  if (!w) {
    const why = facts.unreadable ? `${name} could not be read` : `${name} was not found`;
    return auto ? evict(why) : skip(`${why}: not rolled`);
  }
  const progress = rolloutInProgress(w, facts.terminatingPods);
  if (progress !== null) return skip(`${name} is mid-rollout (${progress}): left alone`);

  const blocked = whyNoRollout(w, facts);
  if (blocked) return auto ? evict(blocked.why) : skip(`${blocked.why}: ${blocked.instead}`);
  const unjudged = auto ? podsOutsideScope(w, facts) : 0;
  if (unjudged > 0) {
    return evict(
      `${name}'s rollout would also replace its ${counted(unjudged, "pod")} outside the selection, which this plan did not judge`,
    );
  }
  const recreate = updateStrategyType(w) === "Recreate";
  const stopsEveryPod = rollingUpdateStopsEveryPod(w);
  const gitOps = gitOpsManager(w.metadata);
  const operator = controllingOwner(w.metadata);
  if (auto && recreate) return evict(`${name} uses Recreate (a rollout stops every pod at once)`);
  if (auto && stopsEveryPod) return evict(`${name}'s rollout stops every pod at once (${stopsEveryPod})`);
  const overBudget = auto ? budgetBelowRollout(w, facts) : null;
  if (overBudget) return evict(overBudget);
  if (auto && operator) {
    return evict(
      `${name} is managed by ${operator} (its template is the operator's)`,
      "evicted one at a time rather than patched",
    );
  }
  if (auto && gitOps) {
    return evict(`${name} is managed by ${gitOps}`, "evicted one at a time rather than patched");
  }
  const warnings: string[] = [];
  if (recreate) {
    warnings.push(
      `${name} uses the Recreate strategy: its rollout stops every pod before the new ones start`,
    );
  }
  if (stopsEveryPod) {
    warnings.push(`${name}'s rollout stops every pod before the new ones are Ready (${stopsEveryPod})`);
  }
  if (gitOps) {
    warnings.push(
      `${name} is managed by ${gitOps}: it may report drift or revert the restartedAt and restarted-for annotations`,
    );
  }
  if (operator) {
    warnings.push(
      `${name} is managed by ${operator}: its operator may write the template back, rolling the pods again and dropping the restarted-for record`,
    );
  }
  return {
    ...restart("rollout", rolloutReason(w)),
    pace: rolloutPace(w),
    takesDown: rolloutTakesDown(w),
    ...(w.kind === "StatefulSet" && (w.spec.updateStrategy?.rollingUpdate?.partition ?? 0) > 0
      ? { partial: true as const }
      : {}),
    warnings,
  };
}

/**
 * Why a budget of the workload's pods could never let its rollout go (it takes more pods out of service at
 * once than the budget allows with every pod Ready), or null. Under auto such pods are evicted one at a
 * time: apply would wait for the budget in vain.
 */
function budgetBelowRollout(w: Workload, facts: ControllerFacts): string | null {
  const down = rolloutTakesDown(w);
  // A rollout that only surges takes no pod down: no budget stands in its way, whatever it allows.
  if (down === 0) return null;
  // Apply checks a rollout's budgets before it patches, and could not read them either.
  if (facts.budgetsUnread) {
    return `its PodDisruptionBudgets could not be read, and ${workloadName(w)}'s rollout takes ${counted(down, "pod")} out of service at once`;
  }
  for (const budget of facts.budgets ?? []) {
    const seen = facts.endedPods?.counts.get(budget) ?? 0;
    const most = mostDisruptionsAllowed(budget, { seen, allSeen: facts.endedPods?.allSeen ?? true });
    if (most === undefined || most >= down) continue;
    const allows = most < 1 ? "no disruption" : `at most ${counted(most, "disruption")}`;
    return `PodDisruptionBudget ${budget.name} allows ${allows}, and ${workloadName(w)}'s rollout takes ${counted(down, "pod")} out of service at once`;
  }
  return null;
}

/**
 * How many of the pods the workload's rollout replaces a narrowed scope left out, by the pods its status
 * counts (a DaemonSet's, one per node it should run on; a StatefulSet's from its partition up); 0 when the
 * scope is whole. `--strategy rollout` rolls it all the same, as asked: a rollout's template is
 * the workload's.
 */
function podsOutsideScope(w: Workload, facts: ControllerFacts): number {
  if (facts.podsInScope === undefined) return 0;
  const pods =
    w.kind === "DaemonSet"
      ? (w.status?.desiredNumberScheduled ?? 0)
      : (w.status?.replicas ?? w.spec.replicas ?? 1);
  const rolled = facts.podsInScope.filter((pod) => !belowPartition(w, pod)).length;
  return Math.max(0, pods - partitionOf(w) - rolled);
}

/** Why the controller's own rollout would not replace these pods, and what to do instead. */
function whyNoRollout(w: Workload, facts: ControllerFacts): { why: string; instead: string } | null {
  const name = workloadName(w);
  // Pods the rollout would replace besides the stale ones, and should not (a partition keeps those below it).
  const leftAlone: [readonly string[] | undefined, string][] = [
    [facts.optedOut, `opted out with ${ignoreLabel}=true`],
    [facts.noImageToRun, "whose new pods could not start (a container with no image to run)"],
    [facts.heldByTemplate, "left until the tag moves (a rollout already brought them back on their digest)"],
    [
      facts.heldByRecord,
      "left until the tag moves (an eviction of their controller's pods came back on their digest)",
    ],
    [facts.heldByMinAge, "held by --min-age"],
    [facts.leftOnCachedImage, "whose new pods would start their nodes' cached old image"],
  ];
  for (const [pods, why] of leftAlone) {
    const replaced = (pods ?? []).filter((pod) => !belowPartition(w, pod));
    if (replaced.length > 0) {
      return {
        why: `${name}'s rollout would also replace ${firstFew(replaced)}, ${why}`,
        instead: "use --strategy evict",
      };
    }
  }
  if (w.kind === "Deployment" && w.spec.paused === true) {
    return { why: `${name} is paused`, instead: "`kubectl rollout resume` it, or use --strategy evict" };
  }
  if (updateStrategyType(w) === "OnDelete") {
    return { why: `${name} updates OnDelete`, instead: "a rollout replaces no pod; use --strategy evict" };
  }
  const kept = facts.pods.filter((pod) => belowPartition(w, pod));
  if (kept.length > 0) {
    return {
      why: `${name}'s partition ${partitionOf(w)} keeps ${kept.join(", ")} from rolling`,
      instead: "lower the partition, or use --strategy evict",
    };
  }
  return null;
}

function restart(strategy: RestartMethod, reason: string): Extract<RestartDecision, { kind: "restart" }> {
  return { kind: "restart", strategy, reason, warnings: [] };
}

function skip(reason: string): RestartDecision {
  return { kind: "skip", reason };
}
