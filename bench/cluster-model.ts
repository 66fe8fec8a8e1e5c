/**
 * The benchmark's cluster, generated on demand: P pods of P/10 Deployments (10 replicas each, one ReplicaSet
 * each, settled) across 50 namespaces, U unique tags, as the API server lists them (items without kind,
 * managedFields included; ~5 KB a pod, ~2 KB a ReplicaSet). Each pod runs its tag's v1 digest in an app
 * container beside a digest-pinned sidecar (pinned references are never resolved, so the U tags are all the
 * plan asks a registry about). Pods name no pull secret and the ServiceAccounts none either, so the plan
 * lists ServiceAccounts but reads no secret; the images are single-platform, so it never needs nodes.
 * Rendering is string splicing into a template made once: serving a pod costs about a microsecond, so the
 * fake API server is never what is measured.
 */

export const replicasPerDeployment = 10;
export const namespaceCount = 50;

export interface ClusterModel {
  pods: number;
  unique: number;
  registry: string;
  /** The digest each tag's pods run (v1). */
  runningDigest: (tag: number) => string;
}

/** Which tag a pod runs: its Deployment's. */
export function tagOf(pod: number, unique: number): number {
  return deploymentOf(pod) % unique;
}

export function deploymentOf(pod: number): number {
  return Math.floor(pod / replicasPerDeployment);
}

export function namespaceOf(deployment: number): string {
  return `team-${deployment % namespaceCount}`;
}

export function imageOf(model: Pick<ClusterModel, "registry">, tag: number): string {
  return `${model.registry}/bench-${tag}:latest`;
}

const sidecarDigest = `sha256:${"5e".repeat(32)}`;

/** The digest-pinned sidecar of every pod, as its spec and its template name it. */
const proxyContainer = {
  name: "proxy",
  image: `@@REGISTRY@@/bench-proxy@${sidecarDigest}`,
  resources: { limits: { memory: "128Mi" }, requests: { cpu: "10m" } },
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
  imagePullPolicy: "IfNotPresent",
};

/** A template with @@KEY@@ markers, cut once into literal parts and keys. */
class Template {
  private readonly parts: string[];
  constructor(readonly text: string) {
    this.parts = text.split(/@@(\w+)@@/);
  }
  render(values: Record<string, string>): string {
    let out = this.parts[0]!;
    for (let i = 1; i < this.parts.length; i += 2) out += values[this.parts[i]!]! + this.parts[i + 1]!;
    return out;
  }
}

const fieldsOfContainer = {
  ".": {},
  "f:image": {},
  "f:imagePullPolicy": {},
  "f:name": {},
  "f:resources": {},
  "f:volumeMounts": {},
};

