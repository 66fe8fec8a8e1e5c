/**
 * Whether a pod to be evicted or deleted one at a time may go now, as its controller's pods say just
 * before: held (another pod not Ready, settling, or missing), moved behind later pods of its run that hold
 * it, or free to go with the snapshot its replacement's wait starts from.
 */

import type { Labels, PodHealth } from "../../core/disruption-budget.js";
import type { Pod } from "../../core/k8s.js";
import type { PlanPod } from "../../core/plan.js";
import { isReady } from "../../core/readiness.js";
import type { PodOutcome } from "../../core/restart-outcomes.js";
import { downUntilReplaced } from "../../core/restart-strategy.js";
import {
  controllerDeletingSincePlan,
  currentSincePlan,
  goingSincePlan,
  leftSincePlan,
  restartedOnto,
  templateChangedFor,
} from "../../core/since-plan.js";
import { daemonPodsWithoutSuccessor, type Workload, workloadResources } from "../../core/workload.js";
import {
  type ControllersReadiness,
  heldOnlyByLater,
  type Readiness,
  type Snapshot,
  settledSnapshot,
  shortOfReadyPods,
} from "./controller-readiness.js";
import {
  type GroupReporter,
  type Left,
  leftByStop,
  type RestartApi,
  type RestartOptions,
} from "./restart-options.js";

/**
 * The pod read again: what it comes to now that it has changed since the plan (left, with why; or going
 * already, which fails nothing), or the labels it carries now, by which its budgets select it (an operator
 * moves a role label between pods: the plan's where it is not there under its UID). Its controller, where
 * its template counts, is read by `readiness` when its pods are followed: the read its next snapshot would
 * make.
 */
async function changedSincePlan(
  api: PodReads,
  pod: PlanPod,
  readiness: Readiness | null,
): Promise<{ left: PodOutcome } | { labels: Labels }> {
  const current = await api.readPod(pod.namespace, pod.name);
  if (goingSincePlan(pod, current)) return { left: { kind: "gone" } };
  if (currentSincePlan(pod, current)) return { left: { kind: "replaced", reason: restartedOnto } };
  const left =
    leftSincePlan(pod, current) ?? (current && (await templateChange(api, pod, current, readiness)));
  if (left) return { left: { kind: "not-started", reason: left } };
  const own = current?.metadata.uid === pod.uid;
  return { labels: own ? (current.metadata.labels ?? {}) : pod.labels };
}

/**
 * How the pod, read now, stands for its budgets: where its controller's pods are not followed. Another pod
 * under its name, or none, is excused nothing.
 */
export async function readsHealth(api: Pick<RestartApi, "readPod">, pod: PlanPod): Promise<PodHealth> {
  const current = await api.readPod(pod.namespace, pod.name);
  if (current === null || current.metadata.uid !== pod.uid || isReady(current)) return "ready";
  return current.status?.phase === "Pending" ? "pending" : "unready";
}

/** The reads a pod's standing takes: the pod, and its StatefulSet or DaemonSet. */
type PodReads = Pick<RestartApi, "readPod" | "getObject">;

/**
 * Why the pod must be left as its StatefulSet or DaemonSet is now: being deleted, it makes no new pods; a
 * DaemonSet running pods on nodes it no longer schedules to, where one restarted would get no successor; its
 * template changed since the pod was made, which a replacement would take. A controller gone holds nothing
 * here: the pod's owner check stands for it. (A ReplicaSet's deletion is seen in its pods' snapshot.)
 */
