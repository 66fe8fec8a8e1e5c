/**
 * One simulated node: its Node object and Lease, a watch on the pods bound to it (as the kubelet's
 * `spec.nodeName=<node>` watch), and a serialized sync per pod that plays the kubelet's part:
 * pull → Running/Ready → (Job pods) Succeeded; deletionTimestamp → terminated → grace-0 delete.
 */
import { createHash } from "node:crypto";
import { InvalidImageNameError, parseImageName } from "./image-name.js";
import { apiTime, type KubeClient, KubeError, type KubeObject, microTime } from "./kube-client.js";
import { matchingCredentials, PullError, pullImage } from "./registry-pull.js";
import { ImageStore, type Runtime, runtimeVersions, type StoredImage } from "./runtime.js";

export interface NodeSpec {
  name: string;
  runtime: Runtime;
  arch?: "amd64" | "arm64";
  labels?: Record<string, string>;
}

/** What the simulator saw and did, with a millisecond clock, for tests that check order and timing. */
export interface SimEvent {
  at: number;
  node: string;
  namespace: string;
  pod: string;
  uid: string;
  what:
    | "seen"
    | "pulled"
    | "cached"
    | "pull-failed"
    | "running"
    | "succeeded"
    | "terminating"
    | "deleted"
    | "gone";
  detail?: string;
}

export interface NodeTimings {
  /** Cap on a terminating pod's grace period, so tests do not wait 30 s per deletion. */
  maxGraceMs: number;
  /** How long a Job's pod runs before it succeeds. */
  jobRunMs: number;
  /** Back-off after a failed pull: first delay, doubled up to the maximum. */
  pullBackoffMs: number;
  pullBackoffMaxMs: number;
  leaseRenewMs: number;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

export interface Pod extends KubeObject {
  spec: {
    nodeName?: string;
    containers: Container[];
    initContainers?: Container[];
    imagePullSecrets?: { name: string }[];
    restartPolicy?: string;
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    podIP?: string;
  };
}

interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
}

interface PodState {
  pod: Pod;
  started?: { at: string; init: ContainerStatus[]; app: ContainerStatus[] };
  completed: boolean;
  terminating: boolean;
  gone: boolean;
  pullFailures: number;
  timers: Set<NodeJS.Timeout>;
  pending: boolean;
  queue: Promise<void>;
  ip: string;
  startTime?: string;
}

/** A pull secret as read from the API. */
interface PullSecret {
  source: string;
  type?: string;
  data?: Record<string, string>;
}

const LEASE_SECONDS = 40;

export class SimNode {
  readonly name: string;
  readonly runtime: Runtime;
  readonly arch: "amd64" | "arm64";
  readonly images: ImageStore;
  private readonly pods = new Map<string, PodState>();
  private readonly abort = new AbortController();
  private leaseTimer?: NodeJS.Timeout;
  private watching?: Promise<void>;
  private nextIp = 2;

  constructor(
    private readonly spec: NodeSpec,
    private readonly index: number,
    private readonly client: KubeClient,
    private readonly timings: NodeTimings,
    private readonly insecure: readonly string[],
    private readonly log: (event: Omit<SimEvent, "at" | "node">) => void,
    private readonly fail: (message: string) => void,
  ) {
    this.name = spec.name;
    this.runtime = spec.runtime;
    this.arch = spec.arch ?? "amd64";
    this.images = new ImageStore(this.runtime);
  }

  get internalIP(): string {
    return `10.240.0.${10 + this.index}`;
  }

