/**
 * What may have changed about a planned pod by the time its eviction or deletion comes (minutes later, in
 * a long run or after the prompt). Pure.
 */
import { controllerOf, ignoreLabel, isOptedOut, type Pod } from "./k8s.js";
import type { PlanPod } from "./plan.js";

/**
 * Why a pod planned to be evicted or deleted one at a time must be left now, as read just before: opted
 * out since the plan, or no longer owned by the controller that would recreate it (deleted leaving its
 * pods, or the pod taken out of it by a change of its labels), so that, gone, nothing would bring it back.
 * Null when it may go, or when it is gone or another pod has its name now (the eviction or deletion, by
 * UID, reports that).
 */
export function leftSincePlan(planned: PlanPod, current: Pod | null): string | null {
  if (!current || current.metadata.uid !== planned.uid) return null;
  if (isOptedOut(current.metadata)) return `opted out since the plan (${ignoreLabel}=true)`;
  const controller = planned.controller;
  if (controller && controllerOf(current.metadata)?.uid !== controller.uid) {
    return `no longer owned by ${controller.kind}/${controller.name} since the plan: nothing would recreate it`;
  }
  return null;
}

/**
 * Whether a planned pod is being deleted since the plan (a drain, its node taken away): its controller
 * replaces it without this run, and a restart of it would wait for a replacement made already.
 */
export function goingSincePlan(planned: PlanPod, current: Pod | null): boolean {
  return current?.metadata.uid === planned.uid && current.metadata.deletionTimestamp !== undefined;
}
