/**
 * The delete strategy, for a user who asks for it: pods of one workload are deleted one at a time, each only
 * while every PodDisruptionBudget selecting it allows a disruption (a DELETE bypasses budgets, so this tool
 * checks them itself), and each replacement is checked before the next.
 */
import type { Labels } from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import type { BudgetGate } from "./budget-gate.js";
import { type ControllersReadiness, healthIn, readinessByController } from "./controller-readiness.js";
import { checkReplacement } from "./replacement.js";
import type { GroupReporter, Left, RestartApi } from "./restart-options.js";
import { readsHealth, standingAfterWait, Turns } from "./standing.js";

export async function deleteGroup(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  const readiness = readinessByController(api, reporter.options.signal, reporter.options.clock);
  try {
    await deleteEach(api, group, budgets, reporter, readiness);
  } finally {
    await readiness.stop();
  }
}

async function deleteEach(
  api: RestartApi,
  planned: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
  controllers: ControllersReadiness,
): Promise<void> {
  const { options } = reporter;
  const waiting = options.wait && !options.dryRun;
  const turns = new Turns(planned, reporter);
  // One wait for a budget per controller, as under evict: once waited out, its other pods are asked
  // once each.
  let waitedOut = false;
  /**
   * A pod its budgets leave: it alone when they allow no disruption; all the rest when they cannot be read.
   */
  const leave = (index: number, pod: PlanPod, left: Left): "next" | "stop" => {
    if (!left.blocked) {
      turns.stop(index, left);
      return "stop";
    }
    waitedOut = waiting;
    reporter.report(pod, { kind: "not-started", reason: left.reason });
    return "next";
  };
  // Held or not is decided before the budgets are asked: what they allow must still hold at the deletion.
  nextPod: for await (const turn of turns.each(api, controllers, waiting)) {
    const { index, pod, readiness } = turn;
    let { before, labels } = turn;
    // Ready or not, as its controller's pods say: as the turn found them, or read again after a wait for the
    // budgets; where they are not followed (a dry run, --no-wait), as the pod itself says.
    const health = async (afterWait: boolean) => {
      if (!readiness) return readsHealth(api, pod);
      return healthIn(afterWait ? await readiness.snapshot() : before, pod.name);
    };
    // Its budgets select it by the labels it carries now: an operator may have moved a role label to it.
    const ask = () => budgets.waitUntilAllowed(pod, health, { mayWait: !waitedOut, labelSets: [labels] });
    let allowed = await ask();
    if ("reason" in allowed) {
      if (leave(index, pod, allowed) === "stop") return;
      continue;
    }
    // Without a wait for the replacement, a deletion counts against its budgets until their status shows it
    // (--no-wait), or as long as that wait would have lasted (its controller's pods not counted).
    let heldOn = false;
    try {
      // A wait for the budgets may have taken minutes: the pod and its controller's are read again after it,
      // and before the deletion of one let through because it was not Ready (or Pending): no longer so, it is
      // asked for again. Any other pod goes as the turn found it.
      while (allowed.waited || allowed.letAs !== undefined) {
        const now = await standingAfterWait(api, pod, readiness, options, false);
        if ("left" in now) {
          reporter.report(pod, now.left);
          continue nextPod;
        }
        before = now.before;
        if (options.signal.aborted) return turns.stopped(index);
        const relabelled = !sameLabels(now.labels, labels);
        labels = now.labels;
        // Without the controller's pods followed, the pod read for the budgets is all there is to go by.
        const still = healthIn(before, pod.name);
        const sameHealth = !allowed.letAs || !readiness || still === "pending" || still === allowed.letAs;
        if (sameHealth && !relabelled) break;
        allowed.release();
        const again = await ask();
        if ("reason" in again) {
          allowed = { release() {} };
          if (leave(index, pod, again) === "stop") return;
          continue nextPod;
        }
        allowed = again;
      }
      // A stop while the budgets were read still starts nothing.
      if (options.signal.aborted) return turns.stopped(index);
      const outcome = await api.deletePod(pod.namespace, pod.name, pod.uid, options.dryRun);
      allowed.landed?.();
      reporter.report(pod, outcome.kind === "failed" ? { kind: "failed", reason: outcome.reason } : outcome);
      // One that may have gone through counts against its budgets as long as its replacement's wait would.
      if (outcome.kind === "failed" && outcome.perhapsDone && allowed.releaseAt) {
        heldOn = true;
        allowed.releaseAt(options.clock.now() + options.waitTimeoutMs);
      }
      if (outcome.kind !== "deleted") continue;
      heldOn = !waiting || !readiness;
      if (waiting && !readiness) allowed.releaseAt?.(options.clock.now() + options.waitTimeoutMs);
      const last = turns.isLast(index);
      const waited = waiting ? { readiness, before } : null;
      const why = await checkReplacement("delete", pod, planned, waited, last, reporter);
      if (why !== null) return turns.stop(index + 1, why);
    } finally {
      if (!heldOn) allowed.release();
    }
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
