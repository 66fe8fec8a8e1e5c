/**
 * The order workloads are restarted in: those a PodDisruptionBudget holds now go last. Each such workload
 * holds a --concurrency slot for up to --wait-timeout while its budget is waited out (an eviction's, or under
 * auto a rollout's, which apply holds to its budgets itself); first in the API's order, as they are at every
 * run, a few of them would keep the CronJob from ever reaching the rest before its deadline. One budget list
 * per namespace; a list refused changes nothing (the workload meets it itself), a cluster out of reach is
 * thrown.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { type DisruptionBudget, selectingBudgets } from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import { mapLimit } from "../../util/map-limit.js";
import type { RestartApi, RestartOptions } from "./restart-options.js";

export async function blockedLast(
  api: Pick<RestartApi, "listDisruptionBudgets">,
  groups: readonly (readonly PlanPod[])[],
  options: Pick<RestartOptions, "concurrency" | "wait" | "dryRun" | "strategy">,
): Promise<(readonly PlanPod[])[]> {
  // Only a wait holds a slot: a dry run or --no-wait leaves a refused pod at once.
  if (!options.wait || options.dryRun) return [...groups];
  // The disruptions a group waits for its budgets to allow: an eviction's one, a rollout's (under auto) as
  // many as it takes out of service at once; none under --strategy rollout, which budgets do not govern.
  const needs = (group: readonly PlanPod[]) => {
    const { strategy, takesDown } = group[0]!.restart!;
    if (strategy !== "rollout") return 1;
    return options.strategy === "auto" ? (takesDown ?? 1) : 0;
  };
  const most = groups.reduce((max, group) => Math.max(max, needs(group)), 0);
  const namespaces = [...new Set(groups.filter((g) => needs(g) > 0).map((group) => group[0]!.namespace))];
  // Only a budget that allows fewer now than some group needs holds anything: usually none of a namespace's.
  const holding = new Map<string, readonly DisruptionBudget[]>();
  await mapLimit(namespaces, options.concurrency, async (namespace) => {
    try {
      const budgets = await api.listDisruptionBudgets(namespace);
      holding.set(
        namespace,
        budgets.filter((budget) => budget.disruptionsAllowed < most),
      );
    } catch (error) {
      // Refused: its workloads read the budgets again, and say so.
      if (!isCallFailure(error)) throw error;
    }
  });
  const free: (readonly PlanPod[])[] = [];
  const held: (readonly PlanPod[])[] = [];
  for (const group of groups) {
    const need = needs(group);
    const isHeld =
      need > 0 &&
      group.some((pod) =>
        selectingBudgets(holding.get(pod.namespace) ?? [], pod.labels).some(
          (b) => b.disruptionsAllowed < need,
        ),
      );
    (isHeld ? held : free).push(group);
  }
  return [...free, ...held];
}
