/**
 * What restarting reports: each pod's outcome, each rollout's, replacements that did not come up as
 * planned, and each restart that happened (what its Event records).
 */
import type { ControllerRef, PlanPod, RestartMethod } from "./plan.js";

export type PodOutcome =
  | { kind: "deleted" }
  | { kind: "evicted" }
  /** Replaced by its controller's rollout (or, with --dry-run, the rollout was accepted by the server). */
  | { kind: "rolled" }
  /**
   * Its controller's rollout was started and not followed to the end (--no-wait, the run stopped): it goes on
   * on the server.
   */
  | { kind: "in-progress" }
  /** Gone before its restart, or (`reason`) during it: its workload scaled down while its rollout ran. */
  | { kind: "gone"; reason?: string }
  /** Replaced since the plan, or (`reason`) restarted onto the new digest by its own containers' restart. */
  | { kind: "replaced"; reason?: string }
  | { kind: "failed"; reason: string }
  /** `stopped`: left because the run stopped (a signal, the cluster out of reach), not for its own sake. */
  | { kind: "not-started"; reason: string; stopped?: true };

/**
 * A restarted pod (or rollout) whose replacement did not come up as planned: not Ready in time, or on the
 * old digest.
 */
export interface ReplacementProblem {
  pod: PlanPod;
  reason: string;
}

export type RolloutOutcome =
  /**
   * Followed to the end and checked: `pods` pods run the new template. `unchecked`: why its pods were not
   * checked for the old digest after all (the run stopped then).
   */
  | { kind: "rolled-out"; pods: number; unchecked?: string }
  /** Patched and not followed (--dry-run, --no-wait). */
  | { kind: "started" }
  /**
   * Patched, then the run stopped (interrupted, the cluster out of reach): the controller goes on rolling.
   */
  | { kind: "in-progress"; progress: string }
  /** Nothing patched. */
  | { kind: "not-started"; reason: string }
  /**
   * Nothing patched, nor needed: none of its planned pods is left (someone rolled it since the plan), or
   * those left run the new digest already. `gone`: those whose name no pod has now; `current`: those whose
   * containers restarted onto the new image; the others' names run new pods.
   */
  | { kind: "replaced"; gone: readonly string[]; current?: readonly string[] }
  /**
   * `patched`: the rollout began and then failed (progress deadline, timeout, old digest); `ongoing`: it
   * stopped short of replacing the pods (deadline, timeout), and the controller keeps at it.
   * `perhapsPatched`: the patch failed without an answer (a timeout), and the workload was not read after.
   * `paused`: ongoing, but paused since the patch: the pods not replaced yet stay until it is resumed.
   */
  | {
      kind: "failed";
      reason: string;
      patched: boolean;
      ongoing?: boolean;
      perhapsPatched?: true;
      paused?: true;
    };

export interface RolloutReport {
  namespace: string;
  controller: ControllerRef;
  /** The planned pods of this controller. */
  pods: readonly PlanPod[];
  outcome: RolloutOutcome;
}

/**
 * A restart that happened — a pod evicted or deleted, a workload patched to roll — and how its replacement
 * came up: what an Event records.
 */
export interface CompletedRestart {
  strategy: RestartMethod;
  namespace: string;
  /**
   * What its Event is about (the Event's `regarding`): the workload rolled out, or the controller that
   * recreates the evicted or deleted pod — for a Deployment's pod, its ReplicaSet.
   */
  regarding: { kind: string; name: string; uid?: string };
  /** The evicted or deleted pod; absent for a rollout. */
  pod?: PlanPod;
  /** The planned pods it replaced: the evicted or deleted one, or all of a rolled controller's. */
  pods: readonly PlanPod[];
  /**
   * How the replacement came up: on the new image, not checked (and why), or what went wrong — with what
   * the restart was for (core/restarted-for.ts) when an evicted or deleted pod came back on the old digest,
   * or was not checked (then with when it was restarted, ms: only pods made since may be its replacement).
   * One up may name the moves of stale containers that came back on a digest the plan did not name.
   */
  replacement:
    | { kind: "up"; restartedFor?: string }
    | { kind: "unchecked"; why: string; restartedFor?: string; restartedAt?: number }
    | { kind: "problem"; reason: string; restartedFor?: string; restartedAt?: number };
}
