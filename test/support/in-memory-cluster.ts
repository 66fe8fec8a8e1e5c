/**
 * The API apply's restarts talk to, in memory and on a FakeClock: controllers that replace a deleted or
 * evicted pod after a delay (Ready, on a chosen image); Deployments, StatefulSets and DaemonSets whose
 * template patch starts a rolling update as their controllers run it (surge and unavailability respected,
 * a partition, OnDelete, Recreate, a progress deadline on demand); PodDisruptionBudgets that change over
 * time and an Eviction API that answers as the API server does (201, 429 while a budget forbids, 500 with
 * two budgets, 404, 409); a log of every call with the time it was made, and the lowest Ready count each
 * controller ever had. For fast unit tests of pacing; the e2e tests run the real thing.
 */
import { JsonListStream, parsedBy, type Shape } from "../../src/adapters/json-list-stream.js";
import type { DeleteOutcome, EvictOutcome, PatchOutcome } from "../../src/adapters/kubectl.js";
import type { WatchQuery } from "../../src/adapters/list-request.js";
import { controllerPodShape, ownedReplicaSetShape } from "../../src/adapters/slim-objects.js";
import type { WatchChange, WatchEnd } from "../../src/adapters/watch.js";
import {
  type DisruptionBudget,
  letsUnreadyPodGo,
  selectorMatches,
} from "../../src/core/disruption-budget.js";
import type { KubeObject, Pod } from "../../src/core/k8s.js";
import type { PlanPod, RestartMethod } from "../../src/core/plan.js";
import {
  hasEnded,
  type LabelSelector,
  type PodWithConditions,
  readySince,
} from "../../src/core/readiness.js";
import type { Workload, WorkloadKind } from "../../src/core/workload.js";
import { ToolFailedError } from "../../src/errors.js";
import type { RestartApi } from "../../src/pipeline/restart/restart-options.js";
import type { FakeClock } from "./fake-clock.js";

export const oldDigest = `sha256:${"0".repeat(64)}`;
export const newDigest = `sha256:${"1".repeat(64)}`;

type ControllerKind = "ReplicaSet" | "ReplicationController" | WorkloadKind;

export interface ControllerSpec {
  kind?: ControllerKind;
  name: string;
  namespace?: string;
  /** Pods (a DaemonSet: nodes). */
  replicas: number;
  /** How long a new pod takes to become Ready (never, with Infinity). */
  readyAfterMs?: number;
  /** Why a new pod's container waits until then, as its kubelet says (ImagePullBackOff). */
  waitingReason?: string;
  /** The digest a new pod runs (the new one unless the node starts its cached image). */
  replacementDigest?: string;
  pullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** The restart the returned plan pods carry (delete when not said). */
  strategy?: RestartMethod;
  /** Deployment: RollingUpdate or Recreate; StatefulSet, DaemonSet: RollingUpdate or OnDelete. */
  updateStrategy?: "RollingUpdate" | "Recreate" | "OnDelete";
  /** Deployment 25% and 25% of replicas rounded up and down, DaemonSet 0 and 1, as the API defaults. */
  maxSurge?: number;
  maxUnavailable?: number;
  /** StatefulSet: ordinals below it are not rolled. */
  partition?: number;
  paused?: boolean;
  /** On the workload object (GitOps marks). */
  labels?: Record<string, string>;
  /** On its pods, and its selector (`app=<name>` when not said). */
  podLabels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** A ResourceQuota's pod limit in its namespace, as far as this controller goes: it makes no pod beyond. */
  podQuota?: number;
  /**
   * Deployment: a rollout whose new pods never become Ready is marked ProgressDeadlineExceeded after this.
   */
  progressDeadlineMs?: number;
  /** How long the controller takes to see a patched template (its observedGeneration lags that long). */
  observeAfterMs?: number;
  /**
   * StatefulSet, DaemonSet: how long a pod evicted or deleted stays terminating (its grace period) before
   * it is gone and the controller makes its successor (0: at once).
   */
  terminationGraceMs?: number;
  /** How long a new pod must have been Ready to count as available (on the controller's spec; 0: at once). */
  minReadySeconds?: number;
}

interface Controller {
  spec: Required<
    Omit<ControllerSpec, "maxSurge" | "maxUnavailable" | "labels" | "annotations" | "podLabels">
  > & {
    maxSurge: number;
    maxUnavailable: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  uid: string;
  podLabels: Record<string, string>;
  created: number;
  generation: number;
  observedGeneration: number;
  resourceVersion: number;
  /** The template revision new pods get. */
  revision: number;
  /** StatefulSet: the revision the rollout has fully reached. */
  currentRevision: number;
  rolloutStartedAt: number;
  deadlineExceeded: boolean;
  /** Set once it is being deleted, a finalizer holding it: it makes no new pods. */
  deletionTimestamp?: string;
  /** Template changes seen by the controller; until then it keeps the old revision's pods. */
  observedRevision: number;
}

interface BudgetEntry {
  namespace: string;
  name: string;
  app: string;
  /** A fixed number of allowed disruptions, or minAvailable over the app's Ready pods. */
  allowed: number | { minAvailable: number };
  /** Labels the budget selects besides `app` (a StatefulSet's primary, say). */
  labels: Record<string, string>;
}

export class InMemoryCluster implements RestartApi {
  readonly calls: string[] = [];
  /** The restarted-for value of each workload's last patch, by namespace/name. */
  readonly restartedFor = new Map<string, string | null>();
  private pods: PodWithConditions[] = [];
  private readonly revisionOf = new WeakMap<Pod, number>();
  private readonly controllers: Controller[] = [];
  private budgets: BudgetEntry[] = [];
  private readonly lowest = new Map<string, number>();
  budgetsUnreadable = false;
  private replicaSetLists = 0;
  private failingReplicaSetList = 0;
  /** The next this many patches answer 409, as when the object was written after it was read. */
  conflictsOnPatch = 0;

