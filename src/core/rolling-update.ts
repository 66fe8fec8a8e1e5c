/**
 * Whether a workload's rolling update keeps any pod serving, with maxSurge and maxUnavailable resolved as
 * its controller resolves them. Pure: the workload comes from kubectl.
 */
import { counted } from "../util/counted.js";
import { type IntOrPercent, updateStrategyType, type Workload } from "./workload.js";

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
  if (w.kind === "Deployment") {
    const replicas = w.spec.replicas ?? 1;
    const surge = w.spec.strategy?.rollingUpdate?.maxSurge ?? "25%";
    const unavailable = w.spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%";
    const [, maxUnavailable] = fenceposts(
      scaled(surge, replicas, Math.ceil),
      scaled(unavailable, replicas, Math.floor),
    );
    if (replicas < 1 || maxUnavailable < replicas) return null;
    return `maxSurge ${surge}, maxUnavailable ${unavailable} of ${counted(replicas, "replica")}`;
  }
  if (w.kind === "StatefulSet") {
    const replicas = w.spec.replicas ?? 1;
    const rolling = w.spec.updateStrategy?.rollingUpdate;
    const unavailable = rolling?.maxUnavailable;
    const maxUnavailable = Math.max(1, scaled(unavailable ?? 1, replicas, Math.floor));
    if (replicas < 1 || (rolling?.partition ?? 0) > 0 || maxUnavailable < replicas) return null;
    return rollsOneAtATime(w)
      ? "its one replica is deleted before its replacement is made"
      : `maxUnavailable ${unavailable} of ${counted(replicas, "replica")}`;
  }
  const nodes = w.status?.desiredNumberScheduled ?? 0;
  const surge = w.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0;
  const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const [maxSurge, maxUnavailable] = fenceposts(
    scaled(surge, nodes, Math.ceil),
    scaled(unavailable, nodes, Math.ceil),
  );
  if (nodes < 1 || maxSurge > 0 || maxUnavailable < nodes) return null;
  // One wording whatever the count: apply compares the plan's warning with its own, counts aside.
  return `maxSurge ${surge}, maxUnavailable ${unavailable} of ${counted(nodes, "node")}`;
}

/**
 * How many of the workload's Ready pods its rolling update may take out of service at once, as its controller
 * resolves maxUnavailable (a surge does not lower it: the controller may use both). What a PodDisruptionBudget
 * must allow for auto to roll it rather than evict its pods one at a time.
 */
export function rolloutTakesDown(w: Workload): number {
  if (w.kind === "Deployment") {
    const replicas = w.spec.replicas ?? 1;
    const surge = w.spec.strategy?.rollingUpdate?.maxSurge ?? "25%";
    const unavailable = w.spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%";
    if (updateStrategyType(w) !== "RollingUpdate") return replicas;
    const [, maxUnavailable] = fenceposts(
      scaled(surge, replicas, Math.ceil),
      scaled(unavailable, replicas, Math.floor),
    );
    return atMost(maxUnavailable, replicas);
  }
  if (w.kind === "StatefulSet") {
    const replicas = w.spec.replicas ?? 1;
    const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
    return atMost(Math.max(1, scaled(unavailable, replicas, Math.floor)), replicas);
  }
  const nodes = w.status?.desiredNumberScheduled ?? 0;
  const surge = w.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0;
  const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const [maxSurge, maxUnavailable] = fenceposts(
    scaled(surge, nodes, Math.ceil),
    scaled(unavailable, nodes, Math.ceil),
  );
  return maxSurge > 0 ? 0 : atMost(maxUnavailable, nodes);
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
export function rollsOneAtATime(w: Workload): boolean {
  const unavailable = w.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
  return unavailable === undefined || unavailable === 1;
}

/** Both resolved to 0 would never progress: Deployment and DaemonSet controllers then take one unavailable. */
function fenceposts(maxSurge: number, maxUnavailable: number): [number, number] {
  return maxSurge === 0 && maxUnavailable === 0 ? [0, 1] : [maxSurge, maxUnavailable];
}
