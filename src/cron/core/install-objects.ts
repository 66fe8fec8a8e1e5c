/**
 * The objects `install-cron` applies: ServiceAccount, Role + RoleBinding (ClusterRole + ClusterRoleBinding
 * with -A, and a Role + RoleBinding for the record), the ConfigMap that keeps the restarts in vain (none of
 * the record under --strategy rollout), and a batch/v1 CronJob running `kubectl-autoupdate apply --yes`.
 * Pure: same spec, same objects.
 */
import { ignoreLabel } from "../../core/k8s.js";
import { cronDefaults } from "./defaults.js";
import { clusterInstallLabels, installLabels } from "./install-labels.js";
import type { InstallSpec, JobProxy } from "./installation.js";
import {
  jobContainerName,
  ownJobEnv,
  recordConfigMapEnv,
  resultFileEnv,
  webhookUrlEnv,
} from "./job-contract.js";
import { autoupdateRules, recordRules } from "./rbac.js";

/** A Kubernetes object as sent to the API server. */
export interface InstallObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Injection of Istio's and Linkerd's sidecars turned off for the job's pod (see the template). */
const meshSidecarsOff = { "sidecar.istio.io/inject": "false", "linkerd.io/inject": "disabled" };

/** The kubelet's default `terminationMessagePath`, stated in the container as well. */
const terminationMessagePath = "/dev/termination-log";

/**
 * Name of the ClusterRole and ClusterRoleBinding: cluster-wide, so it carries the namespace. ":" can't
 * appear in a namespace or in --name, so two installations never share one.
 */
function clusterObjectName(spec: Pick<InstallSpec, "name" | "namespace">): string {
  return `${spec.namespace}:${spec.name}`;
}

/** An -A install's ClusterRole and ClusterRoleBinding, as kubectl takes them (`clusterrole/NS:NAME`). */
export function clusterObjectRefs(installation: Pick<InstallSpec, "name" | "namespace">): string[] {
  const name = clusterObjectName(installation);
  return [`clusterrole/${name}`, `clusterrolebinding/${name}`];
}

/** The command the job's container runs. */
function jobCommand(spec: InstallSpec): string[] {
  const command = ["kubectl-autoupdate", "apply", "--yes", "--summary-json", "--color=never"];
  command.push(spec.allNamespaces ? "--all-namespaces" : `--namespace=${spec.namespace}`);
  if (spec.selector !== undefined) command.push(`--selector=${spec.selector}`);
  command.push(`--resolver=${spec.resolver}`);
  if (spec.minAge !== undefined) command.push(`--min-age=${spec.minAge}`);
  command.push(`--strategy=${spec.strategy ?? "auto"}`);
  if (spec.maxRequests !== undefined) command.push(`--max-requests=${spec.maxRequests}`);
  return command;
}

/**
 * Whether the job's runs keep a record of restarts in vain: only where pods go one at a time (a rollout's
 * record is in the template).
 */
function keepsRecord(spec: Pick<InstallSpec, "strategy">): boolean {
  return (spec.strategy ?? "auto") !== "rollout";
}

/** The objects to apply, in apply order (the ServiceAccount before what refers to it). */
export function buildInstallObjects(spec: InstallSpec): InstallObject[] {
  const labels = installLabels(spec.name);
  const clusterLabels = clusterInstallLabels(spec.name, spec.namespace);
  const meta = () => ({ name: spec.name, namespace: spec.namespace, labels: { ...labels } });
  const serviceAccount: InstallObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: meta() };
  const roleName = spec.allNamespaces ? clusterObjectName(spec) : spec.name;
  const role: InstallObject = spec.allNamespaces
    ? {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: roleName, labels: { ...clusterLabels } },
        rules: autoupdateRules(spec.strategy ?? "auto"),
      }
    : {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(),
        rules: [
          ...autoupdateRules(spec.strategy ?? "auto"),
          ...(keepsRecord(spec) ? recordRules(spec.name) : []),
        ],
      };
  const subjects = [{ kind: "ServiceAccount", name: spec.name, namespace: spec.namespace }];
  const binding: InstallObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: spec.allNamespaces ? "ClusterRoleBinding" : "RoleBinding",
    metadata: spec.allNamespaces ? { name: roleName, labels: { ...clusterLabels } } : meta(),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: role.kind, name: roleName },
    subjects,
  };
  // The record is no data of install-cron's: a later install applies the ConfigMap without touching it.
  const record: InstallObject = { apiVersion: "v1", kind: "ConfigMap", metadata: meta() };
  if (!keepsRecord(spec)) return [serviceAccount, role, binding, cronJob(spec)];
  if (!spec.allNamespaces) return [serviceAccount, role, binding, record, cronJob(spec)];
  // An -A install's ClusterRole would grant the record's name in every namespace: a Role of its own grants
  // it here.
  const recordRole: InstallObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta(),
    rules: recordRules(spec.name),
  };
  const recordBinding: InstallObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: spec.name },
    subjects,
  };
  return [serviceAccount, role, binding, recordRole, recordBinding, record, cronJob(spec)];
}