  /**
   * A watch sends each change of the pods it selects from its list's resourceVersion, as an API server's
   * does; off, it is refused, as for an account without `watch`, and the restarts list at every poll.
   */
  watchable = true;
  /**
   * A list shows a pod only this long after it is made, as a client reading a lagging cache: it sees a
   * pod gone before the successor its controller made at once.
   */
  listLagMs = 0;
  /** When each pod was made, by UID (lists hand out copies). */
  private readonly madeAt = new Map<string, number>();
  private readonly watchers = new Set<PodWatcher>();

  constructor(private readonly clock: FakeClock) {}

  /** A controller with `replicas` Ready pods on the old digest; returns the plan's pods for them. */
  addController(spec: ControllerSpec): PlanPod[] {
    const kind = spec.kind ?? "ReplicaSet";
    const replicas = spec.replicas;
    const controller: Controller = {
      spec: {
        kind,
        namespace: "shop",
        readyAfterMs: 3000,
        waitingReason: "",
        replacementDigest: newDigest,
        pullPolicy: "Always",
        strategy: "delete",
        updateStrategy:
          kind === "Deployment" || kind === "StatefulSet" || kind === "DaemonSet"
            ? "RollingUpdate"
            : "OnDelete",
        partition: 0,
        paused: false,
        progressDeadlineMs: Number.POSITIVE_INFINITY,
        observeAfterMs: 500,
        terminationGraceMs: 0,
        minReadySeconds: 0,
        podQuota: Number.POSITIVE_INFINITY,
        ...spec,
        maxSurge: spec.maxSurge ?? (kind === "Deployment" ? Math.ceil(replicas / 4) : 0),
        maxUnavailable: spec.maxUnavailable ?? (kind === "Deployment" ? Math.floor(replicas / 4) : 1),
        labels: spec.labels ?? {},
        annotations: spec.annotations ?? {},
      },
      uid: `uid-${spec.name}`,
      podLabels: spec.podLabels ?? { app: spec.name },
      created: 0,
      generation: 1,
      observedGeneration: 1,
      resourceVersion: 100,
      revision: 1,
      currentRevision: 1,
      observedRevision: 1,
      rolloutStartedAt: 0,
      deadlineExceeded: false,
    };
    this.controllers.push(controller);
    const pods = Array.from({ length: replicas }, (_, i) =>
      this.startPod(controller, oldDigest, true, i),
    ).filter((pod) => pod !== undefined);
    this.sample();
    return pods.map((pod) => this.planPod(controller, pod));
  }

  /**
   * A budget over `app=<controller>` pods; change it later with `clock.at(…, () => cluster.setBudget(…))`.
   */
  setBudget(name: string, app: string, disruptionsAllowed: number, namespace = "shop"): void {
    this.budgets = this.budgets.filter((b) => b.name !== name);
    this.budgets.push({ namespace, name, app, allowed: disruptionsAllowed, labels: {} });
  }

  /** A budget that allows disruptions while more than `minAvailable` of the pods it selects are Ready. */
  setMinAvailableBudget(
    name: string,
    app: string,
    minAvailable: number,
    namespace = "shop",
    labels = {},
  ): void {
    this.budgets = this.budgets.filter((b) => b.name !== name);
    this.budgets.push({ namespace, name, app, allowed: { minAvailable }, labels });
  }

  /** The pod stops being Ready (a crash loop, a failing readiness probe). */
  setUnready(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.status!.conditions = [this.readyCondition(false)];
    this.sample();
  }

  /** The pod never started (its init containers crash-loop): phase Pending, not Ready. */
  setPending(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.status!.phase = "Pending";
    pod.status!.conditions = [this.readyCondition(false)];
    this.sample();
  }

  /** The pod turns Ready (again) now, as its kubelet would set it. */
  setReady(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.status!.conditions = [this.readyCondition(true)];
    this.sample();
  }

  /** The pod is terminating and stays so (a drain's eviction, its node gone): deleted, not yet removed. */
  setTerminating(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
    this.sample();
    const controller = this.controllers.find((c) => ownedBy(pod, c));
    if (controller) this.reconcile(controller);
  }

  /**
   * The pod ended and lingers (its kubelet evicted it: phase Failed) until collected; its controller no
   * longer counts it, and makes another.
   */
  setFailed(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.status!.phase = "Failed";
    pod.status!.conditions = [this.readyCondition(false)];
    this.sample();
    this.reconcile(this.controllers.find((c) => ownedBy(pod, c))!);
  }

  /** The pod's containers restart (a crash, a liveness probe) and pull the tag again: now on `digest`. */
  restartContainers(podName: string, digest: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    for (const status of pod.status!.containerStatuses!) status.imageID = `registry.test/shop/web@${digest}`;
    this.sample();
  }

  /** The `nth` list of ReplicaSets from now (1: the next) fails, as a transient API error would. */
  failReplicaSetList(nth: number): void {
    this.failingReplicaSetList = this.replicaSetLists + nth;
  }

  /**
   * The controller is being deleted from now on, a finalizer holding it (an orphaning delete, an operator's
   * finalizer): it makes no new pods, and its pods stay.
   */
  setDeleting(name: string): void {
    const c = this.controllers.find((c) => c.spec.name === name)!;
    c.deletionTimestamp = new Date(this.clock.now()).toISOString();
  }

  /** Labels a pod, as `kubectl label` would (an opt-out, say). */
  labelPod(podName: string, labels: Record<string, string>): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    pod.metadata.labels = { ...pod.metadata.labels, ...labels };
    this.sample();
  }

