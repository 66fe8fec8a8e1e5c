/**
 * The API apply's restarts talk to, in memory and on a FakeClock: controllers that replace a deleted pod
 * after a delay (Ready, on a chosen image), PodDisruptionBudgets that change over time, and a log of every
 * call with the time it was made. For fast unit tests of pacing; the e2e tests run the real thing.
 */
import type { DeleteOutcome } from "../../src/adapters/kubectl.js";
import type { DisruptionBudget } from "../../src/core/disruption-budget.js";
import type { Pod } from "../../src/core/k8s.js";
import type { PlanPod } from "../../src/core/plan.js";
import type { PodWithConditions } from "../../src/core/readiness.js";
import { ToolFailedError } from "../../src/errors.js";
import type { DeletionApi } from "../../src/pipeline/delete-pods.js";
import type { FakeClock } from "./fake-clock.js";

export const oldDigest = `sha256:${"0".repeat(64)}`;
export const newDigest = `sha256:${"1".repeat(64)}`;

export interface ControllerSpec {
  kind?: "ReplicaSet" | "StatefulSet" | "DaemonSet" | "ReplicationController";
  name: string;
  namespace?: string;
  replicas: number;
  /** How long a replacement takes to become Ready after a deletion (never, with Infinity). */
  readyAfterMs?: number;
  /** The digest a replacement runs (the new one unless the node starts its cached image). */
  replacementDigest?: string;
}

interface Controller extends Required<ControllerSpec> {
  uid: string;
  labels: Record<string, string>;
  created: number;
}

export class InMemoryCluster implements DeletionApi {
  readonly calls: string[] = [];
  private pods: PodWithConditions[] = [];
  private readonly controllers: Controller[] = [];
  private budgets: { namespace: string; budget: DisruptionBudget }[] = [];
  budgetsUnreadable = false;

  constructor(private readonly clock: FakeClock) {}

  /** A controller with `replicas` Ready pods on the old digest; returns the plan's pods for them. */
  addController(spec: ControllerSpec): PlanPod[] {
    const controller: Controller = {
      kind: "ReplicaSet",
      namespace: "shop",
      readyAfterMs: 3000,
      replacementDigest: newDigest,
      ...spec,
      uid: `uid-${spec.name}`,
      labels: { app: spec.name },
      created: 0,
    };
    this.controllers.push(controller);
    return Array.from({ length: spec.replicas }, () =>
      this.planPod(controller, this.startPod(controller, oldDigest)),
    );
  }

  /** A budget over `app=<controller>` pods; change it later with `clock.at(…, () => cluster.setBudget(…))`. */
  setBudget(name: string, app: string, disruptionsAllowed: number, namespace = "shop"): void {
    this.budgets = this.budgets.filter((b) => b.budget.name !== name);
    this.budgets.push({
      namespace,
      budget: { name, selector: { matchLabels: { app } }, disruptionsAllowed },
    });
  }

  /** Ready pods of a controller now. */
  readyPods(name: string): number {
    const controller = this.controllers.find((c) => c.name === name)!;
    return this.pods.filter((p) => isReady(p) && ownedBy(p, controller.uid)).length;
  }

  async getObject<T>(resource: string, name: string, namespace: string): Promise<T | null> {
    this.log(`get ${resource} ${namespace}/${name}`);
    const c = this.controllers.find((c) => c.name === name && c.namespace === namespace);
    if (!c) return null;
    return { metadata: { name }, spec: { selector: { matchLabels: c.labels } } } as T;
  }

  async listPodsBySelector(namespace: string, selector: string): Promise<Pod[]> {
    const [key, value] = selector.split("=");
    return this.pods.filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.[key!] === value);
  }

  async deletePod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<DeleteOutcome> {
    this.log(`delete ${namespace}/${name}${dryRun ? " (dry run)" : ""}`);
    const pod = this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    if (!pod) return { kind: "gone" };
    if (pod.metadata.uid !== uid) return { kind: "replaced" };
    if (dryRun) return { kind: "deleted" };
    this.pods = this.pods.filter((p) => p !== pod);
    const controller = this.controllers.find((c) => ownedBy(pod, c.uid))!;
    const replacement = this.startPod(controller, controller.replacementDigest, false);
    if (Number.isFinite(controller.readyAfterMs)) {
      this.clock.at(this.clock.now() + controller.readyAfterMs, () => {
        replacement.status!.conditions = [{ type: "Ready", status: "True" }];
      });
    }
    return { kind: "deleted" };
  }

  async listDisruptionBudgets(namespace: string): Promise<DisruptionBudget[]> {
    this.log(`list budgets ${namespace}`);
    if (this.budgetsUnreadable) {
      throw new ToolFailedError(
        "kubectl get failed: Error from server (Forbidden): poddisruptionbudgets.policy is forbidden",
      );
    }
    return this.budgets.filter((b) => b.namespace === namespace).map((b) => b.budget);
  }

  /** Calls that changed something, with their time: `1500 delete shop/web-2`. */
  deletions(): string[] {
    return this.calls.filter((c) => c.includes(" delete "));
  }

  private log(call: string): void {
    this.calls.push(`${this.clock.elapsed()} ${call}`);
  }

  private startPod(controller: Controller, digest: string, ready = true): PodWithConditions {
    const name = `${controller.name}-${controller.created++}`;
    const pod: PodWithConditions = {
      metadata: {
        name,
        namespace: controller.namespace,
        uid: `uid-${name}`,
        labels: { ...controller.labels },
        ownerReferences: [
          { kind: controller.kind, name: controller.name, uid: controller.uid, controller: true },
        ],
      },
      spec: { containers: [{ name: "app", image: "registry.test/shop/web:main" }] },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "app", image: "registry.test/shop/web:main", imageID: `registry.test/shop/web@${digest}` },
        ],
        conditions: ready ? [{ type: "Ready", status: "True" }] : [],
      },
    };
    this.pods.push(pod);
    return pod;
  }

  private planPod(controller: Controller, pod: Pod): PlanPod {
    return {
      namespace: controller.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid!,
      node: "node-1",
      owner: { kind: controller.kind, name: controller.name },
      labels: { ...controller.labels },
      terminating: false,
      controller: { kind: controller.kind, name: controller.name, uid: controller.uid },
      action: "delete",
      reason: "",
      warnings: [],
      containers: [
        {
          name: "app",
          init: false,
          image: "registry.test/shop/web:main",
          ref: "registry.test/shop/web:main",
          runningDigest: oldDigest,
          latestDigest: newDigest,
          status: "stale",
          reason: "",
          pullPolicy: "Always",
        },
      ],
    };
  }
}

function isReady(pod: PodWithConditions): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
  );
}

function ownedBy(pod: Pod, uid: string): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.controller === true && o.uid === uid) === true;
}
