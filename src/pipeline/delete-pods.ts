/**
 * Deleting the planned pods without taking a workload down.
 * - Pods of one controller go one at a time; after each, as many of its pods must be Ready again as
 *   before (the replacement is up), and the replacement must not run the old digest again (a node's
 *   cached image under IfNotPresent) — else the controller's other pods are left alone. The last (or only)
 *   pod's replacement is checked too: a workload left down or on the old image is reported, not a success.
 * - A pod is deleted only while every PodDisruptionBudget selecting it allows a disruption.
 * - Different controllers proceed in parallel. On SIGINT no new deletion starts; each pod's outcome is
 *   reported as it happens.
 */
import type { DeleteOutcome, Kubectl } from "../adapters/kubectl.js";
import { blockingBudgets, type DisruptionBudget } from "../core/disruption-budget.js";
import type { Pod } from "../core/k8s.js";
import type { PlanPod } from "../core/plan.js";
import { backOnOldDigest, type LabelSelector, readyPodCount, selectorString } from "../core/readiness.js";
import { ToolFailedError } from "../errors.js";
import type { Clock } from "../util/clock.js";
import { counted } from "../util/counted.js";
import { mapLimit } from "../util/map-limit.js";

/** The kubectl calls deleting pods takes (a fake in the unit tests). */
export type DeletionApi = Pick<
  Kubectl,
  "getObject" | "listPodsBySelector" | "deletePod" | "listDisruptionBudgets"
>;

export type PodOutcome = DeleteOutcome | { kind: "not-started"; reason: string };

/** A deleted pod whose replacement did not come up as planned: not Ready in time, or on the old digest. */
export interface ReplacementProblem {
  pod: PlanPod;
  reason: string;
}

export interface DeleteOptions {
  dryRun: boolean;
  /** Wait for each replacement to be Ready (and check its digest), the last one included. */
  wait: boolean;
  waitTimeoutMs: number;
  pollMs: number;
  concurrency: number;
  signal: AbortSignal;
  clock: Clock;
  onOutcome: (pod: PlanPod, outcome: PodOutcome) => void;
  /** The last deleted pod of a controller whose replacement did not come up as planned. */
  onReplacementProblem: (problem: ReplacementProblem) => void;
}

/** Resource names for the controllers apply deletes pods of. */
const controllerResources: Record<string, string> = {
  ReplicaSet: "replicasets.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  ReplicationController: "replicationcontrollers",
};

export async function deletePods(
  kubectl: DeletionApi,
  pods: readonly PlanPod[],
  options: DeleteOptions,
): Promise<{ outcomes: Map<PlanPod, PodOutcome>; problems: ReplacementProblem[]; warnings: string[] }> {
  const groups = new Map<string, PlanPod[]>();
  for (const pod of pods) {
    const key = `${pod.namespace}/${pod.controller?.kind}/${pod.controller?.name}`;
    groups.set(key, [...(groups.get(key) ?? []), pod]);
  }
  const outcomes = new Map<PlanPod, PodOutcome>();
  const record = (pod: PlanPod, outcome: PodOutcome) => {
    outcomes.set(pod, outcome);
    options.onOutcome(pod, outcome);
  };
  const problems: ReplacementProblem[] = [];
  const recordProblem = (problem: ReplacementProblem) => {
    problems.push(problem);
    options.onReplacementProblem(problem);
  };
  const budgets = new BudgetGate(kubectl, options);
  await mapLimit([...groups.values()], options.concurrency, (group) =>
    deleteGroup(kubectl, group, budgets, options, record, recordProblem),
  );
  return { outcomes, problems, warnings: budgets.warnings };
}

