/**
 * What restarting takes and how it reports back: the kubectl calls, the options, each strategy's reporter,
 * and why a run stopped.
 */
import type { Kubectl } from "../../adapters/kubectl.js";
import type { PlanPod, StrategyName } from "../../core/plan.js";
import type {
  CompletedRestart,
  PodOutcome,
  ReplacementProblem,
  RolloutReport,
} from "../../core/restart-outcomes.js";
import type { Clock } from "../../util/clock.js";

/** The kubectl calls restarting takes (an in-memory cluster in the unit tests). */
export type RestartApi = Pick<
  Kubectl,
  | "getObject"
  | "listPodsBySelector"
  | "readPod"
  | "watchPodsBySelector"
  | "listReplicaSets"
  | "deletePod"
  | "listDisruptionBudgets"
  | "evictPod"
  | "getWorkload"
  | "patchRestartedAt"
>;

export interface RestartOptions {
  /** As asked: a rollout re-checks the workload against it right before patching. */
  strategy: StrategyName;
  dryRun: boolean;
  /** Wait for each replacement (each rollout) to be Ready and check its digest, the last one too. */
  wait: boolean;
  waitTimeoutMs: number;
  pollMs: number;
  concurrency: number;
  /**
   * Once aborted nothing new starts. The strategies are given restartPods' own, which an error that stops
   * the run (the cluster out of reach) aborts too, with a RunStop.
   */
  signal: AbortSignal;
  clock: Clock;
  /** Each evicted or deleted pod, as it happens. */
  onOutcome: (pod: PlanPod, outcome: PodOutcome) => void;
  /** An evicted or deleted pod whose replacement did not come up as planned. */
  onReplacementProblem: (problem: ReplacementProblem) => void;
  /** Each rollout, once it has ended (or was left). */
  onRollout: (report: RolloutReport) => void;
  /** Each restart that happened (not under --dry-run), once its replacement is checked. */
  onRestarted?: (restart: CompletedRestart) => void;
  /** The plan's pods left alone that run a stale digest, by workload (core's staleLeftByWorkload). */
  staleLeft?: ReadonlyMap<string, readonly PlanPod[]>;
  /**
   * The containers the plan saw on images named by no digest, by workload (core's unnamedImagesByWorkload).
   */
  unnamedSeen?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** How one controller's strategy reports back to restartPods. */
export interface GroupReporter {
  options: RestartOptions;
  /**
   * A pod's outcome. A rollout's pods are reported in its own line, unless `ownLine`: a pod the rollout left
   * for a reason of its own (taken out of the workload since the plan).
   */
  report(pod: PlanPod, outcome: PodOutcome, ownLine?: boolean): void;
  reportProblem(problem: ReplacementProblem): void;
  reportRollout(report: RolloutReport): void;
  restarted(restart: CompletedRestart): void;
}

/** Why the run stopped when an error did (the cluster out of reach), as the pods it left say it. */
export class RunStop {
  constructor(readonly reason: string) {}
}

/** What a pod left, or a check cut short, says once the signal is aborted: a signal interrupts. */
export function stopReason(signal: AbortSignal): string {
  return signal.reason instanceof RunStop ? signal.reason.reason : "interrupted";
}

/** Why a group's next pods are left: `stopped` when it is the run's stop, not anything of their own. */
export interface Left {
  reason: string;
  stopped?: true;
  /**
   * Its budgets still allow no disruption at the wait's end: this pod is left, not its controller's others.
   */
  blocked?: true;
}

/** The pods the run's stop leaves. */
export function leftByStop(signal: AbortSignal): Left {
  return { reason: stopReason(signal), stopped: true };
}
