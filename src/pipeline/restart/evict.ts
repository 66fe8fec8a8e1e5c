/**
 * The evict strategy: pods of one workload are evicted one at a time through the Eviction API, so the
 * API server enforces every PodDisruptionBudget; each replacement is checked before the next, as with
 * delete. While a budget forbids the disruption (429) the eviction is retried with backoff, as
 * `kubectl drain` does, up to --wait-timeout; then that pod is left, naming the budget, and the others
 * are tried without a second wait. A 429 of an API server shedding load is retried the same way.
 */
import type { EvictOutcome } from "../../adapters/kubectl.js";
import {
  blockingBudgets,
  type DisruptionBudget,
  type Labels,
  type PodHealth,
  selectingBudgets,
  severalBudgetsReason,
} from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import type { PodOutcome } from "../../core/restart-outcomes.js";
import { ToolFailedError } from "../../errors.js";
import type { BudgetGate } from "./budget-gate.js";
import { type ControllersReadiness, healthIn, readinessByController } from "./controller-readiness.js";
import { checkReplacement } from "./replacement.js";
import type { GroupReporter, RestartApi, RestartOptions } from "./restart-options.js";
import { readsHealth, standingAfterWait, Turns } from "./standing.js";

/** The backoff between refused evictions doubles from the poll interval up to this. */
const maxBackoffMs = 10_000;

export async function evictGroup(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  const readiness = readinessByController(api, reporter.options.signal, reporter.options.clock);
  try {
    await evictEach(api, group, budgets, reporter, readiness);
  } finally {
    await readiness.stop();
  }
}

async function evictEach(
  api: RestartApi,
  planned: readonly PlanPod[],
  gate: BudgetGate,
  reporter: GroupReporter,
  controllers: ControllersReadiness,
): Promise<void> {
  const { options } = reporter;
  const waiting = options.wait && !options.dryRun;
  const turns = new Turns(planned, reporter);
  // One wait for a budget per controller: once waited out, its other pods are tried once each.
  let waitedOut = false;
  // The budgets that refused a pod are named from one read per group: its other pods meet the same ones.
  let budgets: Promise<DisruptionBudget[] | null> | undefined;
  const budgetsOnce = () => {
    budgets ??= readBudgets(api, planned[0]!.namespace);
    return budgets;
  };
  for await (const turn of turns.each(api, controllers, waiting)) {
    const { index, pod, readiness } = turn;
    // Its labels as last read: its budgets select it by them (an operator may move a role label to it).
    let { before, labels } = turn;
    // While a budget's refusal is waited out the other pods may stop being Ready: counted again each retry.
    // So may the pod itself be opted out or let go meanwhile.
    const stillShort = async () => {
      const now = await standingAfterWait(api, pod, readiness, options, true);
      if ("left" in now) return now.left;
      ({ before, labels } = now);
      return null;
    };
    // Ready or not, as its controller's pods were last seen; where they are not followed, as the pod
    // reads now.
    const health = () => (readiness ? healthIn(before, pod.name) : readsHealth(api, pod));
    const outcome = await evictPatiently(api, gate, pod, options, waiting && !waitedOut, {
      stillShort,
      health,
      labels: () => labels,
    });
    if (outcome === "stopped") return turns.stopped(index);
    if (outcome.kind === "left") {
      reporter.report(pod, outcome.outcome);
      continue;
    }
    if (outcome.kind === "blocked" || outcome.kind === "throttled" || outcome.kind === "held") {
      waitedOut = waiting;
      const reason =
        outcome.kind === "throttled"
          ? `the API server turned the eviction away as too many requests; run again later: ${outcome.reason}`
          : outcome.kind === "held"
            ? heldReason(await budgetsOnce(), labels, outcome.reason)
            : blockedReason(await budgetsOnce(), labels, outcome.reason);
      reporter.report(pod, { kind: "not-started", reason });
      continue;
    }
    if (outcome.kind === "several-budgets") {
      reporter.report(pod, { kind: "failed", reason: severalBudgetsOf(await budgetsOnce(), labels) });
      continue;
    }
    reporter.report(pod, outcome);
    if (outcome.kind !== "evicted") continue;
    const last = turns.isLast(index);
    const why = await checkReplacement(
      "evict",
      pod,
      planned,
      waiting ? { readiness, before } : null,
      last,
      reporter,
    );
    if (why !== null) return turns.stop(index + 1, why);
  }
}

