/** What apply asks before it restarts anything. Pure. */
import type { PlanPod } from "../core/plan.js";
import { counted } from "../util/counted.js";

/**
 * `Restart 3 pods in 1 namespace? [y/N] `, naming the workloads rolled out: a rollout replaces every pod of
 * its workload (but a StatefulSet's below its partition), current ones too, which the count of stale pods
 * alone would understate.
 */
export function restartQuestion(targets: readonly PlanPod[], namespaces: number): string {
  const rolling = targets.filter((pod) => pod.restart?.strategy === "rollout");
  const rolled = new Set(
    rolling.map((pod) => `${pod.namespace}/${pod.restart!.controller.kind}/${pod.restart!.controller.name}`),
  ).size;
  const spared = rolling.some((pod) => pod.restart!.partial) ? ", but those below a partition" : "";
  const rollouts =
    rolled === 0
      ? ""
      : ` (rolling out ${counted(rolled, "workload")}: all ${rolled === 1 ? "its" : "their"} pods are replaced${spared})`;
  return `Restart ${counted(targets.length, "pod")} in ${counted(namespaces, "namespace")}${rollouts}? [y/N] `;
}
