/**
 * A workload's rolling update in its controller's terms: whether it keeps any pod serving (maxSurge and
 * maxUnavailable resolved as its controller resolves them), its pace, and the pods its partition keeps.
 * Pure: the workload comes from kubectl.
 */
import { counted } from "../util/counted.js";
import {
  type IntOrPercent,
  podOrdinal,
  updateStrategyType,
  type Workload,
  workloadName,
} from "./workload.js";

/**
 * The settings by which the workload's rolling update stops every pod before a new one is Ready, or null
 * when some pod keeps serving throughout (Recreate and OnDelete are not rolling updates: null).
 *
 * - Deployment: no pod need stay available once maxUnavailable covers every replica. A surge does not help:
 *   the old pods go as soon as the new ones exist, before any is Ready.
 * - StatefulSet: each pod is deleted before its replacement is made, one at a time unless maxUnavailable
 *   says more, so a single replica, or maxUnavailable covering them all, leaves none. A partition keeps the
 *   pods below it.
 * - DaemonSet: one pod per node, each replaced by deleting it first unless maxSurge is set; that is its way
 *   on every node, and evicting does the same pod by pod, within its budgets. It stops them all at once when
 *   maxUnavailable covers every node, as it does when there is one.
 */
export function rollingUpdateStopsEveryPod(w: Workload): string | null {
  if (updateStrategyType(w) !== "RollingUpdate") return null;
  const { total, maxSurge, maxUnavailable, surge, unavailable } = resolved(w);
  if (total < 1 || maxUnavailable < total) return null;
  if (w.kind === "Deployment") {
    return `maxSurge ${surge}, maxUnavailable ${unavailable} of ${counted(total, "replica")}`;
  }
  if (w.kind === "StatefulSet") {
    if ((w.spec.updateStrategy?.rollingUpdate?.partition ?? 0) > 0) return null;
    return rollsOneAtATime(w)
      ? "its one replica is deleted before its replacement is made"
      : `maxUnavailable ${unavailable} of ${counted(total, "replica")}`;
  }
  if (maxSurge > 0) return null;
  // One wording whatever the count: apply compares the plan's warning with its own, counts aside.
  return `maxSurge ${surge}, maxUnavailable ${unavailable} of ${counted(total, "node")}`;
}

/**
 * How many of the workload's Ready pods its rolling update may take out of service at once, as its controller
 * resolves maxUnavailable (a surge does not lower it: the controller may use both). What a
 * PodDisruptionBudget must allow for auto to roll it rather than evict its pods one at a time.
 */