async function templateChange(
  api: PodReads,
  planned: PlanPod,
  current: Pod,
  readiness: Readiness | null,
): Promise<string | null> {
  const controller = planned.controller;
  if (!controller || !(controller.kind === "StatefulSet" || controller.kind === "DaemonSet")) return null;
  const known = await readiness?.controllerNow();
  // Unread by the snapshot's way, it is read here, and a failure is the turn's.
  const object =
    known !== undefined
      ? known
      : await api.getObject<Workload>(workloadResources[controller.kind], controller.name, planned.namespace);
  if (object?.metadata.deletionTimestamp) return controllerDeletingSincePlan(controller);
  if (!object) return null;
  // Seen by the plan where it could list DaemonSets; where it could not (get alone), seen here.
  const stranding =
    controller.kind === "DaemonSet"
      ? daemonPodsWithoutSuccessor(`DaemonSet/${controller.name}`, object.status?.numberMisscheduled)
      : null;
  return stranding ?? templateChangedFor(current, { ...object, kind: controller.kind });
}

type Standing =
  /** `labels`: as read again after a wait, where there was one. */
  | { kind: "go"; before: Snapshot | null; labels?: Labels }
  | { kind: "left"; outcome: PodOutcome }
  /** Held only by later pods of its run that are not Ready: it goes after them. */
  | { kind: "later" };

/**
 * Reads the controller's pods (none without `readiness`: --no-wait, a dry run), waiting for pods that only
 * settle; after such a wait the pod is read again, as minutes may have passed. `later`: the pods still to
 * come in its run, when it may be moved behind them.
 */
async function standingOf(
  api: PodReads,
  pod: PlanPod,
  readiness: Readiness | null,
  options: Pick<RestartOptions, "clock" | "signal" | "waitTimeoutMs">,
  later?: readonly PlanPod[],
): Promise<Standing> {
  if (!readiness) return { kind: "go", before: null };
  const settled = await settledSnapshot(readiness, await readiness.snapshot(), pod, options);
  const since = settled.waited ? await changedSincePlan(api, pod, readiness) : undefined;
  if (since && "left" in since) return { kind: "left", outcome: since.left };
  const before = settled.snapshot;
  const leaving = controllerDeleting(pod, before) ?? aloneSincePlan(pod, before);
  if (leaving) return { kind: "left", outcome: leaving };
  const short = shortOfReadyPods(pod, before);
  if (short && later && heldOnlyByLater(before, pod, later)) return { kind: "later" };
  if (short) return { kind: "left", outcome: { kind: "not-started", reason: short } };
  return { kind: "go", before, ...(since && { labels: since.labels }) };
}

/**
 * After a wait for a budget, which may have lasted minutes: the pod read again, and its controller's pods.
 * `settle`: wait for settling pods too (evict, whose budget the API server checks at the eviction; not
 * delete, whose budgets were asked before and must still hold at the deletion).
 */
export async function standingAfterWait(
  api: PodReads,
  pod: PlanPod,
  readiness: Readiness | null,
  options: Pick<RestartOptions, "clock" | "signal" | "waitTimeoutMs">,
  settle: boolean,
): Promise<{ left: PodOutcome } | { before: Snapshot | null; labels: Labels }> {
  const since = await changedSincePlan(api, pod, readiness);
  if ("left" in since) return since;
  if (!readiness) return { before: null, labels: since.labels };
  if (settle) {
    const standing = await standingOf(api, pod, readiness, options);
    if (standing.kind === "left") return { left: standing.outcome };
    const labels = (standing.kind === "go" && standing.labels) || since.labels;
    return { before: standing.kind === "go" ? standing.before : null, labels };
  }
  const before = await readiness.snapshot();
  const leaving = controllerDeleting(pod, before) ?? aloneSincePlan(pod, before);
  if (leaving) return { left: leaving };
  const short = shortOfReadyPods(pod, before);
  return short ? { left: { kind: "not-started", reason: short } } : { before, labels: since.labels };
}

/** The pod left because its controller, as its pods were read, is being deleted: it makes no new pod. */
function controllerDeleting(pod: PlanPod, before: Snapshot): PodOutcome | null {
  if (!before.controllerDeleting || !pod.controller) return null;
  return { kind: "not-started", reason: controllerDeletingSincePlan(pod.controller) };
}

/**
 * The pod left because its workload should have only it now where the plan saw more (an autoscaler scaled
 * it down since), so the plan did not warn of it: gone, the workload would be down until its replacement is
 * Ready.
 */
