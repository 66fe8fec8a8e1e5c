/**
 * The delete strategy, k8s-auto-updater's way kept as an explicit choice: pods of one workload are deleted
 * one at a time, each only while every PodDisruptionBudget selecting it allows a disruption (a DELETE
 * bypasses budgets, so this tool checks them itself), and each replacement is checked before the next.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { type DisruptionBudget, letsUnreadyPodGo, selectingBudgets } from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import { isReady } from "../../core/readiness.js";
import { type ControllersReadiness, readinessByController } from "./controller-readiness.js";
import { checkReplacement } from "./replacement.js";
import {
  type GroupReporter,
  type Left,
  leftByStop,
  type RestartApi,
  type RestartOptions,
} from "./restart-options.js";
import { standingAfterWait, Turns } from "./standing.js";

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
  // Held or not is decided before the budgets are asked: what they allow must still hold at the deletion.
  nextPod: for await (const turn of turns.each(api, controllers, waiting)) {
    const { index, pod, readiness } = turn;
    let before = turn.before;
    let asked = options.clock.now();
    // Not Ready, as its controller's pods say: as the turn found them, or read again once time has passed;
    // where they are not followed (a dry run, --no-wait), as the pod itself says.
    const notReady = async () => {
      if (!readiness) {
        const current = await api.readPod(pod.namespace, pod.name);
        return current !== null && current.metadata.uid === pod.uid && !isReady(current);
      }
      const now = options.clock.now() > asked ? await readiness.snapshot() : before;
      return now?.notReady.includes(pod.name) === true;
    };
    let allowed = await budgets.waitUntilAllowed(pod, notReady);
    if ("reason" in allowed) return turns.stop(index, allowed);
    // Without a check of the replacement, a deletion counts against its budgets until their status shows it.
    let heldUntilShown = false;
    try {
      // A wait for the budgets may have taken minutes: the pod and its controller's are read again after it.
      // One let through because it was not Ready, and Ready by now, is asked for again.
      while (options.clock.now() > asked) {
        const now = await standingAfterWait(api, pod, readiness, options, false);
        if ("left" in now) {
          reporter.report(pod, now.left);
          continue nextPod;
        }
        before = now.before;
        if (options.signal.aborted) return turns.stopped(index);
        // Without the controller's pods followed, the pod read for the budgets is all there is to go by.
        if (!allowed.asUnready || !readiness || before?.notReady.includes(pod.name)) break;
        allowed.release();
        asked = options.clock.now();
        const again = await budgets.waitUntilAllowed(pod, notReady);
        if ("reason" in again) {
          allowed = { release() {} };
          return turns.stop(index, again);
        }
        allowed = again;
      }
      const outcome = await api.deletePod(pod.namespace, pod.name, pod.uid, options.dryRun);
      reporter.report(pod, outcome);
      if (outcome.kind !== "deleted") continue;
      heldUntilShown = !waiting;
      const last = turns.isLast(index);
      const waited = waiting ? { readiness, before } : null;
      const why = await checkReplacement("delete", pod, waited, last, reporter);
      if (why !== null) return turns.stop(index + 1, why);
    } finally {
      if (!heldUntilShown) allowed.release();
    }
  }
}

/** A deletion let through by the budgets selecting the pod, held against them until `release`. */
interface Allowance {
  release(): void;
  /** Let through by some budget only because the pod was not Ready: it must still not be at the deletion. */
  asUnready?: boolean;
}

/**
 * Checks the disruption budgets of a pod's namespace before each deletion, waiting while they block.
 * Workloads are restarted side by side, and a budget may select pods of several: a deletion let through
 * counts against each of its budgets while the budget's status does not show it (its disruptionsAllowed has
 * not gone down since by as many as were let through), until its replacement is up (with --no-wait, for the
 * rest of the run: nothing sees the replacement come up).
 */
export class BudgetGate {
  /** Deletions let through and not yet released, by namespace/budget: the budget's disruptionsAllowed then. */
  private readonly drawn = new Map<string, Draw[]>();

