/**
 * Deleting the planned pods without taking a workload down: the seed deleted every replica at once.
 * Pods of one controller go one at a time; before the next, as many of its pods must be Ready again as
 * before (the replacement is up). Different controllers proceed in parallel. On SIGINT no new deletion
 * starts; each pod's outcome is reported as it happens.
 */
import type { DeleteOutcome, Kubectl } from "../adapters/kubectl.js";
import type { PlanPod } from "../core/plan.js";
import { type LabelSelector, readyPodCount, selectorString } from "../core/readiness.js";
import { mapLimit } from "../util/map-limit.js";

export type PodOutcome = DeleteOutcome | { kind: "not-started"; reason: string };

export interface DeleteOptions {
  dryRun: boolean;
  /** Wait for each replacement before deleting a controller's next pod. */
  wait: boolean;
  waitTimeoutMs: number;
  pollMs: number;
  concurrency: number;
  signal: AbortSignal;
  onOutcome: (pod: PlanPod, outcome: PodOutcome) => void;
}

/** Resource names for the controllers apply deletes pods of. */
const controllerResources: Record<string, string> = {
  ReplicaSet: "replicasets.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  ReplicationController: "replicationcontrollers",
};

export async function deletePods(kubectl: Kubectl, pods: readonly PlanPod[], options: DeleteOptions) {
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
  await mapLimit([...groups.values()], options.concurrency, (group) =>
    deleteGroup(kubectl, group, options, record),
  );
  return outcomes;
}

async function deleteGroup(
  kubectl: Kubectl,
  group: readonly PlanPod[],
  options: DeleteOptions,
  record: (pod: PlanPod, outcome: PodOutcome) => void,
): Promise<void> {
  const waiting = options.wait && !options.dryRun && group.length > 1;
  const readiness = waiting ? await controllerReadiness(kubectl, group[0]!) : null;
  for (const [index, pod] of group.entries()) {
    if (options.signal.aborted) {
      record(pod, { kind: "not-started", reason: "interrupted" });
      continue;
    }
    const before = readiness ? await readiness.count() : 0;
    const outcome = await kubectl.deletePod(pod.namespace, pod.name, pod.uid, options.dryRun);
    record(pod, outcome);
    const last = index === group.length - 1;
    if (!readiness || last || outcome.kind !== "deleted") continue;
    const ready = await readiness.waitFor(before, pod.uid, options);
    if (ready !== true) {
      for (const rest of group.slice(index + 1)) record(rest, { kind: "not-started", reason: ready });
      return;
    }
  }
}

interface Readiness {
  count(excludeUid?: string): Promise<number>;
  /** True once `target` pods are Ready without `deletedUid`, else why it stopped waiting. */
  waitFor(target: number, deletedUid: string, options: DeleteOptions): Promise<true | string>;
}

/** Counts the controller's Ready pods through its own selector. */
async function controllerReadiness(kubectl: Kubectl, pod: PlanPod): Promise<Readiness | null> {
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
  const count = async (excludeUid?: string) =>
    readyPodCount(await kubectl.listPodsBySelector(pod.namespace, selector), controller.uid, excludeUid);
  return {
    count,
    async waitFor(target, deletedUid, options) {
      const deadline = Date.now() + options.waitTimeoutMs;
      for (;;) {
        if ((await count(deletedUid)) >= target) return true;
        if (options.signal.aborted) return "interrupted";
        if (Date.now() >= deadline) {
          return `${controller.kind}/${controller.name} did not have ${target} ready pods within the wait timeout`;
        }
        await sleep(options.pollMs, options.signal);
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
