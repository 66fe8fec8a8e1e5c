/** The order in which an installation's objects are deleted, whole or in part. Pure. */

/**
 * The order kubectl deletes them in, one by one: the CronJob first so it starts no Job meanwhile; the grants
 * before the ServiceAccount, and a binding before its role, so that a deletion cut short (a timeout, Ctrl-C)
 * may leave an account with no rights, never a binding to every namespace waiting for the next ServiceAccount
 * or ClusterRole of the name.
 */
const deletionOrder: readonly string[] = [
  "CronJob",
  "Job",
  "ClusterRoleBinding",
  "ClusterRole",
  "ConfigMap",
  "RoleBinding",
  "Role",
  "ServiceAccount",
];

export function inDeletionOrder<T extends { kind?: string }>(objects: readonly T[]): T[] {
  return [...objects].sort(
    (a, b) => deletionOrder.indexOf(a.kind ?? "") - deletionOrder.indexOf(b.kind ?? ""),
  );
}
