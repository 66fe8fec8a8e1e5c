/**
 * The checks after every restart, whatever the strategy: the controller has as many Ready pods again as
 * before (its replacement is up), and no replacement runs the old digest again (a node's cached image under
 * IfNotPresent) — the last (or only) pod's replacement included.
 */
import type { Pod } from "../../core/k8s.js";
import type { PlanPod } from "../../core/plan.js";
import { backOnOldDigest, type LabelSelector, readyPodCount, selectorString } from "../../core/readiness.js";
import { counted } from "../../util/counted.js";
import type { CompletedRestart, RestartApi, RestartOptions } from "./outcomes.js";

/** Resource names of the controllers that recreate an evicted or deleted pod. */
const controllerResources: Record<string, string> = {
  ReplicaSet: "replicasets.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  ReplicationController: "replicationcontrollers",
};

export interface Snapshot {
  ready: number;
  uids: Set<string>;
}

export interface Readiness {
  snapshot(): Promise<Snapshot>;
  /** The new Ready pods once there are as many Ready as before without `goneUid`, else why it stopped. */
  waitFor(before: Snapshot, goneUid: string, options: RestartOptions): Promise<Pod[] | string>;
}

/** Null when the evicted or deleted pod's replacement is Ready on a new digest; else what went wrong. */
export async function replacementProblem(
  readiness: Readiness,
  before: Snapshot,
  pod: PlanPod,
  options: RestartOptions,
): Promise<string | null> {
  const ready = await readiness.waitFor(before, pod.uid, options);
  if (typeof ready === "string") return ready;
  const container = ready.map((replacement) => backOnOldDigest(pod, replacement)).find((c) => c !== null);
  if (!container) return null;
  return `the replacement of ${pod.name} runs the old digest again (${container})`;
}

/**
 * What an evicted or deleted pod's restart was, on the controller that recreates it: `problem` is
 * replacementProblem's answer, or undefined when the replacement was not waited for.
 */
export function podRestart(
  strategy: "evict" | "delete",
  pod: PlanPod,
  problem: string | null | undefined,
  options: RestartOptions,
): CompletedRestart {
  const replacement: CompletedRestart["replacement"] =
    problem === undefined
      ? { kind: "unchecked", why: options.wait ? "its controller's pods could not be counted" : "--no-wait" }
      : problem === "interrupted"
        ? { kind: "unchecked", why: "interrupted" }
        : problem === null
          ? { kind: "up" }
          : { kind: "problem", reason: problem };
  return {
    strategy,
    namespace: pod.namespace,
    controller: pod.controller ?? pod.restart!.controller,
    pod,
    pods: [pod],
    replacement,
  };
}

/**
 * After a rollout: the first of the workload's pods (not terminating) that still runs a digest one of the
 * planned pods was stale on, as a reason; null when none does.
 */
export function oldDigestAfterRollout(planned: readonly PlanPod[], pods: readonly Pod[]): string | null {
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    for (const stale of planned) {
      const container = backOnOldDigest(stale, pod);
      if (container !== null) {
        return `pod ${pod.metadata.name} runs the old digest (${container})`;
      }
    }
  }
  return null;
}

/** Counts the pod's direct controller's Ready pods through the controller's own selector. */
export async function controllerReadiness(api: RestartApi, pod: PlanPod): Promise<Readiness | null> {
  const controller = pod.controller;
  const resource = controller ? controllerResources[controller.kind] : undefined;
  if (!controller || !resource) return null;
  const object = await api.getObject<{ metadata: { name: string }; spec?: { selector?: LabelSelector } }>(
    resource,
    controller.name,
    pod.namespace,
  );
  const selector = object?.spec?.selector ? selectorString(object.spec.selector) : "";
  if (selector === "") return null;
  const list = () => api.listPodsBySelector(pod.namespace, selector);
  return {
    async snapshot() {
      const pods = await list();
      return {
        ready: readyPodCount(pods, controller.uid),
        uids: new Set(pods.map((p) => p.metadata.uid ?? "")),
      };
    },
    async waitFor(before, goneUid, options) {
      const { clock } = options;
      const deadline = clock.now() + options.waitTimeoutMs;
      for (;;) {
        const pods = await list();
        if (readyPodCount(pods, controller.uid, goneUid) >= before.ready) {
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