const podTemplate = new Template(
  JSON.stringify({
    metadata: {
      name: "@@NAME@@",
      generateName: "@@RS@@-",
      namespace: "@@NS@@",
      uid: "@@UID@@",
      resourceVersion: "@@RV@@",
      creationTimestamp: "2026-11-20T10:00:00Z",
      labels: {
        app: "@@APP@@",
        "app.kubernetes.io/name": "@@APP@@",
        "app.kubernetes.io/part-of": "shop",
        "pod-template-hash": "5f7c9d8b6",
        version: "v1",
      },
      annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "@@RS@@",
          uid: "@@RSUID@@",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: "2026-11-20T10:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": {
              "f:annotations": { ".": {}, "f:prometheus.io/port": {}, "f:prometheus.io/scrape": {} },
              "f:generateName": {},
              "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:version": {} },
              "f:ownerReferences": { ".": {}, 'k:{"uid":"@@RSUID@@"}': {} },
            },
            "f:spec": {
              "f:containers": {
                'k:{"name":"app"}': {
                  ...fieldsOfContainer,
                  "f:env": {},
                  "f:ports": {},
                },
                'k:{"name":"proxy"}': fieldsOfContainer,
              },
              "f:dnsPolicy": {},
              "f:enableServiceLinks": {},
              "f:restartPolicy": {},
              "f:schedulerName": {},
              "f:securityContext": {},
              "f:terminationGracePeriodSeconds": {},
              "f:volumes": {},
            },
          },
        },
        {
          manager: "kubelet",
          operation: "Update",
          apiVersion: "v1",
          time: "2026-11-20T10:00:04Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:status": {
              "f:conditions": {},
              "f:containerStatuses": {},
              "f:hostIP": {},
              "f:hostIPs": {},
              "f:phase": {},
              "f:podIP": {},
              "f:podIPs": { ".": {}, 'k:{"ip":"@@PODIP@@"}': { ".": {}, "f:ip": {} } },
              "f:startTime": {},
            },
          },
          subresource: "status",
        },
      ],
    },
    spec: {
      volumes: [
        { name: "config", configMap: { name: "@@APP@@-config", defaultMode: 420 } },
        {
          name: "kube-api-access-@@TOKEN@@",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              {
                downwardAPI: {
                  items: [
                    { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
                  ],
                },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: "app",
          image: "@@IMAGE@@",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { limits: { memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
          volumeMounts: [
            { name: "config", mountPath: "/etc/app" },
            {
              name: "kube-api-access-@@TOKEN@@",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "Always",
        },
        proxyContainer,
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      nodeName: "@@NODE@@",
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {
      observedGeneration: 1,
      phase: "Running",
      conditions: [
        {
          type: "PodReadyToStartContainers",
          status: "True",
          lastTransitionTime: "2026-11-20T10:00:02Z",
        },
        {
          type: "Initialized",
          status: "True",
          lastTransitionTime: "2026-11-20T10:00:03Z",
        },
        { type: "Ready", status: "True", lastTransitionTime: "2026-11-20T10:00:04Z" },
        {
          type: "ContainersReady",
          status: "True",
          lastTransitionTime: "2026-11-20T10:00:04Z",
        },
        {
          type: "PodScheduled",
          status: "True",
          lastTransitionTime: "2026-11-20T10:00:00Z",
        },
      ],
      hostIP: "@@HOSTIP@@",
      hostIPs: [{ ip: "@@HOSTIP@@" }],
      podIP: "@@PODIP@@",
      podIPs: [{ ip: "@@PODIP@@" }],
      startTime: "2026-11-20T10:00:00Z",
      containerStatuses: [
        {
          name: "app",
          state: { running: { startedAt: "2026-11-20T10:00:03Z" } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: "@@IMAGE@@",
          imageID: "@@IMAGEID@@",
          containerID: "containerd://@@CID@@2",
          started: true,
        },
        {
          name: "proxy",
          state: { running: { startedAt: "2026-11-20T10:00:03Z" } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: "@@REGISTRY@@/bench-proxy@" + sidecarDigest,
          imageID: "@@REGISTRY@@/bench-proxy@" + sidecarDigest,
          containerID: "containerd://@@CID@@3",
          started: true,
        },
      ],
      qosClass: "Burstable",
    },
  }),
);

/** The pod template of Deployment `@@APP@@` (its ReplicaSet's adds the template hash to the labels). */
function appPodTemplate(labels: Record<string, string>) {
  return {
    metadata: { labels: { app: "@@APP@@", ...labels, version: "v1" } },
    spec: {
      containers: [
        {
          name: "app",
          image: "@@IMAGE@@",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          env: [{ name: "LOG_LEVEL", value: "info" }],
          resources: { limits: { memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "Always",
        },
        proxyContainer,
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      securityContext: {},
      schedulerName: "default-scheduler",
    },
  };
}

const replicaSetTemplate = new Template(
  JSON.stringify({
    metadata: {
      name: "@@RS@@",
      namespace: "@@NS@@",
      uid: "@@RSUID@@",
      resourceVersion: "@@RV@@",
      generation: 1,
      creationTimestamp: "2026-11-20T10:00:00Z",
      labels: { app: "@@APP@@", "pod-template-hash": "5f7c9d8b6" },
      annotations: {
        "deployment.kubernetes.io/desired-replicas": "10",
        "deployment.kubernetes.io/max-replicas": "13",
        "deployment.kubernetes.io/revision": "1",
      },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "@@APP@@",
          uid: "@@DUID@@",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "apps/v1",
          time: "2026-11-20T10:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:annotations": {}, "f:labels": {}, "f:ownerReferences": {} },
            "f:spec": {
              "f:replicas": {},
              "f:selector": {},
              "f:template": { "f:metadata": {}, "f:spec": {} },
            },
          },
        },
      ],
    },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: "@@APP@@", "pod-template-hash": "5f7c9d8b6" } },
      template: appPodTemplate({ "pod-template-hash": "5f7c9d8b6" }),
    },
    status: {
      replicas: 10,
      fullyLabeledReplicas: 10,
      readyReplicas: 10,
      availableReplicas: 10,
      observedGeneration: 1,
    },
  }),
);

const deploymentTemplate = new Template(
  JSON.stringify({
    metadata: {
      name: "@@APP@@",
      namespace: "@@NS@@",
      uid: "@@DUID@@",
      resourceVersion: "@@RV@@",
      generation: 1,
      creationTimestamp: "2026-11-20T10:00:00Z",
      labels: { app: "@@APP@@" },
      annotations: { "deployment.kubernetes.io/revision": "1" },
    },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: "@@APP@@" } },
      template: appPodTemplate({}),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 1,
      replicas: 10,
      updatedReplicas: 10,
      readyReplicas: 10,
      availableReplicas: 10,
      conditions: [
        { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
      ],
    },
  }),
);

const serviceAccountTemplate = new Template(
  JSON.stringify({
    metadata: {
      name: "default",
      namespace: "@@NS@@",
      uid: "@@UID@@",
      resourceVersion: "@@RV@@",
      creationTimestamp: "2026-11-20T09:00:00Z",
    },
  }),
);

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** The API server's JSON of pod `j`. */
export function renderPod(model: ClusterModel, j: number): string {
  return podTemplate.render(podValues(model, j));
}

/** The pod's JSON with its `@@KEY@@` markers, for a protobuf template of the same pods. */
export const podTemplateJson = podTemplate.text;

/** What fills pod `j`'s markers. */
export function podValues(model: ClusterModel, j: number): Record<string, string> {
  const d = deploymentOf(j);
  const tag = d % model.unique;
  const app = `web-${d}`;
  const rs = `${app}-5f7c9d8b6`;
  const image = imageOf(model, tag);
  const node = j % 1000;
  return {
    NAME: `${rs}-${j.toString(36).padStart(5, "0")}`,
    RS: rs,
    NS: namespaceOf(d),
    UID: `00000000-0000-4000-8000-${hex(j, 12)}`,
    RSUID: `00000000-0000-4000-9000-${hex(d, 12)}`,
    RV: String(100000 + j),
    APP: app,
    IMAGE: image,
    IMAGEID: `${model.registry}/bench-${tag}@${model.runningDigest(tag)}`,
    REGISTRY: model.registry,
    NODE: `node-${node}`,
    HOSTIP: `10.0.${node >> 8}.${node & 255}`,
    PODIP: `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`,
    CID: hex(j, 63),
    // The ServiceAccount admission names each pod's API token volume anew (kube-api-access-xxxxx).
    TOKEN: j.toString(36).padStart(5, "0").slice(-5),
  };
}

/** The ReplicaSet of Deployment `d`. */
export function renderReplicaSet(model: ClusterModel, d: number): string {
  const app = `web-${d}`;
  return replicaSetTemplate.render({
    RS: `${app}-5f7c9d8b6`,
    NS: namespaceOf(d),
    RSUID: `00000000-0000-4000-9000-${hex(d, 12)}`,
    DUID: `00000000-0000-4000-a000-${hex(d, 12)}`,
    RV: String(50000 + d),
    APP: app,
    IMAGE: imageOf(model, d % model.unique),
    REGISTRY: model.registry,
  });
}

/** Deployment `d`: settled (every replica updated and available), so a plan rolls it out. */
export function renderDeployment(model: ClusterModel, d: number): string {
  const app = `web-${d}`;
  return deploymentTemplate.render({
    APP: app,
    NS: namespaceOf(d),
    DUID: `00000000-0000-4000-a000-${hex(d, 12)}`,
    RV: String(40000 + d),
    IMAGE: imageOf(model, d % model.unique),
    REGISTRY: model.registry,
  });
}

/** The `default` ServiceAccount of namespace `n`. */
export function renderServiceAccount(n: number): string {
  return serviceAccountTemplate.render({
    NS: `team-${n}`,
    UID: `00000000-0000-4000-b000-${hex(n, 12)}`,
    RV: String(10 + n),
  });
}
