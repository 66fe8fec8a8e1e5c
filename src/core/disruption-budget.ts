/**
 * PodDisruptionBudgets: apply deletes pods (the Eviction API would need another permission), so it
 * honours budgets itself — a pod is deleted only while every budget that selects it allows a disruption.
 */
import type { LabelSelector } from "./readiness.js";

/** A pod's labels, as a budget's selector reads them. */
export type Labels = Readonly<Record<string, string>>;

/** What apply reads of a PodDisruptionBudget. */
export interface DisruptionBudget {
  name: string;
  /** Its namespace, when listed beyond one. */
  namespace?: string;
  /** policy/v1: an empty selector selects every pod of the namespace; a missing one selects none. */
  selector: LabelSelector | null;
  disruptionsAllowed: number;
  /** The Ready pods it selects, and how many it wants Ready (its status; absent when not reported). */
  currentHealthy?: number;
  desiredHealthy?: number;
  /** The pods it counts, Ready or not (its status). */
  expectedPods?: number;
  /**
   * Its spec.minAvailable is a count: its controller then counts in expectedPods every pod it selects, ended
   * and going ones too (a pod its kubelet evicted lingers, Failed; one on a lost node stays terminating),
   * where otherwise it counts its controllers' scale.
   */
  countsEndedPods?: boolean;
  /** Its spec.unhealthyPodEvictionPolicy: IfHealthyBudget (the default) or AlwaysAllow. */
  unhealthyPodEvictionPolicy?: string;
}

/**
 * Whether the budget lets a pod that is not Ready go without counting it as a disruption, as the Eviction
 * API does: always under AlwaysAllow; under IfHealthyBudget while the budget has the Ready pods it wants.
 * Such a pod takes no Ready pod away (a crash-looping one is often why disruptionsAllowed is 0).
 */
export function letsUnreadyPodGo(budget: DisruptionBudget): boolean {
  if (budget.unhealthyPodEvictionPolicy === "AlwaysAllow") return true;
  const desired = budget.desiredHealthy ?? 0;
  return desired > 0 && (budget.currentHealthy ?? 0) >= desired;
}

/** How a pod about to go stands for its budgets: Ready, running but not Ready, or Pending (never started). */
export type PodHealth = "ready" | "unready" | "pending";

/**
 * The budgets a pod's going draws from, as the Eviction API counts it: none for a Pending pod (it ignores
 * budgets for a pod not running yet: one stuck in its init containers, often why a budget is at 0); for one
 * not Ready, those that do not let it go (letsUnreadyPodGo); for a Ready one, all that select it.
 */
export function countingBudgets(
  selecting: readonly DisruptionBudget[],
  health: PodHealth,
): DisruptionBudget[] {
  if (health === "pending") return [];
  return health === "unready" ? selecting.filter((b) => !letsUnreadyPodGo(b)) : [...selecting];
}

/** Whether a label selector (matchLabels and matchExpressions) selects a pod with these labels. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    if (operator === "In" && !(has && values.includes(labels[key]!))) return false;
    if (operator === "NotIn" && has && values.includes(labels[key]!)) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** The budgets that select a pod with these labels. */
export function selectingBudgets(budgets: readonly DisruptionBudget[], labels: Labels): DisruptionBudget[] {
  return budgets.filter((b) => b.selector !== null && selectorMatches(b.selector, labels));
}

/**
 * Why a pod more than one budget selects cannot be evicted (`names`: those budgets, when known): the
 * Eviction API refuses it.
 */
export function severalBudgetsReason(names: readonly string[]): string {
  const which = names.length > 0 ? ` (${names.join(", ")})` : "";
  return `more than one PodDisruptionBudget selects it${which}, and the Eviction API refuses such pods: leave one budget, or use --strategy delete`;
}

/** The budgets that select any of several pods, by their labels (a rollout replaces them all). */
export function selectingAny(
  budgets: readonly DisruptionBudget[],
  labelSets: Iterable<Labels>,
): DisruptionBudget[] {
  const sets = [...labelSets];
  return budgets.filter(
    (b) => b.selector !== null && sets.some((labels) => selectorMatches(b.selector!, labels)),
  );
}

/** The budgets that select the pod and allow no disruption now. */
export function blockingBudgets(budgets: readonly DisruptionBudget[], labels: Labels): DisruptionBudget[] {
  return selectingBudgets(budgets, labels).filter(allowsNoDisruption);
}

/** Whether the budget lets no pod it selects go now. */
function allowsNoDisruption(budget: DisruptionBudget): boolean {
  return budget.disruptionsAllowed < 1;
}

/**
 * The most disruptions the budget allows at once, all its pods Ready: its expected pods less those it wants
 * Ready, and less `ended.seen`, the pods that ended or are going it selects, where it counts those (none of
 * them will be Ready). Where some may be out of sight (`ended.allSeen` false: a scope narrowed by a selector
 * or --image), its Ready pods now are all that is known to count. Undefined when its status does not say.
 */
export function mostDisruptionsAllowed(
  budget: DisruptionBudget,
  ended: { seen: number; allSeen: boolean },
): number | undefined {
  const { expectedPods, desiredHealthy } = budget;
  if (expectedPods === undefined || desiredHealthy === undefined) return undefined;
  if (!budget.countsEndedPods) return expectedPods - desiredHealthy;
  const live = expectedPods - ended.seen;
  return (ended.allSeen ? live : Math.min(live, budget.currentHealthy ?? live)) - desiredHealthy;
}

/**
 * The disruptions a budget's status allows, as the Eviction API reads it: none while its status is behind its
 * spec (changed since its controller last wrote it: the count is the old spec's).
 */
export function allowedByStatus(status: {
  disruptionsAllowed?: number;
  generation?: number;
  observedGeneration?: number;
}): number {
  const processed = (status.observedGeneration ?? 0) >= (status.generation ?? 0);
  return processed ? (status.disruptionsAllowed ?? 0) : 0;
}