  /**
   * The pod's controller lets it go (its labels changed, or the controller was deleted leaving its pods):
   * no owner any more, and the controller, short of it, makes another.
   */
  releasePod(podName: string): void {
    const pod = this.pods.find((p) => p.metadata.name === podName)!;
    const controller = this.controllers.find((c) => ownedBy(pod, c))!;
    pod.metadata.ownerReferences = [];
    pod.metadata.labels = { released: "true" };
    this.sample();
    this.reconcile(controller);
  }

  /** Ready pods of a controller now. */
  readyPods(name: string): number {
    const controller = this.controllers.find((c) => c.spec.name === name)!;
    return this.podsOf(controller).filter(isReady).length;
  }

  /** The fewest Ready pods the controller ever had, sampled at every change. */
  lowestReady(name: string): number {
    return this.lowest.get(name)!;
  }

  /** The digests its pods run now, by pod name. */
  digests(name: string): Record<string, string> {
    const controller = this.controllers.find((c) => c.spec.name === name)!;
    return Object.fromEntries(
      this.podsOf(controller).map((p) => [
        p.metadata.name,
        p.status!.containerStatuses![0]!.imageID!.split("@")[1]!,
      ]),
    );
  }

  /**
   * Someone else's change of a workload's template (`kubectl rollout restart`, `kubectl set image`): it
   * changes now, and its controller acts on it as its update strategy says (OnDelete: not at all).
   */
  async rollOutElsewhere(name: string, namespace = "shop"): Promise<void> {
    const { kind } = this.controllers.find(
      (c) => c.spec.name === name && c.spec.namespace === namespace,
    )!.spec;
    const workload = (await this.getWorkload(kind as WorkloadKind, namespace, name))!;
    const rolled = { restartedAt: "2026-11-30T11:00:00Z", restartedFor: null };
    await this.patchRestartedAt(
      kind as WorkloadKind,
      namespace,
      name,
      workload.metadata.resourceVersion!,
      rolled,
      false,
    );
  }

  /** Scales a controller now, its new pods Ready after `readyAfterMs`, as an autoscaler would. */
  scaleTo(name: string, replicas: number, readyAfterMs: number): void {
    const controller = this.controllers.find((c) => c.spec.name === name)!;
    Object.assign(controller.spec, { replicas, readyAfterMs });
    this.reconcile(controller);
  }

  /** Changes a workload's spec later in a test (pausing it, say), as `kubectl edit` would. */
  edit(name: string, change: Partial<ControllerSpec>): void {
    const controller = this.controllers.find((c) => c.spec.name === name)!;
    Object.assign(controller.spec, change);
    controller.resourceVersion++;
  }

  /** A Ready condition as the kubelet sets it: its transition time is now. */
  private readyCondition(ready: boolean) {
    const lastTransitionTime = new Date(this.clock.now()).toISOString();
    return { type: "Ready", status: ready ? "True" : "False", lastTransitionTime };
  }

  // ---- the API ------------------------------------------------------------------------------------------

  async getObject<T>(resource: string, name: string, namespace: string): Promise<T | null> {
    this.log(`get ${resource} ${namespace}/${name}`);
    for (const c of this.controllers.filter((c) => c.spec.namespace === namespace)) {
      const { kind, replicas, minReadySeconds } = c.spec;
      if (c.spec.name === name) {
        // A ReplicationController's selector is a plain map of labels, not a LabelSelector.
        const selector = kind === "ReplicationController" ? c.podLabels : { matchLabels: c.podLabels };
        const { ready, available } = this.readyCounts(this.podsOf(c), minReadySeconds);
        // A StatefulSet's template revisions, as its pods name theirs (a DaemonSet's: its generation, below).
        const revisions = kind === "StatefulSet" ? this.statefulSetRevisions(c) : { spec: {}, status: {} };
        return (
          kind === "DaemonSet"
            ? {
                metadata: {
                  name,
                  annotations: { [templateGenerationAnnotation]: String(c.revision) },
                  ...this.deleting(c),
                },
                spec: { selector, minReadySeconds },
                status: {
                  desiredNumberScheduled: replicas,
                  numberMisscheduled: this.misscheduled(c),
                  numberReady: ready,
                  numberAvailable: available,
                },
              }
            : {
                metadata: { name, generation: c.generation, ...this.deleting(c) },
                spec: { selector, replicas, minReadySeconds, ...revisions.spec },
                status: {
                  ...this.withoutZeros({ readyReplicas: ready, availableReplicas: available }),
                  ...revisions.status,
                },
              }
        ) as T;
      }
      if (kind === "Deployment") {
        const revision = /-r(\d+)$/.exec(name)?.[1];
        if (revision && name === rsName(c, Number(revision))) {
          const selector = { matchLabels: { ...c.podLabels, "pod-template-hash": `r${revision}` } };
          return {
            metadata: { name },
            spec: { selector, replicas: this.replicaSetReplicas(c, Number(revision)), minReadySeconds },
            status: this.replicaSetStatus(c, Number(revision)),
          } as T;
        }
      }
    }
    return null;
  }

  async listPodsBySelector(
    namespace: string,
    selector: string,
    onVersion?: (resourceVersion: string) => void,
  ): Promise<PodWithConditions[]> {
    this.log(`list pods ${namespace} ${selector}`);
    onVersion?.(String(this.clock.now()));
    const seen = (pod: Pod) => this.clock.now() - (this.madeAt.get(pod.metadata.uid!) ?? 0) >= this.listLagMs;
    return this.selectedPods(namespace, selector).filter(seen);
  }

