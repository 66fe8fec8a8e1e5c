/**
 * What install-cron and uninstall-cron say when an -A install's ClusterRole and ClusterRoleBinding cannot be
 * looked for (a namespace admin may not list them). Pure.
 */
import { clusterObjectRefs } from "../core/install-objects.js";
import type { Installation } from "../core/installation.js";

/**
 * The CronJob says the install was -A: its cluster-wide objects would outlive the command and keep granting
 * every namespace to the next ServiceAccount of that name, so the command stops before changing anything.
 */
export function clusterObjectsUnlistedError(
  target: Installation,
  untouched: "changed" | "deleted",
  command: string,
  reason: string,
): string {
  const [role, binding] = clusterObjectRefs(target);
  return `the CronJob ${target.namespace}/${target.name} checks every namespace (-A), and ${role} and ${binding}, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was ${untouched}; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run ${command}: ${reason}`;
}

/**
 * No CronJob says whether the install was -A: the objects not looked for, named after the warning's words.
 */
export function clusterObjectsUnlistedWarning(what: string, target: Installation, reason: string): string {
  return `could not look for ${what} (${clusterObjectRefs(target).join(", ")}): ${reason}`;
}