function cronJob(spec: InstallSpec): InstallObject {
  const labels = installLabels(spec.name);
  const d = cronDefaults;
  // The docker socket is owned by root (root:docker 0660): the only exception to the hardened context.
  const asRoot = spec.dockerSocket;
  // The image runs as its own numeric non-root user (65532 in this tool's, and its mirrors'), which
  // runAsNonRoot has the kubelet check; a user given here would be refused where the platform assigns one
  // (OpenShift's restricted SCC gives each namespace a range).
  const podSecurity = {
    runAsNonRoot: !asRoot,
    ...(asRoot ? { runAsUser: 0, runAsGroup: 0 } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
  const volumes: object[] = [{ name: "tmp", emptyDir: { sizeLimit: d.tmpSizeLimit } }];
  const volumeMounts: object[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (spec.dockerSocket) {
    volumes.push({ name: "docker-socket", hostPath: { path: d.dockerSocket, type: "Socket" } });
    volumeMounts.push({ name: "docker-socket", mountPath: d.dockerSocket });
  }
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: spec.name, namespace: spec.namespace, labels: { ...labels } },
    spec: {
      schedule: spec.schedule,
      ...(spec.timeZone !== undefined ? { timeZone: spec.timeZone } : {}),
      suspend: spec.suspend,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: d.startingDeadlineSeconds,
      successfulJobsHistoryLimit: d.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: d.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels: { ...labels } },
        spec: {
          backoffLimit: d.backoffLimit,
          // A new pod only once the old one has ended (not while it is terminating, evicted or drained):
          // two pods of one Job would be one run twice, which the turn between Jobs cannot see.
          podReplacementPolicy: "Failed",
          activeDeadlineSeconds: d.activeDeadlineSeconds,
          ttlSecondsAfterFinished: d.ttlSecondsAfterFinished,
          template: {
            // The tool never restarts its own pods (ignoreLabel); Job pods are skipped anyway. A mesh's
            // sidecar would outlive the run and keep the Job from ending, until its deadline.
            metadata: { labels: { ...labels, [ignoreLabel]: "true" }, annotations: { ...meshSidecarsOff } },
            spec: {
              serviceAccountName: spec.name,
              automountServiceAccountToken: true,
              restartPolicy: "Never",
              terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
              securityContext: podSecurity,
              containers: [
                {
                  name: jobContainerName,
                  image: spec.image,
                  // A tag may move (a build pushed to --image's :main): each run pulls what it names now, as
                  // this tool tells others to. An image pinned by digest is the same everywhere.
                  imagePullPolicy: spec.image.includes("@") ? "IfNotPresent" : "Always",
                  command: jobCommand(spec),
                  env: [
                    { name: "HOME", value: "/tmp" },
                    { name: "KUBECACHEDIR", value: "/tmp/kube-cache" },
                    {
                      name: ownJobEnv.name,
                      valueFrom: {
                        fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" },
                      },
                    },
                    {
                      name: ownJobEnv.namespace,
                      valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
                    },
                    { name: resultFileEnv, value: terminationMessagePath },
                    ...(keepsRecord(spec)
                      ? [{ name: recordConfigMapEnv, value: `${spec.namespace}/${spec.name}` }]
                      : []),
                    // The URL is a secret: taken from the Secret when the pod starts, never in args or here.
                    ...(spec.webhookSecret !== undefined
                      ? [
                          {
                            name: webhookUrlEnv,
                            valueFrom: { secretKeyRef: { name: spec.webhookSecret, key: "url" } },
                          },
                        ]
                      : []),
                    ...proxyEnvironment(spec.proxy),
                  ],
                  resources: {
                    requests: { ...d.resources.requests },
                    limits: { ...d.resources.limits },
                  },
                  terminationMessagePath,
                  // A run that ends before writing its result (an early error, a crash) leaves its log's
                  // last lines.
                  terminationMessagePolicy: "FallbackToLogsOnError",
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: !asRoot,
                    capabilities: { drop: ["ALL"] },
                  },
                  volumeMounts,
                },
              ],
              volumes,
            },
          },
        },
      },
    },
  };
}

function proxyEnvironment(proxy: JobProxy | undefined): object[] {
  if (proxy === undefined) return [];
  const value =
    "secret" in proxy
      ? { valueFrom: { secretKeyRef: { name: proxy.secret, key: "url" } } }
      : { value: proxy.url };
  return [
    { name: "HTTPS_PROXY", ...value },
    { name: "HTTP_PROXY", ...value },
    // kubectl reaches the API server at the address the kubelet gives every pod in this variable (expanded by
    // the kubelet): never through the proxy.
    { name: "NO_PROXY", value: [...proxy.bypass, "$(KUBERNETES_SERVICE_HOST)"].join(",") },
  ];
}