async function deleteGroup(
  kubectl: DeletionApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  options: DeleteOptions,
  record: (pod: PlanPod, outcome: PodOutcome) => void,
  recordProblem: (problem: ReplacementProblem) => void,
): Promise<void> {
  const waiting = options.wait && !options.dryRun;
  const readiness = waiting ? await controllerReadiness(kubectl, group[0]!) : null;
  const stop = (from: number, reason: string) => {
    for (const rest of group.slice(from)) record(rest, { kind: "not-started", reason });
  };
  for (const [index, pod] of group.entries()) {
    if (options.signal.aborted) return stop(index, "interrupted");
    const allowed = await budgets.waitUntilAllowed(pod);
    if (allowed !== true) return stop(index, allowed);
    const before = readiness ? await readiness.snapshot() : null;
    const outcome = await kubectl.deletePod(pod.namespace, pod.name, pod.uid, options.dryRun);
    record(pod, outcome);
    if (!readiness || !before || outcome.kind !== "deleted") continue;
    const problem = await replacementProblem(readiness, before, pod, options);
    if (problem === null) continue;
    // Before a next pod, the problem is why it is spared; after the last one, it is reported on its own.
    if (index < group.length - 1) return stop(index + 1, problem);
    if (problem !== "interrupted") recordProblem({ pod, reason: problem });
  }
}

/** Null when the deleted pod's replacement is Ready on a new digest; else what went wrong. */
async function replacementProblem(
  readiness: Readiness,
  before: Snapshot,
  pod: PlanPod,
  options: DeleteOptions,
): Promise<string | null> {
  const ready = await readiness.waitFor(before, pod.uid, options);
  if (typeof ready === "string") return ready;
  const container = ready.map((replacement) => backOnOldDigest(pod, replacement)).find((c) => c !== null);
  if (!container) return null;
  return `the replacement of ${pod.name} runs the old digest again (container ${container}: the node started its cached image)`;
}

interface Snapshot {
  ready: number;
  uids: Set<string>;
}

interface Readiness {
  snapshot(): Promise<Snapshot>;
  /** The new Ready pods once there are as many Ready as before without `deletedUid`, else why it stopped. */
  waitFor(before: Snapshot, deletedUid: string, options: DeleteOptions): Promise<Pod[] | string>;
}

/** Checks the disruption budgets of a pod's namespace before each deletion, waiting while they block. */
class BudgetGate {
  readonly warnings: string[] = [];
  private unreadable = false;

  constructor(
    private readonly kubectl: DeletionApi,
    private readonly options: DeleteOptions,
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
        blocking = blockingBudgets(await this.kubectl.listDisruptionBudgets(pod.namespace), pod.labels);
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

/** Counts the controller's Ready pods through its own selector. */
async function controllerReadiness(kubectl: DeletionApi, pod: PlanPod): Promise<Readiness | null> {
  const controller = pod.controller;
  const resource = controller ? controllerResources[controller.kind] : undefined;
  if (!controller || !resource) return null;
  const object = await kubectl.getObject<{ metadata: { name: string }; spec?: { selector?: LabelSelector } }>(
    resource,
    controller.name,
    pod.namespace,
  );
  const selector = object?.spec?.selector ? selectorString(object.spec.selector) : "";
  if (selector === "") return null;
  const list = () => kubectl.listPodsBySelector(pod.namespace, selector);
  return {
    async snapshot() {
      const pods = await list();
      return {
        ready: readyPodCount(pods, controller.uid),
        uids: new Set(pods.map((p) => p.metadata.uid ?? "")),
      };
    },
    async waitFor(before, deletedUid, options) {
      const { clock } = options;
      const deadline = clock.now() + options.waitTimeoutMs;
      for (;;) {
        const pods = await list();
        if (readyPodCount(pods, controller.uid, deletedUid) >= before.ready) {
          return pods.filter(
            (p) => !before.uids.has(p.metadata.uid ?? "") && readyPodCount([p], controller.uid) === 1,
          );
        }
        if (options.signal.aborted) return "interrupted";
        if (clock.now() >= deadline) {
          return `${controller.kind}/${controller.name} did not have ${counted(before.ready, "ready pod")} within the wait timeout`;
        }
        await clock.sleep(options.pollMs, options.signal);
      }
    },
  };
}