  /** Creates (or replaces) the Node with a Ready status and its Lease, and starts the heartbeat. */
  async register(extraLabels: Record<string, string>): Promise<void> {
    const now = apiTime();
    const capacity = { cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "100Gi" };
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: this.name,
        labels: {
          "kubernetes.io/hostname": this.name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": this.arch,
          "beta.kubernetes.io/os": "linux",
          "beta.kubernetes.io/arch": this.arch,
          ...extraLabels,
          ...this.spec.labels,
        },
        annotations: { "node.alpha.kubernetes.io/ttl": "0" },
      },
      spec: { podCIDR: `10.244.${this.index}.0/24`, podCIDRs: [`10.244.${this.index}.0/24`] },
      // Nodes accept their status on create; the kubelet then keeps it up to date.
      status: {
        capacity,
        allocatable: capacity,
        conditions: [
          condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
          ),
          condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
          ),
          condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        addresses: [
          { type: "InternalIP", address: this.internalIP },
          { type: "Hostname", address: this.name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: hex(`${this.name}/machine`).slice(0, 32),
          systemUUID: uuid(`${this.name}/system`),
          bootID: uuid(`${this.name}/boot/${Date.now()}`),
          kernelVersion: "6.1.0-28-cloud-amd64",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          containerRuntimeVersion: runtimeVersions[this.runtime],
          kubeletVersion: "v1.35.4",
          kubeProxyVersion: "",
          operatingSystem: "linux",
          architecture: this.arch,
        },
      },
    };
    await this.client.delete(`/api/v1/nodes/${this.name}`, { gracePeriodSeconds: 0 });
    const created = await this.client.post<KubeObject>("/api/v1/nodes", node);
    await this.client.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`);
    await this.client.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.name,
        namespace: "kube-node-lease",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.name, uid: created.metadata.uid }],
      },
      spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() },
    });
    const renew = async () => {
      try {
        await this.client.patch(
          `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`,
          { spec: { renewTime: microTime() } },
          "merge",
        );
      } catch (error) {
        if (!this.abort.signal.aborted) this.fail(`node ${this.name}: lease renewal failed: ${error}`);
      }
      if (!this.abort.signal.aborted) this.leaseTimer = setTimeout(renew, this.timings.leaseRenewMs);
    };
    this.leaseTimer = setTimeout(renew, this.timings.leaseRenewMs);
  }

  /** Resolves once the first list is done: from then on every pod bound here is seen. */
  startPodWatch(): Promise<void> {
    let listed: () => void;
    const first = new Promise<void>((resolve) => {
      listed = resolve;
    });
    this.watching = this.watchLoop(() => listed());
    return first;
  }

  private async watchLoop(onListed: () => void): Promise<void> {
    const signal = this.abort.signal;
    const fieldSelector = `spec.nodeName=${this.name}`;
    while (!signal.aborted) {
      try {
        const list = await this.client.get<{ metadata: { resourceVersion: string }; items: Pod[] }>(
          "/api/v1/pods",
          { query: { fieldSelector }, signal },
        );
        const listedUids = new Set(list.items.map((p) => p.metadata.uid!));
        for (const [uid, state] of this.pods) if (!listedUids.has(uid)) this.forget(state);
        for (const pod of list.items) this.upsert(pod);
        onListed();
        let rv = list.metadata.resourceVersion;
        const ended = await this.client.watch<Pod>(
          "/api/v1/pods",
          rv,
          { fieldSelector },
          (event) => {
            rv = event.object.metadata.resourceVersion ?? rv;
            if (event.type === "ADDED" || event.type === "MODIFIED") this.upsert(event.object);
            else if (event.type === "DELETED") {
              const state = this.pods.get(event.object.metadata.uid!);
              if (state) this.forget(state);
            }
          },
          signal,
        );
        // The server ends watches (timeoutSeconds, 410 Gone): list again. A broken connection: after a pause.
        const gone = (ended.error as { code?: number } | undefined)?.code === 410;
        if (ended.error && !gone && !signal.aborted) await sleep(200);
      } catch (error) {
        if (signal.aborted) break;
        this.fail(`node ${this.name}: pod watch: ${error}`);
        await sleep(500);
      }
    }
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata.uid!;
    let state = this.pods.get(uid);
    if (!state) {
      state = {
        pod,
        completed: false,
        terminating: false,
        gone: false,
        pullFailures: 0,
        timers: new Set(),
        pending: false,
        queue: Promise.resolve(),
        ip: `10.244.${this.index}.${this.nextIp++}`,
      };
      this.pods.set(uid, state);
      this.event(state, "seen");
    } else {
      state.pod = pod;
    }
    this.kick(state);
  }

  private forget(state: PodState): void {
    state.gone = true;
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    this.pods.delete(state.pod.metadata.uid!);
    this.event(state, "gone");
  }

  /** Runs sync for the pod after any sync in progress; calls while one is queued coalesce. */
  private kick(state: PodState): void {
    if (state.pending || state.gone) return;
    state.pending = true;
    state.queue = state.queue.then(async () => {
      state.pending = false;
      if (state.gone || this.abort.signal.aborted) return;
      try {
        await this.sync(state);
      } catch (error) {
        if (this.abort.signal.aborted || state.gone) return;
        this.fail(`node ${this.name}: pod ${name(state.pod)}: ${error}`);
        this.after(state, 1000, () => {});
      }
    });
  }

  /** Runs `action` then syncs the pod again, after `ms`, unless the pod is gone by then. */
  private after(state: PodState, ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      if (state.gone) return;
      action();
      this.kick(state);
    }, ms);
    state.timers.add(timer);
  }

  private async sync(state: PodState): Promise<void> {
    const pod = state.pod;
    if (pod.metadata.deletionTimestamp) {
      if (state.terminating) return;
      state.terminating = true;
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      this.event(state, "terminating");
      const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
      const timer = setTimeout(
        () => {
          state.timers.delete(timer);
          state.queue = state.queue
            .then(() => this.finishDeletion(state))
            .catch((error) => {
              if (!this.abort.signal.aborted) this.fail(`node ${this.name}: deleting ${name(pod)}: ${error}`);
            });
        },
        Math.min(graceMs, this.timings.maxGraceMs),
      );
      state.timers.add(timer);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed" || state.completed) return;
    if (!state.started) {
      await this.start(state);
      return;
    }
  }

  /** Pulls every image (init containers first); then Running and Ready, or Waiting with the pull error. */
  private async start(state: PodState): Promise<void> {
    const pod = state.pod;
    const secrets = await this.pullSecrets(pod);
    const init: ContainerStatus[] = [];
    const app: ContainerStatus[] = [];
    const now = apiTime();
    const specs = [
      ...(pod.spec.initContainers ?? []).map((c) => ({ c, init: true })),
      ...pod.spec.containers.map((c) => ({ c, init: false })),
    ];
    for (const { c, init: isInit } of specs) {
      const result = await this.ensureImage(state, c, secrets);
      if ("reason" in result) {
        await this.reportPullFailure(state, c, isInit, result);
        return;
      }
      const status: ContainerStatus = {
        name: c.name,
        image: this.images.statusImage(result.image, c.image),
        imageID: this.images.imageID(result.image),
        containerID: this.images.containerID(pod.metadata.uid!, c.name),
        restartCount: 0,
        ...(isInit
          ? {
              ready: true,
              started: false,
              state: {
                terminated: {
                  exitCode: 0,
                  reason: "Completed",
                  startedAt: now,
                  finishedAt: now,
                  containerID: this.images.containerID(pod.metadata.uid!, c.name),
                },
              },
            }
          : { ready: true, started: true, state: { running: { startedAt: now } } }),
      };
      (isInit ? init : app).push(status);
    }
    if (state.gone || state.pod.metadata.deletionTimestamp) return;
    state.started = { at: now, init, app };
    state.pullFailures = 0;
    await this.patchStatus(state, {
      phase: "Running",
      conditions: conditions(now, { ready: true, initialized: true, sandbox: true }),
      ...this.addresses(state, now),
      initContainerStatuses: init,
      containerStatuses: app,
    });
    this.event(state, "running", app.map((s) => s.imageID).join(" "));
    if (isJobPod(pod)) {
      this.after(state, this.timings.jobRunMs, () => {
        void this.complete(state);
      });
    }
  }

  /** A Job's pod ends: every container exits 0. */
  private async complete(state: PodState): Promise<void> {
    if (!state.started || state.completed || state.terminating) return;
    state.completed = true;
    const now = apiTime();
    await this.patchStatus(state, {
      phase: "Succeeded",
      conditions: conditions(now, {
        ready: false,
        initialized: true,
        sandbox: false,
        reason: "PodCompleted",
      }),
      initContainerStatuses: state.started.init,
      containerStatuses: state.started.app.map((s) => terminated(s, state.started!.at, now)),
    });
    this.event(state, "succeeded");
  }

  /** After the (capped) grace period: containers stopped, then the grace-0 delete, as the kubelet does. */
  private async finishDeletion(state: PodState): Promise<void> {
    if (state.gone) return;
    if (state.started && !state.completed) {
      const now = apiTime();
      await this.patchStatus(state, {
        // Every container exited 0 on SIGTERM: the kubelet gives a deleted pod a terminal phase.
        phase: "Succeeded",
        conditions: conditions(now, {
          ready: false,
          initialized: true,
          sandbox: false,
          reason: "PodCompleted",
        }),
        initContainerStatuses: state.started.init,
        containerStatuses: state.started.app.map((s) => terminated(s, state.started!.at, now)),
      });
    }
    const deleted = await this.client.delete(
      `/api/v1/namespaces/${state.pod.metadata.namespace}/pods/${state.pod.metadata.name}`,
      { gracePeriodSeconds: 0, preconditions: { uid: state.pod.metadata.uid } },
    );
    if (deleted) this.event(state, "deleted");
  }

  private async ensureImage(
    state: PodState,
    c: Container,
    secrets: PullSecret[],
  ): Promise<{ image: StoredImage } | { reason: string; message: string }> {
    let name: ReturnType<typeof parseImageName>;
    try {
      name = parseImageName(c.image);
    } catch (error) {
      if (!(error instanceof InvalidImageNameError)) throw error;
      return {
        reason: "InvalidImageName",
        message: `Failed to apply default image tag "${c.image}": ${error.message}`,
      };
    }
    const policy =
      c.imagePullPolicy ?? (name.tag === "latest" && name.digest === null ? "Always" : "IfNotPresent");
    const present = this.images.find(name);
    if (policy === "Never" || (policy === "IfNotPresent" && present)) {
      if (present) {
        this.event(state, "cached", `${c.image} ${this.images.imageID(present)}`);
        return { image: present };
      }
      return {
        reason: "ErrImageNeverPull",
        message: `Container image "${c.image}" is not present with pull policy of Never`,
      };
    }
    try {
      const pulled = await pullImage(name, matchingCredentials(secrets, name), {
        arch: this.arch,
        insecure: this.insecure,
      });
      const image = this.images.record(name, pulled);
      this.event(state, "pulled", `${c.image} ${pulled.digest}`);
      return { image };
    } catch (error) {
      if (!(error instanceof PullError)) throw error;
      return { reason: "ErrImagePull", message: `Failed to pull image "${c.image}": ${error.message}` };
    }
  }

  private async reportPullFailure(
    state: PodState,
    failed: Container,
    failedIsInit: boolean,
    result: { reason: string; message: string },
  ): Promise<void> {
    state.pullFailures++;
    const pod = state.pod;
    const reason =
      state.pullFailures > 1 && result.reason === "ErrImagePull" ? "ImagePullBackOff" : result.reason;
    const message =
      reason === "ImagePullBackOff"
        ? `Back-off pulling image "${failed.image}": ${result.message}`
        : result.message;
    const waiting = (c: Container, init: boolean): ContainerStatus => ({
      name: c.name,
      image: c.image,
      imageID: "",
      ready: false,
      started: false,
      restartCount: 0,
      state: {
        waiting:
          c === failed
            ? { reason, message }
            : { reason: init || failedIsInit ? "PodInitializing" : "ContainerCreating" },
      },
    });
    const now = apiTime();
    this.event(state, "pull-failed", `${reason}: ${message}`);
    if (state.gone || pod.metadata.deletionTimestamp) return;
    await this.patchStatus(state, {
      phase: "Pending",
      conditions: conditions(now, {
        ready: false,
        initialized: !failedIsInit,
        sandbox: true,
        reason: failedIsInit ? "ContainersNotInitialized" : "ContainersNotReady",
      }),
      ...this.addresses(state, now),
      initContainerStatuses: (pod.spec.initContainers ?? []).map((c) => waiting(c, true)),
      containerStatuses: pod.spec.containers.map((c) => waiting(c, false)),
    });
    const delay = Math.min(
      this.timings.pullBackoffMs * 2 ** (state.pullFailures - 1),
      this.timings.pullBackoffMaxMs,
    );
    this.after(state, delay, () => {});
  }

  /** The pod's pull secrets that exist (the kubelet warns about missing ones and goes on). */
  private async pullSecrets(pod: Pod): Promise<PullSecret[]> {
    const found: PullSecret[] = [];
    for (const { name: secret } of pod.spec.imagePullSecrets ?? []) {
      const object = await this.client.getOrNull<{ type?: string; data?: Record<string, string> }>(
        `/api/v1/namespaces/${pod.metadata.namespace}/secrets/${secret}`,
      );
      if (object)
        found.push({
          source: `secret ${pod.metadata.namespace}/${secret}`,
          type: object.type,
          data: object.data,
        });
    }
    return found;
  }

  private addresses(state: PodState, now: string) {
    state.startTime ??= now;
    return {
      hostIP: this.internalIP,
      hostIPs: [{ ip: this.internalIP }],
      podIP: state.ip,
      podIPs: [{ ip: state.ip }],
      startTime: state.startTime,
    };
  }

  private async patchStatus(state: PodState, status: Record<string, unknown>): Promise<void> {
    const pod = state.pod;
    try {
      await this.client.patch(
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
        {
          metadata: { uid: pod.metadata.uid },
          status: { observedGeneration: pod.metadata.generation, ...status },
        },
      );
    } catch (error) {
      // Deleted (or replaced by a namesake) meanwhile: the watch will tell. A namesake (a StatefulSet's next
      // db-0) can also answer 422: the patch's uid precondition reads as an attempt to change its uid.
      const namesake =
        error instanceof KubeError && error.status === 422 && /metadata\.uid/.test(error.message);
      if (error instanceof KubeError && (error.status === 404 || error.status === 409 || namesake)) return;
      throw error;
    }
  }

  private event(state: PodState, what: SimEvent["what"], detail?: string): void {
    this.log({
      namespace: state.pod.metadata.namespace ?? "",
      pod: state.pod.metadata.name,
      uid: state.pod.metadata.uid ?? "",
      what,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Stops the heartbeat, the watch and every timer; waits for syncs in progress. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.leaseTimer);
    for (const state of this.pods.values()) {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
    }
    await this.watching;
    await Promise.all([...this.pods.values()].map((s) => s.queue));
  }

  /** Deletes the Node and its Lease. */
  async unregister(): Promise<void> {
    await this.client.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`);
    await this.client.delete(`/api/v1/nodes/${this.name}`);
  }
}

function conditions(
  now: string,
  o: { ready: boolean; initialized: boolean; sandbox: boolean; reason?: string },
) {
  const c = (type: string, ok: boolean, reason?: string) => ({
    type,
    status: ok ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: now,
    ...(ok || !reason ? {} : { reason }),
  });
  return [
    c("PodReadyToStartContainers", o.sandbox),
    c("Initialized", o.initialized, o.reason),
    c("Ready", o.ready, o.reason),
    c("ContainersReady", o.ready, o.reason),
  ];
}

function terminated(s: ContainerStatus, startedAt: string, finishedAt: string): ContainerStatus {
  return {
    ...s,
    ready: false,
    started: false,
    state: {
      terminated: { exitCode: 0, reason: "Completed", startedAt, finishedAt, containerID: s.containerID },
    },
  };
}

function isJobPod(pod: Pod): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.controller === true && o.kind === "Job") === true;
}

function name(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function hex(label: string): string {
  return createHash("sha256").update(label).digest("hex");
}

function uuid(label: string): string {
  const h = hex(label);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