  async readPod(namespace: string, name: string): Promise<PodWithConditions | null> {
    this.log(`read pod ${namespace}/${name}`);
    const pod = this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    return pod ? asListed([pod], controllerPodShape)[0]! : null;
  }

  async watchPodsBySelector(
    query: WatchQuery,
    onChange: (change: WatchChange<PodWithConditions>) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    this.log(`watch pods ${query.namespace} ${query.labelSelector}`);
    if (!this.watchable) return { kind: "refused", reason: "pods is forbidden: cannot watch" };
    // Nothing changes between a list and its watch here (no clock tick, no call): the watch starts from
    // the pods as they are.
    const watcher: PodWatcher = {
      select: () => this.selectedPods(query.namespace, query.labelSelector),
      sent: new Map(),
      onChange,
    };
    for (const pod of watcher.select()) watcher.sent.set(pod.metadata.uid!, JSON.stringify(pod));
    this.watchers.add(watcher);
    await new Promise((resolve) => {
      if (signal.aborted) resolve(null);
      else signal.addEventListener("abort", resolve, { once: true });
    });
    this.watchers.delete(watcher);
    return { kind: "closed" };
  }

  private selectedPods(namespace: string, selector: string): PodWithConditions[] {
    const terms = selector.split(",").map((term) => term.split("=") as [string, string]);
    const found = this.pods.filter(
      (p) => p.metadata.namespace === namespace && terms.every(([k, v]) => p.metadata.labels?.[k] === v),
    );
    return asListed(found, controllerPodShape);
  }

  /** Sends each watch the changes of its pods since what it last sent. */
  private sendChanges(): void {
    for (const watcher of this.watchers) {
      const now = new Map(watcher.select().map((pod) => [pod.metadata.uid!, pod]));
      for (const [uid, text] of watcher.sent) {
        if (now.has(uid)) continue;
        watcher.sent.delete(uid);
        watcher.onChange({ type: "DELETED", object: JSON.parse(text) });
      }
      for (const [uid, pod] of now) {
        const text = JSON.stringify(pod);
        const was = watcher.sent.get(uid);
        if (was === text) continue;
        watcher.sent.set(uid, text);
        watcher.onChange({ type: was === undefined ? "ADDED" : "MODIFIED", object: pod });
      }
    }
  }

  async listReplicaSets(namespace: string, selector: string): Promise<KubeObject[]> {
    this.log(`list replicasets ${namespace} ${selector}`);
    if (++this.replicaSetLists === this.failingReplicaSetList) {
      throw new ToolFailedError("kubectl get failed: the server was unable to return a response");
    }
    const terms = selector.split(",").map((term) => term.split("=") as [string, string]);
    const found = this.controllers
      .filter((c) => c.spec.kind === "Deployment" && c.spec.namespace === namespace)
      .flatMap((c) =>
        Array.from({ length: c.revision }, (_, i) => {
          const name = rsName(c, i + 1);
          const labels: Record<string, string> = { ...c.podLabels, "pod-template-hash": `r${i + 1}` };
          const owner = { apiVersion: "apps/v1", kind: "Deployment", name: c.spec.name, uid: c.uid };
          return {
            metadata: {
              name,
              namespace,
              uid: `uid-${name}`,
              labels,
              ownerReferences: [{ ...owner, controller: true }],
            },
            spec: { replicas: this.replicaSetReplicas(c, i + 1) },
            status: this.replicaSetStatus(c, i + 1),
          };
        }),
      )
      .filter((rs) => terms.every(([k, v]) => rs.metadata.labels[k] === v));
    return asListed(found, ownedReplicaSetShape);
  }

  /**
   * The replica count a Deployment gives its ReplicaSet of `revision`: an older one what it has left, the
   * current one its replicas, less what the older ones keep beyond the surge.
   */
  private replicaSetReplicas(c: Controller, revision: number): number {
    const pods = this.podsOf(c);
    const older = pods.filter((p) => this.revisionOf.get(p)! < c.observedRevision).length;
    if (revision !== c.observedRevision)
      return pods.filter((p) => this.revisionOf.get(p) === revision).length;
    return Math.min(c.spec.replicas, c.spec.replicas + c.spec.maxSurge - older);
  }

  async deletePod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<DeleteOutcome> {
    this.log(`delete ${namespace}/${name}${dryRun ? " (dry run)" : ""}`);
    const pod = this.findPod(namespace, name);
    if (!pod) return { kind: "gone" };
    if (pod.metadata.uid !== uid) return { kind: "replaced" };
    if (dryRun) return { kind: "deleted" };
    this.removePod(pod);
    return { kind: "deleted" };
  }