  constructor(
    private readonly api: Pick<RestartApi, "listDisruptionBudgets">,
    private readonly options: RestartOptions,
  ) {}

  /**
   * The allowance when the pod may be deleted now (or after waiting), else why not. When its budgets
   * cannot be read the pod is left at once: a DELETE would bypass them unseen. A pod `notReady` says is
   * not Ready at a look goes where the budgets let such a pod go (letsUnreadyPodGo), drawing nothing from
   * them (the allowance says so: `asUnready`).
   */
  async waitUntilAllowed(
    pod: PlanPod,
    notReady: () => boolean | Promise<boolean> = () => false,
  ): Promise<Allowance | Left> {
    const { clock, dryRun } = this.options;
    // A server dry run of a DELETE checks no budget: they are read as for the real run, but not waited for,
    // and a dry run draws nothing from them.
    const deadline = clock.now() + (this.options.wait && !dryRun ? this.options.waitTimeoutMs : 0);
    for (;;) {
      let selecting: DisruptionBudget[];
      try {
        selecting = selectingBudgets(await this.api.listDisruptionBudgets(pod.namespace), pod.labels);
      } catch (error) {
        // The cluster out of reach stops the run (restartPods); a Ctrl-C reaches the kubectl too.
        if (!isCallFailure(error)) throw error;
        if (this.options.signal.aborted) return leftByStop(this.options.signal);
        return {
          reason: `its PodDisruptionBudgets could not be read, and a deletion would bypass them (under --strategy evict the API server enforces them): ${error.message}`,
        };
      }
      const excused = selecting.some(letsUnreadyPodGo) && (await notReady());
      const counting = excused ? selecting.filter((b) => !letsUnreadyPodGo(b)) : selecting;
      const blocking = counting.filter((b) => b.disruptionsAllowed - this.unseen(pod.namespace, b) < 1);
      if (blocking.length === 0) {
        const allowance = dryRun ? { release() {} } : this.draw(pod.namespace, counting);
        return { ...allowance, asUnready: counting.length < selecting.length };
      }
      if (this.options.signal.aborted) return leftByStop(this.options.signal);
      if (clock.now() >= deadline) {
        return {
          reason: `PodDisruptionBudget ${blocking.map((b) => b.name).join(", ")} allows no disruption now`,
        };
      }
      await clock.sleep(this.options.pollMs, this.options.signal);
    }
  }

  /**
   * This run's deletions under the budget that its status, as just read, does not show yet. Of those not
   * shown before, it shows at most as many as its disruptionsAllowed has gone down since the highest it was
   * at one of their draws (one drop of one shows one deletion, however many were let through at that
   * allowance), the earliest first. Once shown, a deletion stays shown: its replacement coming up raises the
   * allowance again before the draw is released (with --no-wait, never), and must not hide a later one.
   */
  private unseen(namespace: string, budget: DisruptionBudget): number {
    const unseen = (this.drawn.get(`${namespace}/${budget.name}`) ?? []).filter((draw) => !draw.seen);
    const shown = Math.max(0, ...unseen.map((draw) => draw.allowedThen - budget.disruptionsAllowed));
    for (const draw of unseen.slice(0, shown)) draw.seen = true;
    return Math.max(0, unseen.length - shown);
  }

  private draw(namespace: string, budgets: readonly DisruptionBudget[]): Allowance {
    const taken = budgets.map((budget) => {
      const key = `${namespace}/${budget.name}`;
      const draw: Draw = { allowedThen: budget.disruptionsAllowed, seen: false };
      this.drawn.set(key, [...(this.drawn.get(key) ?? []), draw]);
      return [key, draw] as const;
    });
    return {
      release: () => {
        for (const [key, draw] of taken)
          this.drawn.set(
            key,
            (this.drawn.get(key) ?? []).filter((d) => d !== draw),
          );
      },
    };
  }
}

/** A deletion let through: the budget's disruptionsAllowed when it was, and whether its status showed it. */
interface Draw {
  allowedThen: number;
  seen: boolean;
}
