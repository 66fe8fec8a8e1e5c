/**
 * The resource kubectl names each kind by (`kubectl get replicasets.apps`), for every kind this tool reads
 * or changes. Pure.
 */

export const kindResources = {
  Pod: "pods",
  ServiceAccount: "serviceaccounts",
  ConfigMap: "configmaps",
  ReplicaSet: "replicasets.apps",
  ReplicationController: "replicationcontrollers",
  Deployment: "deployments.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  Job: "jobs.batch",
  CronJob: "cronjobs.batch",
  Role: "roles.rbac.authorization.k8s.io",
  RoleBinding: "rolebindings.rbac.authorization.k8s.io",
  ClusterRole: "clusterroles.rbac.authorization.k8s.io",
  ClusterRoleBinding: "clusterrolebindings.rbac.authorization.k8s.io",
} as const;

/**
 * The controllers known to replace a deleted pod with a new one from the same template (built-in ones
 * only): the plan restarts only their pods, and a restart counts their Ready pods through their selector.
 */
const recreatingControllers = ["ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet"] as const;

export type RecreatingController = (typeof recreatingControllers)[number];

export function isRecreatingController(kind: string): kind is RecreatingController {
  return (recreatingControllers as readonly string[]).includes(kind);
}
