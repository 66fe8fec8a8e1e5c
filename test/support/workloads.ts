/**
 * Workload objects for the real API server of the e2e tests (test/testbed): Deployments, StatefulSets,
 * DaemonSets, Jobs, bare pods and pull secrets, with the pod template options the tests vary.
 */

export interface PodTemplateOptions {
  image: string;
  pullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Pin to nodes with these labels (e.g. the simulator's runtime label). */
  nodeSelector?: Record<string, string>;
  pullSecrets?: string[];
  /** The pod's ServiceAccount (default: the namespace's `default`). */
  serviceAccountName?: string;
  initImage?: string;
  terminationGracePeriodSeconds?: number;
}

function podSpec(o: PodTemplateOptions) {
  return {
    ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    ...(o.pullSecrets ? { imagePullSecrets: o.pullSecrets.map((name) => ({ name })) } : {}),
    ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
    ...(o.initImage ? { initContainers: [{ name: "init", image: o.initImage }] } : {}),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 30,
    containers: [{ name: "app", image: o.image, ...(o.pullPolicy ? { imagePullPolicy: o.pullPolicy } : {}) }],
  };
}

const template = (app: string, o: PodTemplateOptions) => ({
  metadata: { labels: { app } },
  spec: podSpec(o),
});

export function deployment(name: string, namespace: string, replicas: number, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, o) },
  };
}

export function statefulSet(name: string, namespace: string, replicas: number, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name, o),
    },
  };
}

export function daemonSet(name: string, namespace: string, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { matchLabels: { app: name } }, template: template(name, o) },
  };
}

export function job(name: string, namespace: string, o: PodTemplateOptions) {
  const spec = podSpec(o);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels: { app: name } }, spec: { ...spec, restartPolicy: "Never" } },
    },
  };
}

export function barePod(
  name: string,
  namespace: string,
  o: PodTemplateOptions,
  labels: Record<string, string> = {},
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name, ...labels } },
    spec: podSpec(o),
  };
}

/** A kubernetes.io/dockerconfigjson Secret holding a login per registry host. */
export function dockerConfigSecret(
  name: string,
  namespace: string,
  auths: Record<string, { username: string; password: string }>,
) {
  const config = {
    auths: Object.fromEntries(
      Object.entries(auths).map(([host, { username, password }]) => [
        host,
        { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") },
      ]),
    ),
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") },
  };
}

/** A ReplicaSet no Deployment owns: it recreates its pods, but has no rollout. */
export function replicaSet(name: string, namespace: string, replicas: number, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, o) },
  };
}