export function rolloutTakesDown(w: Workload): number {
  const { total, maxSurge, maxUnavailable } = resolved(w);
  if (w.kind === "Deployment" && updateStrategyType(w) !== "RollingUpdate") return total;
  if (w.kind === "DaemonSet" && maxSurge > 0) return 0;
  // A StatefulSet's controller deletes pods only from its partition up.
  const partition = w.kind === "StatefulSet" ? (w.spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  return atMost(maxUnavailable, Math.max(0, total - partition));
}

/**
 * How many pods beyond its replicas (a DaemonSet's: its nodes) the workload's rolling update may run at once,
 * as its controller resolves maxSurge. Ready before the old pods go, they raise a PodDisruptionBudget's
 * allowance for a while.
 */
export function rolloutSurges(w: Workload): number {
  if (updateStrategyType(w) !== "RollingUpdate") return 0;
  const { total, maxSurge } = resolved(w);
  return atMost(maxSurge, total);
}

/**
 * A rolling update's settings as written and as its controller resolves them, of the pods it counts (a
 * DaemonSet's: its nodes): a Deployment's maxSurge rounded up and maxUnavailable down, a StatefulSet's
 * maxUnavailable down (at least 1, no surge), a DaemonSet's both up.
 */
function resolved(w: Workload): {
  total: number;
  maxSurge: number;
  maxUnavailable: number;
  surge: IntOrPercent;
  unavailable: IntOrPercent | undefined;
} {
  if (w.kind === "Deployment") {
    const total = w.spec.replicas ?? 1;
    const surge = w.spec.strategy?.rollingUpdate?.maxSurge ?? "25%";
    const unavailable = w.spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%";
    const [maxSurge, maxUnavailable] = fenceposts(
      scaled(surge, total, Math.ceil),
      scaled(unavailable, total, Math.floor),
    );
    return { total, maxSurge, maxUnavailable, surge, unavailable };
  }
  if (w.kind === "StatefulSet") {
    const total = w.spec.replicas ?? 1;
    const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
    const maxUnavailable = Math.max(1, scaled(unavailable ?? 1, total, Math.floor));
    return { total, maxSurge: 0, maxUnavailable, surge: 0, unavailable };
  }
  const total = w.status?.desiredNumberScheduled ?? 0;
  const surge = w.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0;
  const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const [maxSurge, maxUnavailable] = fenceposts(
    scaled(surge, total, Math.ceil),
    scaled(unavailable, total, Math.ceil),
  );
  return { total, maxSurge, maxUnavailable, surge, unavailable };
}

/** `count`, at most `total`; all of them when it could not be read. */
function atMost(count: number, total: number): number {
  return Number.isNaN(count) ? total : Math.min(count, total);
}

/** A count, or a percentage of `total` rounded as the controller rounds that field. */
function scaled(value: IntOrPercent, total: number, round: (n: number) => number): number {
  if (typeof value === "number") return value;
  const percent = /^(\d+)%$/.exec(value);
  // The API server accepts nothing else; NaN compares false, so nothing is concluded from it.
  return percent ? round((Number(percent[1]) * total) / 100) : Number.NaN;
}

/**
 * Whether a StatefulSet's rolling update takes its pods one at a time: maxUnavailable unset, or 1, which
 * newer API servers fill in when it is unset (1.37 does, 1.35 does not).
 */
function rollsOneAtATime(w: Workload): boolean {
  const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
  return unavailable === undefined || unavailable === 1;
}

/**
 * Both resolved to 0 would never progress: Deployment and DaemonSet controllers then take one unavailable.
 */
function fenceposts(maxSurge: number, maxUnavailable: number): [number, number] {
  return maxSurge === 0 && maxUnavailable === 0 ? [0, 1] : [maxSurge, maxUnavailable];
}

/**
 * What a rollout's pace is made of, apart from how many pods and nodes it has (an autoscaler may change
 * those): apply rolls a workload only at the pace the plan printed.
 */
export function rolloutPace(w: Workload): string {
  const type = updateStrategyType(w);
  if (w.kind === "Deployment") {
    const r = w.spec.strategy?.rollingUpdate;
    return type === "Recreate" ? type : `${type} ${r?.maxSurge ?? "25%"} ${r?.maxUnavailable ?? "25%"}`;
  }
  const r = w.spec.updateStrategy?.rollingUpdate;
  if (w.kind === "StatefulSet") return `${type} ${partitionOf(w)} ${r?.maxUnavailable ?? 1}`;
  return `${type} ${r?.maxSurge ?? 0} ${r?.maxUnavailable ?? 1}`;
}

/** What the rollout will do, in the controller's own terms. */
export function rolloutReason(w: Workload): string {
  const name = workloadName(w);
  if (w.kind === "Deployment") {
    const replicas = counted(w.spec.replicas ?? 1, "pod");
    if (updateStrategyType(w) === "Recreate") {
      const which = w.spec.replicas === 1 ? "its pod stops" : `all ${replicas} stop`;
      return `Recreate rollout of ${name}: ${which} before any new one starts`;
    }
    const r = w.spec.strategy?.rollingUpdate;
    return `rolling update of ${name}'s ${replicas}, maxSurge ${r?.maxSurge ?? "25%"}, maxUnavailable ${r?.maxUnavailable ?? "25%"}`;
  }
  if (w.kind === "StatefulSet") {
    const r = w.spec.updateStrategy?.rollingUpdate;
    const partition = r?.partition ?? 0;
    const which =
      partition > 0
        ? `pods from ordinal ${startOrdinal(w) + partition}`
        : counted(w.spec.replicas ?? 1, "pod");
    const pace = rollsOneAtATime(w) ? "one at a time" : `maxUnavailable ${r?.maxUnavailable}`;
    return `rolling update of ${name}'s ${which}, ${pace} from the highest ordinal`;
  }
  const r = w.spec.updateStrategy?.rollingUpdate;
  const nodes = counted(w.status?.desiredNumberScheduled ?? 0, "node");
  return `rolling update of ${name}'s pods on ${nodes}, maxSurge ${r?.maxSurge ?? 0}, maxUnavailable ${r?.maxUnavailable ?? 1}`;
}

/**
 * A StatefulSet's pod that its partition keeps from rolling: one below it, counted from the set's first
 * ordinal (with `ordinals.start: 1` and partition 2, db-1 and db-2 are kept).
 */
export function belowPartition(w: Workload, pod: string): boolean {
  // A pod named otherwise never counts as held back.
  const ordinal = podOrdinal(w.metadata.name, pod) ?? Number.POSITIVE_INFINITY;
  return ordinal - startOrdinal(w) < partitionOf(w);
}

function startOrdinal(w: Workload): number {
  return w.kind === "StatefulSet" ? (w.spec.ordinals?.start ?? 0) : 0;
}

export function partitionOf(w: Workload): number {
  return w.kind === "StatefulSet" ? (w.spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
}