/** An eviction not sent: a rollout of this run holds the pod's budgets, for `reason`. */
interface HeldByRun {
  kind: "held";
  reason: string;
}

/**
 * Evicts, retrying a refusal by a budget, or by an API server shedding load, with doubling backoff until
 * `mayWait` runs out (--wait-timeout); before each retry `stillShort` says whether the pod's controller is
 * now short of Ready pods.
 */
async function evictPatiently(
  api: RestartApi,
  gate: BudgetGate,
  pod: PlanPod,
  options: RestartOptions,
  mayWait: boolean,
  {
    stillShort,
    health,
    labels,
  }: {
    stillShort: () => Promise<PodOutcome | null>;
    health: () => PodHealth | Promise<PodHealth>;
    labels: () => Labels;
  },
): Promise<EvictOutcome | HeldByRun | { kind: "left"; outcome: PodOutcome } | "stopped"> {
  const { clock } = options;
  const deadline = clock.now() + (mayWait ? options.waitTimeoutMs : 0);
  let backoff = options.pollMs;
  for (;;) {
    // A rollout beside it holding the budget is waited for as the API server's refusal is.
    const sent = await gate.evictUnlessHeld(pod, labels(), health, async () =>
      // A stop while the budgets were read still starts nothing.
      options.signal.aborted ? "stopped" : api.evictPod(pod.namespace, pod.name, pod.uid, options.dryRun),
    );
    if (sent === "stopped") return "stopped";
    const outcome: EvictOutcome | HeldByRun = "held" in sent ? { kind: "held", reason: sent.held } : sent;
    if (outcome.kind !== "blocked" && outcome.kind !== "throttled" && outcome.kind !== "held") return outcome;
    if (options.signal.aborted) return "stopped";
    const left = deadline - clock.now();
    if (left <= 0) return outcome;
    await clock.sleep(Math.min(backoff, left), options.signal);
    if (options.signal.aborted) return "stopped";
    const changed = await stillShort();
    if (options.signal.aborted) return "stopped";
    if (changed) return { kind: "left", outcome: changed };
    backoff = Math.min(backoff * 2, maxBackoffMs);
  }
}

/**
 * A refusal by a budget, naming it. kubectl prints only the Status message ("Cannot evict pod as it would
 * violate the pod's disruption budget."), not its cause naming the budget: the names come from a list of
 * the namespace's budgets read after the first refusal.
 */
function blockedReason(budgets: DisruptionBudget[] | null, labels: Labels, refusal: string): string {
  const names = budgets ? blockingBudgets(budgets, labels).map((b) => b.name) : [];
  if (names.length > 0) return `PodDisruptionBudget ${names.join(", ")} allows no disruption now`;
  return `a PodDisruptionBudget allows no disruption now (${refusal})`;
}

/** Not sent, as a rollout of this run holds what the pod's budgets allow (`why`), or a budget that blocks. */
function heldReason(budgets: DisruptionBudget[] | null, labels: Labels, why: string): string {
  const names = budgets ? blockingBudgets(budgets, labels).map((b) => b.name) : [];
  return names.length > 0 ? `PodDisruptionBudget ${names.join(", ")} allows no disruption now` : why;
}

function severalBudgetsOf(budgets: DisruptionBudget[] | null, labels: Labels): string {
  return severalBudgetsReason(budgets ? selectingBudgets(budgets, labels).map((b) => b.name) : []);
}

/** The namespace's budgets, or null when they cannot be read (the reasons then name none). */
async function readBudgets(api: RestartApi, namespace: string): Promise<DisruptionBudget[] | null> {
  try {
    return await api.listDisruptionBudgets(namespace);
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    return null;
  }
}
