/** How install-cron names an object: to kubectl, in messages as kubectl does, and among its own. Pure. */

/** The resource name kubectl takes for each kind install-cron creates (and run-now's Job). */
export const kindResources: Record<string, string> = {
  ServiceAccount: "serviceaccounts",
  ConfigMap: "configmaps",
  Role: "roles.rbac.authorization.k8s.io",
  RoleBinding: "rolebindings.rbac.authorization.k8s.io",
  ClusterRole: "clusterroles.rbac.authorization.k8s.io",
  ClusterRoleBinding: "clusterrolebindings.rbac.authorization.k8s.io",
  CronJob: "cronjobs.batch",
  Job: "jobs.batch",
};

function resourceOf(kind: string): string {
  return kindResources[kind] ?? kind.toLowerCase();
}

/** `cronjobs.batch/NAME`, the form kubectl takes as an argument to get or delete one object. */
export function resourceRef(object: { kind?: string; metadata: { name: string } }): string {
  return `${resourceOf(object.kind ?? "")}/${object.metadata.name}`;
}

/** `cronjob.batch/NAME`, the way kubectl names an object in its messages. */
export function objectRef(kind: string, name: string): string {
  const resource = resourceOf(kind);
  const dot = resource.indexOf(".");
  const singular = kind.toLowerCase();
  return dot >= 0 ? `${singular}${resource.slice(dot)}/${name}` : `${singular}/${name}`;
}

/** `Kind/name`, which tells one object of an installation from the others. */
export function objectKey(object: { kind?: string; metadata: { name: string } }): string {
  return `${object.kind}/${object.metadata.name}`;
}
