/**
 * Pods shaped exactly as `kubectl get pods -o json` prints them (kubectl 1.35, managedFields hidden),
 * for the three runtimes whose imageID forms differ. Builders keep the tests short; the shapes stay real.
 */
import { createHash } from "node:crypto";
import type { Pod } from "../../src/core/k8s.js";
import type { Workload } from "../../src/core/workload.js";

/** A stable fake digest: sha256 of a label. */
export function digestOf(label: string): string {
  return `sha256:${createHash("sha256").update(label).digest("hex")}`;
}

export type Runtime = "containerd" | "cri-dockerd" | "cri-o";

interface ContainerSpec {
  name: string;
  image: string;
  /** What the node runs: the digest in imageID. Omit for a container that has not started. */
  runningDigest?: string;
  /** Override the whole imageID (bare IDs, kind-loaded images, other repositories). */
  imageID?: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  init?: boolean;
}

export interface PodSpec {
  name: string;
  namespace?: string;
  uid?: string;
  runtime?: Runtime;
  node?: string;
  containers: ContainerSpec[];
  owner?: { kind: string; name: string; apiVersion?: string; uid?: string } | null;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  imagePullSecrets?: string[];
  serviceAccountName?: string;
  emptyDir?: string[];
  /** Generic ephemeral volumes: a PersistentVolumeClaim each, made for the pod. */
  ephemeral?: string[];
  deletionTimestamp?: string;
  /** metadata.creationTimestamp; one fixed day by default. */
  creationTimestamp?: string;
}

const apiVersions: Record<string, string> = {
  ReplicaSet: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  Node: "v1",
  ReplicationController: "v1",
};

/**
 * The familiar name docker uses in RepoDigests and cri-dockerd in imageID (`nginx`, `localhost:5000/app`).
 */
function familiar(image: string): string {
  const name = image.replace(/@.*$/, "").replace(/:[^:/]+$/, "");
  return name.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}

/** containerd and CRI-O print fully qualified names. */
function qualified(image: string): string {
  const name = image.replace(/@.*$/, "").replace(/:[^:/]+$/, "");
  const first = name.split("/")[0]!;
  const hasHost = name.includes("/") && (/[.:]/.test(first) || first === "localhost");
  if (hasHost) return name;
  return name.includes("/") ? `docker.io/${name}` : `docker.io/library/${name}`;
}

function imageIdFor(runtime: Runtime, c: ContainerSpec): string {
  if (c.imageID !== undefined) return c.imageID;
  if (!c.runningDigest) return "";
  if (runtime === "cri-dockerd") return `docker-pullable://${familiar(c.image)}@${c.runningDigest}`;
  return `${qualified(c.image)}@${c.runningDigest}`;
}

function statusImageFor(runtime: Runtime, image: string): string {
  if (runtime === "cri-dockerd") return image;
  // containerd and CRI-O report the normalized name (containerd: its repoTags[0]).
  const tag = /:([^:/@]+)$/.exec(image.replace(/@.*$/, ""))?.[1] ?? "latest";
  return `${qualified(image)}:${tag}`;
}

function containerIdFor(runtime: Runtime, podName: string, name: string): string {
  const scheme = runtime === "cri-dockerd" ? "docker" : runtime === "cri-o" ? "cri-o" : "containerd";
  return `${scheme}://${digestOf(`${podName}/${name}`).slice(7)}`;
}