  async evictPod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<EvictOutcome> {
    const answer = (code: number, outcome: EvictOutcome) => {
      this.log(`evict ${namespace}/${name}${dryRun ? " (dry run)" : ""} → ${code}`);
      return outcome;
    };
    const pod = this.findPod(namespace, name);
    if (!pod) return answer(404, { kind: "gone" });
    if (pod.metadata.uid !== uid) return answer(409, { kind: "replaced" });
    const selecting = this.budgetsNow(namespace).filter(
      (b) => b.selector && selectorMatches(b.selector, pod.metadata.labels ?? {}),
    );
    if (selecting.length > 1) {
      return answer(500, {
        kind: "several-budgets",
        // What kubectl 1.35 prints for the API server's 500 (measured on the test bed).
        reason:
          "Error from server: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      });
    }
    // As the API server: a pod not Ready goes while its budget has the Ready pods it wants.
    const free = !isReady(pod) && selecting.length === 1 && letsUnreadyPodGo(selecting[0]!);
    if (selecting.length === 1 && selecting[0]!.disruptionsAllowed < 1 && !free) {
      return answer(429, {
        kind: "blocked",
        reason:
          "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.",
      });
    }
    if (!dryRun) this.removePod(pod);
    return answer(201, { kind: "evicted" });
  }

  /** The budgets of a scope, as the plan reads them under auto. */
  async listDisruptionBudgetsIn(scope: {
    namespace?: string;
    allNamespaces: boolean;
  }): Promise<DisruptionBudget[]> {
    this.refuseBudgetsIfUnreadable();
    const namespaces = scope.allNamespaces
      ? [...new Set(this.budgets.map((b) => b.namespace))]
      : [scope.namespace ?? "shop"];
    return namespaces.flatMap((namespace) => this.budgetsNow(namespace).map((b) => ({ ...b, namespace })));
  }

  async listDisruptionBudgets(namespace: string): Promise<DisruptionBudget[]> {
    this.log(`list budgets ${namespace}`);
    this.refuseBudgetsIfUnreadable();
    return this.budgetsNow(namespace);
  }

  /** RBAC without `list` on poddisruptionbudgets, as kubectl reports it. */
  private refuseBudgetsIfUnreadable(): void {
    if (!this.budgetsUnreadable) return;
    throw new ToolFailedError(
      "kubectl get failed: Error from server (Forbidden): poddisruptionbudgets.policy is forbidden",
    );
  }

  async listWorkloads(
    kind: WorkloadKind,
    scope: { namespace?: string; allNamespaces: boolean },
    names: ReadonlySet<string>,
  ): Promise<Workload[]> {
    this.log(`list ${kind}s ${scope.allNamespaces ? "-A" : scope.namespace}`);
    return this.controllers
      .filter((c) => c.spec.kind === kind && (scope.allNamespaces || c.spec.namespace === scope.namespace))
      .filter((c) => names.has(`${c.spec.namespace}/${c.spec.name}`))
      .map((c) => this.workloadOf(c));
  }

  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload | null> {
    this.log(`get ${kind} ${namespace}/${name}`);
    const c = this.controllers.find(
      (c) => c.spec.kind === kind && c.spec.namespace === namespace && c.spec.name === name,
    );
    return c ? this.workloadOf(c) : null;
  }

  async patchRestartedAt(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    resourceVersion: string,
    { restartedAt, restartedFor }: { restartedAt: string; restartedFor: string | null },
    dryRun: boolean,
  ): Promise<PatchOutcome> {
    this.log(`patch ${kind} ${namespace}/${name} restartedAt=${restartedAt}${dryRun ? " (dry run)" : ""}`);
    this.restartedFor.set(`${namespace}/${name}`, restartedFor);
    const c = this.controllers.find(
      (c) => c.spec.kind === kind && c.spec.namespace === namespace && c.spec.name === name,
    );
    if (!c) return { kind: "gone" };
    if (this.conflictsOnPatch > 0 || resourceVersion !== String(c.resourceVersion)) {
      this.conflictsOnPatch = Math.max(0, this.conflictsOnPatch - 1);
      return {
        kind: "conflict",
        reason: `Error from server (Conflict): Operation cannot be fulfilled on ${kind.toLowerCase()}s.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      };
    }
    if (dryRun) return { kind: "patched", generation: c.generation + 1 };
    c.generation++;
    c.resourceVersion++;
    c.revision++;
    c.rolloutStartedAt = this.clock.now();
    const revision = c.revision;
    this.clock.at(this.clock.now() + c.spec.observeAfterMs, () => {
      c.observedGeneration = Math.max(c.observedGeneration, c.generation);
      c.observedRevision = Math.max(c.observedRevision, revision);
      this.reconcile(c);
    });
    if (Number.isFinite(c.spec.progressDeadlineMs)) {
      this.clock.at(this.clock.now() + c.spec.progressDeadlineMs, () => {
        if (
          c.revision === revision &&
          this.podsOf(c).some((p) => this.revisionOf.get(p)! < revision || !isReady(p))
        ) {
          c.deadlineExceeded = true;
        }
      });
    }
    return { kind: "patched", generation: c.generation };
  }

  /** Calls that deleted a pod, with their time: `1500 delete shop/web-2`. */
  deletions(): string[] {
    return this.calls.filter((c) => c.includes(" delete "));
  }

  /** Eviction calls with the API server's answer: `0 evict shop/web-0 → 429`. */
  evictions(): string[] {
    return this.calls.filter((c) => c.includes(" evict "));
  }

  /** Patches of a template. */
  patches(): string[] {
    return this.calls.filter((c) => c.includes(" patch "));
  }

  // ---- the controllers ----------------------------------------------------------------------------------

  private reconcile(c: Controller): void {
    // One being deleted makes no new pods.
    if (c.deletionTimestamp) return;
    // A controller never goes beyond what it has seen; until then it keeps its pods as they are.
    const revision = c.observedRevision;
    const pods = this.podsOf(c);
    const ready = pods.filter(isReady);
    const old = pods.filter((p) => this.revisionOf.get(p)! < revision);
    const fresh = pods.filter((p) => this.revisionOf.get(p)! === revision);
    const { replicas } = c.spec;
    switch (c.spec.kind) {
      case "ReplicaSet":
      case "ReplicationController": {
        // A pod terminating is replaced at once (a quota that still counts it may refuse its successor).
        const active = pods.filter((p) => !p.metadata.deletionTimestamp);
        for (let n = active.length; n < replicas; n++) this.startPod(c, c.spec.replacementDigest);
        // A scale-down deletes the pods least worth keeping first: not Ready, then the newest.
        const byWorth = [...active].reverse().sort((a, b) => Number(isReady(a)) - Number(isReady(b)));
        for (const pod of byWorth.slice(0, Math.max(0, active.length - replicas))) this.removePod(pod);
        break;
      }
      case "Deployment": {
        if (c.spec.paused || old.length === 0) {
          for (let n = pods.length; n < replicas; n++) this.startPod(c, c.spec.replacementDigest);
          break;
        }
        if (c.spec.updateStrategy === "Recreate") {
          for (const pod of old) this.dropPod(pod);
          for (let n = fresh.length; n < replicas; n++) this.startPod(c, c.spec.replacementDigest);
          break;
        }
        // Scale the new ReplicaSet up within the surge, then the old one down within the unavailability.
        let total = pods.length;
        let freshCount = fresh.length;
        while (freshCount < replicas && total < replicas + c.spec.maxSurge) {
          if (!this.startPod(c, c.spec.replacementDigest)) break;
          freshCount++;
          total++;
        }
        let available = ready.length;
        const minAvailable = replicas - c.spec.maxUnavailable;
        for (const pod of [...old].sort((a, b) => Number(isReady(a)) - Number(isReady(b)))) {
          if (isReady(pod)) {
            if (available - 1 < minAvailable) break;
            available--;
          }
          this.dropPod(pod);
          total--;
        }
        // Room made by the old pods lets more new ones start.
        while (freshCount < replicas && total < replicas + c.spec.maxSurge) {
          if (!this.startPod(c, c.spec.replacementDigest)) break;
          freshCount++;
          total++;
        }
        break;
      }
      case "StatefulSet": {
        const byOrdinal = new Map(pods.map((p) => [ordinalOf(p), p]));
        for (let ordinal = 0; ordinal < replicas; ordinal++) {
          if (!byOrdinal.has(ordinal)) {
            const at = ordinal >= c.spec.partition ? revision : c.currentRevision;
            this.startPod(c, c.spec.replacementDigest, false, ordinal, at);
          }
        }
        // A scale-down (OrderedReady) deletes the highest ordinal beyond the count, one at a time, once every
        // pod below the count is Ready and none is terminating.
        const now = this.podsOf(c);
        const kept = now.filter((p) => ordinalOf(p) < replicas);
        const settled = kept.length === replicas && kept.every(isReady);
        const beyond = now
          .filter((p) => ordinalOf(p) >= replicas)
          .sort((a, b) => ordinalOf(b) - ordinalOf(a));
        if (settled && beyond[0] && !now.some((p) => p.metadata.deletionTimestamp)) {
          this.removePod(beyond[0]);
          return;
        }
        if (
          c.spec.updateStrategy === "RollingUpdate" &&
          pods.length === replicas &&
          ready.length === replicas
        ) {
          const next = old
            .filter((p) => ordinalOf(p) >= c.spec.partition)
            .sort((a, b) => ordinalOf(b) - ordinalOf(a))[0];
          if (next) {
            this.dropPod(next);
            this.reconcile(c);
            return;
          }
        }
        // Under OnDelete the controller leaves currentRevision behind (kubernetes/kubernetes#73492).
        const rolling = c.spec.updateStrategy === "RollingUpdate";
        if (rolling && c.spec.partition === 0 && old.length === 0) c.currentRevision = revision;
        break;
      }
      case "DaemonSet": {
        // One pod per node: a node without one (its pod gone, or a node that joined) gets one.
        const nodes = new Set(pods.map((p) => p.spec?.nodeName));
        for (let n = 0; n < replicas; n++) {
          const node = `node-${n}`;
          if (!nodes.has(node)) this.startPod(c, c.spec.replacementDigest, false, undefined, revision, node);
        }
        if (c.spec.updateStrategy === "RollingUpdate") {
          const unavailable = replicas - ready.length;
          const next = old.find(isReady) ?? old[0];
          if (next && unavailable < c.spec.maxUnavailable) {
            this.dropPod(next);
            this.reconcile(c);
            return;
          }
        }
        break;
      }
    }
    this.sample();
  }

  /**
   * A DaemonSet's nodes that run a live pod of it but are beyond the nodes it schedules to (node-0 up to its
   * replicas): as a node tainted since the pod started.
   */
  private misscheduled(c: Controller): number {
    const nodes = this.podsOf(c)
      .filter((p) => !p.metadata.deletionTimestamp && !hasEnded(p))
      .map((p) => Number(/^node-(\d+)$/.exec(p.spec?.nodeName ?? "")?.[1] ?? -1));
    return new Set(nodes.filter((n) => n >= c.spec.replicas)).size;
  }

  private statefulSetRevisions(c: Controller) {
    const { spec, status } = this.workloadOf(c);
    const { observedGeneration, currentRevision, updateRevision } = status ?? {};
    return {
      spec: { updateStrategy: spec.updateStrategy },
      status: { observedGeneration, currentRevision, updateRevision },
    };
  }

  private deleting(c: Controller): { deletionTimestamp?: string } {
    return c.deletionTimestamp ? { deletionTimestamp: c.deletionTimestamp } : {};
  }

  private workloadOf(c: Controller): Workload {
    const pods = this.podsOf(c);
    const ready = pods.filter(isReady).length;
    const updated = pods.filter((p) => this.revisionOf.get(p) === c.observedRevision).length;
    const metadata = {
      name: c.spec.name,
      namespace: c.spec.namespace,
      uid: c.uid,
      generation: c.generation,
      resourceVersion: String(c.resourceVersion),
      labels: { ...c.spec.labels },
      annotations: { ...c.spec.annotations },
      ...this.deleting(c),
    };
    const selector: LabelSelector = { matchLabels: { ...c.podLabels } };
    const rolling = { maxSurge: c.spec.maxSurge, maxUnavailable: c.spec.maxUnavailable };
    switch (c.spec.kind) {
      case "Deployment":
        return {
          kind: "Deployment",
          metadata,
          spec: {
            replicas: c.spec.replicas,
            selector,
            paused: c.spec.paused,
            strategy:
              c.spec.updateStrategy === "Recreate"
                ? { type: "Recreate" }
                : { type: "RollingUpdate", rollingUpdate: rolling },
          },
          status: {
            observedGeneration: c.observedGeneration,
            replicas: pods.length,
            updatedReplicas: updated,
            readyReplicas: ready,
            availableReplicas: ready,
            conditions: [
              c.deadlineExceeded
                ? {
                    type: "Progressing",
                    status: "False",
                    reason: "ProgressDeadlineExceeded",
                    message: `ReplicaSet "${rsName(c, c.revision)}" has timed out progressing.`,
                  }
                : { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
            ],
          },
        };
      case "StatefulSet":
        return {
          kind: "StatefulSet",
          metadata,
          spec: {
            replicas: c.spec.replicas,
            selector,
            updateStrategy:
              c.spec.updateStrategy === "OnDelete"
                ? { type: "OnDelete" }
                : { type: "RollingUpdate", rollingUpdate: { partition: c.spec.partition } },
          },
          status: {
            observedGeneration: c.observedGeneration,
            replicas: pods.length,
            readyReplicas: ready,
            updatedReplicas: updated,
            currentRevision: `${c.spec.name}-r${c.currentRevision}`,
            updateRevision: `${c.spec.name}-r${c.observedRevision}`,
          },
        };
      default:
        return {
          kind: "DaemonSet",
          metadata,
          spec: {
            selector,
            updateStrategy:
              c.spec.updateStrategy === "OnDelete"
                ? { type: "OnDelete" }
                : { type: "RollingUpdate", rollingUpdate: rolling },
          },
          status: {
            observedGeneration: c.observedGeneration,
            desiredNumberScheduled: c.spec.replicas,
            updatedNumberScheduled: updated,
            numberAvailable: ready,
          },
        };
    }
  }

  // ---- pods ---------------------------------------------------------------------------------------------

  private budgetsNow(namespace: string): DisruptionBudget[] {
    return this.budgets
      .filter((b) => b.namespace === namespace)
      .map((b) => {
        const matchLabels = { ...b.labels, app: b.app };
        const selected = this.pods.filter(
          (p) =>
            p.metadata.namespace === namespace &&
            Object.entries(matchLabels).every(([key, value]) => p.metadata.labels?.[key] === value),
        );
        const ready = selected.filter(isReady).length;
        const selector = { matchLabels };
        if (typeof b.allowed === "number") return { name: b.name, selector, disruptionsAllowed: b.allowed };
        const { minAvailable } = b.allowed;
        return {
          name: b.name,
          selector,
          disruptionsAllowed: Math.max(0, ready - minAvailable),
          currentHealthy: ready,
          desiredHealthy: minAvailable,
          // As the disruption controller counts for a minAvailable count: every pod selected, ended ones too.
          expectedPods: selected.length,
          countsEndedPods: true,
        };
      });
  }

  private findPod(namespace: string, name: string): PodWithConditions | undefined {
    return this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
  }

  /** A pod removed by a client: its controller reacts once it is gone (after its grace period). */
  private removePod(pod: PodWithConditions): void {
    const controller = this.controllers.find((c) => ownedBy(pod, c))!;
    const gone = () => {
      this.pods = this.pods.filter((p) => p !== pod);
      this.sample();
      this.reconcile(controller);
    };
    const grace = controller.spec.terminationGraceMs;
    if (grace === 0) {
      gone();
      return;
    }
    pod.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
    this.sample();
    this.clock.at(this.clock.now() + grace, gone);
  }

  /** A pod removed by its own controller (the next step of a rollout). */
  private dropPod(pod: PodWithConditions): void {
    this.pods = this.pods.filter((p) => p !== pod);
    this.sample();
  }

  /** A controller's pods as it counts them: not those that ended. */
  /**
   * Its pods Ready, and available (Ready for minReadySeconds by this, the API server's, clock), as a status
   * counts them.
   */
  private readyCounts(pods: readonly PodWithConditions[], minReadySeconds = 0) {
    const ready = pods.filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
    const available = ready.filter((p) => (readySince(p) ?? 0) + minReadySeconds * 1000 <= this.clock.now());
    return { ready: ready.length, available: available.length };
  }

  /** A status as the API server writes it: counts of 0 left out (omitempty). */
  private withoutZeros<T extends Record<string, number | undefined>>(status: T): Partial<T> {
    return Object.fromEntries(Object.entries(status).filter(([, count]) => count !== 0)) as Partial<T>;
  }

  /** A Deployment's ReplicaSet's status: the pods of its revision Ready, and available. */
  private replicaSetStatus(c: Controller, revision: number) {
    const pods = this.podsOf(c).filter((p) => this.revisionOf.get(p) === revision);
    const { ready, available } = this.readyCounts(pods, c.spec.minReadySeconds);
    return this.withoutZeros({ readyReplicas: ready, availableReplicas: available });
  }

  private podsOf(c: Controller): PodWithConditions[] {
    return this.pods.filter((p) => ownedBy(p, c) && !hasEnded(p));
  }

  private startPod(
    c: Controller,
    digest: string,
    ready = false,
    ordinal?: number,
    revision = c.observedRevision,
    node?: string,
  ): PodWithConditions | undefined {
    if (this.podsOf(c).length >= c.spec.podQuota) return undefined;
    const kind = c.spec.kind;
    const n = c.created++;
    const name =
      kind === "StatefulSet"
        ? `${c.spec.name}-${ordinal ?? n}`
        : kind === "Deployment"
          ? `${c.spec.name}-r${revision}-${n}`
          : `${c.spec.name}-${n}`;
    const direct =
      kind === "Deployment"
        ? { kind: "ReplicaSet", name: rsName(c, revision), uid: `uid-${rsName(c, revision)}` }
        : { kind, name: c.spec.name, uid: c.uid };
    const pod: PodWithConditions = {
      metadata: {
        name,
        namespace: c.spec.namespace,
        uid: `uid-${name}-${n}`,
        labels: { ...c.podLabels, ...revisionLabels(c, revision) },
        ownerReferences: [{ ...direct, controller: true }],
      },
      spec: {
        containers: [{ name: "app", image: "registry.test/shop/web:main" }],
        nodeName: node ?? `node-${n}`,
      },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "app", image: "registry.test/shop/web:main", imageID: `registry.test/shop/web@${digest}` },
        ],
        // The pods a test starts with became Ready long ago.
        conditions: ready
          ? [{ ...this.readyCondition(true), lastTransitionTime: "2026-01-01T00:00:00Z" }]
          : [],
      },
    };
    if (!ready && c.spec.waitingReason)
      pod.status!.containerStatuses![0]!.state = { waiting: { reason: c.spec.waitingReason } };
    this.revisionOf.set(pod, revision);
    // The pods a test starts with were made long ago.
    this.madeAt.set(pod.metadata.uid!, ready ? Number.NEGATIVE_INFINITY : this.clock.now());
    this.pods.push(pod);
    if (!ready && Number.isFinite(c.spec.readyAfterMs) && !c.deadlineExceeded && !this.stalled(c, revision)) {
      this.clock.at(this.clock.now() + c.spec.readyAfterMs, () => {
        if (!this.pods.includes(pod)) return;
        pod.status!.conditions = [this.readyCondition(true)];
        this.sample();
        this.reconcile(c);
      });
    }
    return pod;
  }

  /** A rollout with a progress deadline models a template whose new pods never become Ready. */
  private stalled(c: Controller, revision: number): boolean {
    return Number.isFinite(c.spec.progressDeadlineMs) && revision > 1;
  }

  /** After every change of the pods: the lowest Ready count of each controller, and the watches. */
  private sample(): void {
    for (const c of this.controllers) {
      const ready = this.podsOf(c).filter(isReady).length;
      this.lowest.set(c.spec.name, Math.min(this.lowest.get(c.spec.name) ?? ready, ready));
    }
    this.sendChanges();
  }

  private log(call: string): void {
    this.calls.push(`${this.clock.elapsed()} ${call}`);
  }

  private planPod(c: Controller, pod: Pod): PlanPod {
    const direct = pod.metadata.ownerReferences![0]!;
    const workload =
      c.spec.kind === "Deployment" || c.spec.kind === "StatefulSet" || c.spec.kind === "DaemonSet";
    const owner = { kind: c.spec.kind, name: c.spec.name };
    return {
      namespace: c.spec.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid!,
      node: pod.spec.nodeName ?? "",
      owner,
      labels: { ...pod.metadata.labels },
      terminating: false,
      ended: false,
      controller: { kind: direct.kind, name: direct.name, uid: direct.uid! },
      action: "delete",
      reason: "",
      warnings: [],
      restart: {
        // As the plan reads it (core/restart-strategy.ts decideRestart).
        replicas: c.spec.replicas,
        strategy: c.spec.strategy,
        controller: workload ? owner : { kind: direct.kind, name: direct.name },
        reason: "",
      },
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
          pullPolicy: c.spec.pullPolicy,
        },
      ],
    };
  }
}

function rsName(c: Controller, revision: number): string {
  return `${c.spec.name}-r${revision}`;
}

function ordinalOf(pod: Pod): number {
  return Number(/-(\d+)$/.exec(pod.metadata.name)![1]);
}

function isReady(pod: PodWithConditions): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
  );
}

function ownedBy(pod: Pod, c: Controller): boolean {
  const ref = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  if (!ref || pod.metadata.namespace !== c.spec.namespace) return false;
  if (c.spec.kind === "Deployment")
    return ref.kind === "ReplicaSet" && ref.name.startsWith(`${c.spec.name}-r`);
  return ref.uid === c.uid;
}

/**
 * Objects as the Kubectl adapter lists them: cut to its shape, so a check reading a field it drops
 * fails here.
 */
function asListed<T>(items: readonly T[], shape: Shape): T[] {
  const listed: T[] = [];
  const read = parsedBy((item: T) => item);
  const stream = new JsonListStream((text, apart) => listed.push(read(text, apart)), undefined, shape);
  stream.write(Buffer.from(JSON.stringify({ items })));
  stream.end();
  return listed;
}

/** A watch of the pods a selector finds: what it has sent of each, by UID, as JSON. */
interface PodWatcher {
  select(): PodWithConditions[];
  sent: Map<string, string>;
  onChange(change: WatchChange<PodWithConditions>): void;
}

/** The DaemonSet's template generation, as the API server keeps it (its pods carry it as a label). */
const templateGenerationAnnotation = "deprecated.daemonset.template.generation";

/** How a controller's pod names the template revision it was made from. */
function revisionLabels(c: Controller, revision: number): Record<string, string> {
  switch (c.spec.kind) {
    case "Deployment":
      return { "pod-template-hash": `r${revision}` };
    case "StatefulSet":
      return { "controller-revision-hash": `${c.spec.name}-r${revision}` };
    case "DaemonSet":
      return { "pod-template-generation": String(revision) };
    default:
      return {};
  }
}
