/**
 * The delete strategy, the seed's way kept as an explicit choice: pods of one controller are deleted one at
 * a time, each only while every PodDisruptionBudget selecting it allows a disruption (a DELETE bypasses
 * budgets, so this tool checks them itself), and each replacement is checked before the next.
 */
import { blockingBudgets, type DisruptionBudget } from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import { ToolFailedError } from "../../errors.js";
import type { GroupReporter, RestartApi, RestartOptions } from "./outcomes.js";
import { controllerReadiness, podRestart, replacementProblem } from "./replacement.js";

export async function deleteGroup(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  const { options } = reporter;
  const waiting = options.wait && !options.dryRun;
  const readiness = waiting ? await controllerReadiness(api, group[0]!) : null;
  const stop = (from: number, reason: string) => {
    for (const rest of group.slice(from)) reporter.record(rest, { kind: "not-started", reason });
  };
  for (const [index, pod] of group.entries()) {
    if (options.signal.aborted) return stop(index, "interrupted");
    const allowed = await budgets.waitUntilAllowed(pod);
    if (allowed !== true) return stop(index, allowed);
    const before = readiness ? await readiness.snapshot() : null;
    const outcome = await api.deletePod(pod.namespace, pod.name, pod.uid, options.dryRun);
    reporter.record(pod, outcome);
    if (outcome.kind !== "deleted") continue;
    const problem =
      readiness && before ? await replacementProblem(readiness, before, pod, options) : undefined;
    reporter.restarted(podRestart("delete", pod, problem, options));
    if (problem === null || problem === undefined) continue;
    // Before a next pod, the problem is why it is spared; after the last one, it is reported on its own.
    if (index < group.length - 1) return stop(index + 1, problem);
    if (problem !== "interrupted") reporter.recordProblem({ pod, reason: problem });
  }
}

/** Checks the disruption budgets of a pod's namespace before each deletion, waiting while they block. */
export class BudgetGate {
  readonly warnings: string[] = [];
  private unreadable = false;

  constructor(
    private readonly api: Pick<RestartApi, "listDisruptionBudgets">,
    private readonly options: RestartOptions,
  ) {}

  /** True when the pod may be deleted now (or after waiting), else why not. */
  async waitUntilAllowed(pod: PlanPod): Promise<true | string> {
    // A server dry run consumes no budget; without permission to read budgets, say so once and go on.
    if (this.options.dryRun || this.unreadable) return true;
    const { clock } = this.options;
    const deadline = clock.now() + (this.options.wait ? this.options.waitTimeoutMs : 0);
    for (;;) {
      let blocking: DisruptionBudget[];
      try {
        blocking = blockingBudgets(await this.api.listDisruptionBudgets(pod.namespace), pod.labels);
      } catch (error) {
        if (!(error instanceof ToolFailedError)) throw error;
        this.unreadable = true;
        this.warnings.push(`${error.message}: deleting without checking PodDisruptionBudgets`);
        return true;
      }
      if (blocking.length === 0) return true;
      if (this.options.signal.aborted) return "interrupted";
      if (clock.now() >= deadline) {
        return `PodDisruptionBudget ${blocking.map((b) => b.name).join(", ")} allows no disruption now`;
      }
      await clock.sleep(this.options.pollMs, this.options.signal);
    }
  }
}