function aloneSincePlan(pod: PlanPod, before: Snapshot): PodOutcome | null {
  const planned = pod.restart?.replicas;
  if (before.desired !== 1 || planned === undefined || planned <= 1) return null;
  const { kind, name } = pod.restart?.controller ?? pod.controller ?? { kind: "its controller", name: "" };
  const only = kind === "DaemonSet" ? "runs on one node" : "has one replica";
  return {
    kind: "not-started",
    reason: `changed since the plan: ${kind}/${name} ${only} now: ${downUntilReplaced}; left for the next run`,
  };
}

/** A pod's turn: it goes, with what its replacement's wait starts from; or it was reported, or moved. */
type Turn =
  | { kind: "go"; readiness: Readiness | null; before: Snapshot | null; labels: Labels }
  | { kind: "passed" }
  | { kind: "stopped" };

/**
 * The pods of one workload in the order they go, one at a time (evict, delete): each read again right
 * before its turn; one held only by later pods that are not Ready moves behind them, once.
 */
export class Turns {
  readonly pods: PlanPod[];
  private readonly moved = new Set<string>();

  constructor(
    planned: readonly PlanPod[],
    private readonly reporter: GroupReporter,
  ) {
    this.pods = [...planned];
  }

  /**
   * Each pod whose turn it is to go, with its index in `pods`; the others are reported here (left), moved
   * behind, or, once the run stops, reported with the stop.
   */
  async *each(
    api: PodReads,
    controllers: ControllersReadiness,
    waiting: boolean,
  ): AsyncGenerator<{
    index: number;
    pod: PlanPod;
    readiness: Readiness | null;
    before: Snapshot | null;
    labels: Labels;
  }> {
    for (let index = 0; index < this.pods.length; index++) {
      const turn = await this.take(index, api, controllers, waiting);
      if (turn.kind === "stopped") return this.stopped(index);
      if (turn.kind === "go") yield { index, pod: this.pods[index]!, ...turn };
    }
  }

  /** Whether the pod at `index` goes last. */
  isLast(index: number): boolean {
    return index === this.pods.length - 1;
  }

  /** The turn of the pod at `index`: left (reported here), moved, the run stopped, or it goes. */
  private async take(
    index: number,
    api: PodReads,
    controllers: ControllersReadiness,
    waiting: boolean,
  ): Promise<Turn> {
    const { options } = this.reporter;
    const pod = this.pods[index]!;
    if (options.signal.aborted) return { kind: "stopped" };
    const readiness = waiting ? await controllers.of(pod) : null;
    const changed = await changedSincePlan(api, pod, readiness);
    if ("left" in changed) return this.leave(pod, changed.left);
    const later = this.moved.has(pod.uid) ? undefined : this.pods.slice(index + 1);
    const standing = await standingOf(api, pod, readiness, options, later);
    // The reads above may take a kubectl each: a Ctrl-C (or a stop) meanwhile still starts nothing.
    if (options.signal.aborted) return { kind: "stopped" };
    if (standing.kind === "later") {
      this.moved.add(pod.uid);
      this.pods.push(pod);
      return { kind: "passed" };
    }
    // Only this pod is left: a later one of the group that is not Ready itself may still go.
    if (standing.kind === "left") return this.leave(pod, standing.outcome);
    return { kind: "go", readiness, before: standing.before, labels: standing.labels ?? changed.labels };
  }

  /** Reports every pod from `from` on as not started, for `left`'s reason. */
  stop(from: number, left: Left): void {
    for (const rest of this.pods.slice(from)) this.reporter.report(rest, { kind: "not-started", ...left });
  }

  /** The run's stop, for the pods from `from` on. */
  stopped(from: number): void {
    this.stop(from, leftByStop(this.reporter.options.signal));
  }

  private leave(pod: PlanPod, outcome: PodOutcome): Turn {
    this.reporter.report(pod, outcome);
    return { kind: "passed" };
  }
}
