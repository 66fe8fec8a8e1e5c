/** What apply asks before it restarts anything. Pure. */
import type { PlanPod } from "../core/plan.js";
import { counted } from "../util/counted.js";

/**
 * `Restart 3 pods in 1 namespace? [y/N] `, naming the workloads rolled out: a rollout replaces every pod of
 * its workload, current ones too, which the count of stale pods alone would understate.
 */
export function restartQuestion(targets: readonly PlanPod[], namespaces: number): string {
  const rolled = new Set(
    targets.flatMap((pod) =>
      pod.restart?.strategy === "rollout"
        ? [`${pod.namespace}/${pod.restart.controller.kind}/${pod.restart.controller.name}`]
        : [],
    ),
  ).size;
  const rollouts =
    rolled === 0
      ? ""
      : ` (rolling out ${counted(rolled, "workload")}: all ${rolled === 1 ? "its" : "their"} pods are replaced)`;
  return `Restart ${counted(targets.length, "pod")} in ${counted(namespaces, "namespace")}${rollouts}? [y/N] `;
}