export function makePod(spec: PodSpec): Pod {
  const runtime = spec.runtime ?? "containerd";
  const namespace = spec.namespace ?? "default";
  const uid = spec.uid ?? uuidOf(`${namespace}/${spec.name}`);
  const phase = spec.phase ?? "Running";
  const owner = spec.owner === undefined ? null : spec.owner;
  // A Pending pod has statuses once some container ran (an init container that finished, say).
  const started = phase !== "Pending" || spec.containers.some((c) => imageIdFor(runtime, c) !== "");
  const container = (c: ContainerSpec) => ({
    image: c.image,
    imagePullPolicy:
      c.imagePullPolicy ??
      (/:latest$|^[^:]+$/.test(c.image.replace(/^[^/]+:\d+\//, "")) ? "Always" : "IfNotPresent"),
    name: c.name,
    resources: {},
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    volumeMounts: [
      {
        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
        name: "kube-api-access-x7k2q",
        readOnly: true,
      },
    ],
  });
  const status = (c: ContainerSpec) => {
    const imageID = imageIdFor(runtime, c);
    const running = imageID !== "";
    const finished = c.init || phase === "Succeeded" || phase === "Failed";
    return {
      ...(running ? { containerID: containerIdFor(runtime, spec.name, c.name) } : {}),
      image: statusImageFor(runtime, c.image),
      imageID,
      lastState: {},
      name: c.name,
      ready: running && !finished,
      restartCount: 0,
      started: running && !finished,
      state: !running
        ? { waiting: { reason: "ContainerCreating" } }
        : finished
          ? {
              terminated: {
                containerID: containerIdFor(runtime, spec.name, c.name),
                exitCode: phase === "Failed" ? 1 : 0,
                finishedAt: "2026-11-20T10:00:05Z",
                reason: phase === "Failed" ? "Error" : "Completed",
                startedAt: "2026-11-20T10:00:01Z",
              },
            }
          : { running: { startedAt: "2026-11-20T10:00:01Z" } },
    };
  };
  const inits = spec.containers.filter((c) => c.init);
  const apps = spec.containers.filter((c) => !c.init);
  const volumes: object[] = [
    {
      name: "kube-api-access-x7k2q",
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          { configMap: { items: [{ key: "ca.crt", path: "ca.crt" }], name: "kube-root-ca.crt" } },
          {
            downwardAPI: {
              items: [{ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" }, path: "namespace" }],
            },
          },
        ],
      },
    },
    ...(spec.emptyDir ?? []).map((name) => ({ emptyDir: {}, name })),
    ...(spec.ephemeral ?? []).map((name) => ({
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { creationTimestamp: null },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "1Gi" } },
            storageClassName: "standard",
            volumeMode: "Filesystem",
          },
        },
      },
      name,
    })),
  ];
  const ready = phase === "Running" && apps.every((c) => imageIdFor(runtime, c) !== "");
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      creationTimestamp: spec.creationTimestamp ?? "2026-11-20T10:00:00Z",
      ...(spec.deletionTimestamp
        ? { deletionGracePeriodSeconds: 30, deletionTimestamp: spec.deletionTimestamp }
        : {}),
      ...(owner ? { generateName: `${spec.name.replace(/-[a-z0-9]+$/, "")}-` } : {}),
      labels: spec.labels ?? { app: spec.name.replace(/-[a-z0-9]+(-[a-z0-9]+)?$/, "") },
      name: spec.name,
      namespace,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion ?? apiVersions[owner.kind] ?? "example.com/v1",
                blockOwnerDeletion: true,
                controller: true,
                kind: owner.kind,
                name: owner.name,
                uid: owner.uid ?? uuidOf(`${namespace}/${owner.kind}/${owner.name}`),
              },
            ],
          }
        : {}),
      resourceVersion: "48213",
      uid,
    },
    spec: {
      containers: apps.map(container),
      dnsPolicy: "ClusterFirst",
      enableServiceLinks: true,
      ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(inits.length > 0 ? { initContainers: inits.map(container) } : {}),
      nodeName: spec.node ?? "node-1",
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      restartPolicy: owner?.kind === "Job" ? "Never" : "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      serviceAccount: spec.serviceAccountName ?? "default",
      serviceAccountName: spec.serviceAccountName ?? "default",
      terminationGracePeriodSeconds: 30,
      tolerations: [
        {
          effect: "NoExecute",
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          tolerationSeconds: 300,
        },
        {
          effect: "NoExecute",
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          tolerationSeconds: 300,
        },
      ],
      volumes,
    },
    status: {
      conditions: [
        {
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:02Z",
          status: "True",
          type: "PodReadyToStartContainers",
        },
        {
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:01Z",
          status: "True",
          type: "Initialized",
        },
        {
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:02Z",
          status: ready ? "True" : "False",
          type: "Ready",
        },
        {
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:02Z",
          status: ready ? "True" : "False",
          type: "ContainersReady",
        },
        {
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:00Z",
          status: "True",
          type: "PodScheduled",
        },
      ],
      ...(started ? { containerStatuses: apps.map(status) } : {}),
      hostIP: "10.244.0.11",
      hostIPs: [{ ip: "10.244.0.11" }],
      ...(started && inits.length > 0 ? { initContainerStatuses: inits.map(status) } : {}),
      phase,
      podIP: "10.244.1.7",
      podIPs: [{ ip: "10.244.1.7" }],
      qosClass: "BestEffort",
      startTime: "2026-11-20T10:00:00Z",
    },
  };
  return pod as unknown as Pod;
}

/** A deterministic UID in the API server's format. */
export function uuidOf(label: string): string {
  const h = createHash("sha256").update(label).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A ReplicaSet as `kubectl get replicasets -o json` lists it, owned by a Deployment (or not). */
export function makeReplicaSet(name: string, deployment: string | null, namespace = "default") {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace,
      uid: uuidOf(`${namespace}/ReplicaSet/${name}`),
      ...(deployment
        ? {
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                blockOwnerDeletion: true,
                controller: true,
                kind: "Deployment",
                name: deployment,
                uid: uuidOf(`${namespace}/Deployment/${deployment}`),
              },
            ],
          }
        : {}),
    },
    spec: { replicas: 3, selector: { matchLabels: { app: name.replace(/-[a-z0-9]+$/, "") } } },
    status: { replicas: 3, readyReplicas: 3 },
  };
}

/** A Deployment as the restart decision reads it: settled, rolling 25% at a time. */
export function settledDeployment(name: string, namespace: string, replicas: number): Workload {
  return {
    kind: "Deployment",
    metadata: { name, namespace, generation: 4, resourceVersion: "900" },
    spec: {
      replicas,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    },
    status: {
      observedGeneration: 4,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
    },
  };
}

/** A Job, optionally created by a CronJob. */
export function makeJob(name: string, cronJob: string | null, namespace = "default") {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace,
      uid: uuidOf(`${namespace}/Job/${name}`),
      ...(cronJob
        ? {
            ownerReferences: [
              {
                apiVersion: "batch/v1",
                blockOwnerDeletion: true,
                controller: true,
                kind: "CronJob",
                name: cronJob,
                uid: uuidOf(`${namespace}/CronJob/${cronJob}`),
              },
            ],
          }
        : {}),
    },
  };
}

/** A Job of the CronJob kubectl-autoupdate, made at `created`: `suspend`ed (held back), or running. */
export function makeCronJobRun(name: string, namespace: string, created: string, suspend: boolean) {
  return {
    kind: "Job",
    metadata: {
      name,
      namespace,
      creationTimestamp: created,
      ownerReferences: [{ kind: "CronJob", name: "kubectl-autoupdate", uid: "cron-uid", controller: true }],
    },
    spec: { suspend },
    status: { active: suspend ? 0 : 1 },
  };
}
