/**
 * install-cron's RBAC objects left from the other scope: a ClusterRole + ClusterRoleBinding from an earlier
 * -A install, or under -A a Role + RoleBinding this one does not need (a record under --strategy rollout,
 * which keeps none). Looked for before anything is applied, deleted after, so the ServiceAccount keeps only
 * what is asked for now.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { kindResources } from "../../core/kind-resources.js";
import { ToolFailedError } from "../../errors.js";
import { deleteObjects, listByLabel, type ServerObject } from "../adapters/kubectl.js";
import { inDeletionOrder } from "../core/deletion-order.js";
import { clusterInstallSelector, installSelector } from "../core/install-labels.js";
import type { InstallObject } from "../core/install-objects.js";
import type { InstallSpec } from "../core/installation.js";
import type { CronJobObject } from "../core/jobs.js";
import { objectKey, objectRef, resourceRef } from "../core/object-refs.js";
import { checksEveryNamespace } from "../core/status.js";
import type { CronDeps } from "../deps.js";
import { clusterObjectsUnlistedError, clusterObjectsUnlistedWarning } from "../output/cluster-objects.js";

/** The installation's Roles and ClusterRoles (with their bindings) found, and why a lookup failed. */
export interface OtherScopeLookup {
  found: ServerObject[];
  namespacedRefused?: string;
  clusterRefused?: string;
}

export async function lookForOtherScope(deps: CronDeps, spec: InstallSpec): Promise<OtherScopeLookup> {
  const lookup = (
    resources: string[],
    selector: string,
    namespace: string | null,
  ): Promise<{ found: ServerObject[]; refused?: string }> =>
    listByLabel(deps.kubectl, resources, selector, namespace).then(
      (found) => ({ found }),
      (error: unknown) => {
        // A namespace admin may not list ClusterRoles.
        if (!isCallFailure(error)) throw error;
        return { found: [], refused: error.message };
      },
    );
  const [namespaced, cluster] = await Promise.all([
    lookup([kindResources.Role, kindResources.RoleBinding], installSelector(spec.name), spec.namespace),
    lookup(
      [kindResources.ClusterRole, kindResources.ClusterRoleBinding],
      clusterInstallSelector(spec.name, spec.namespace),
      null,
    ),
  ]);
  return {
    found: [...namespaced.found, ...cluster.found],
    ...(namespaced.refused !== undefined ? { namespacedRefused: namespaced.refused } : {}),
    ...(cluster.refused !== undefined ? { clusterRefused: cluster.refused } : {}),
  };
}

/**
 * The warnings for lookups that failed; an error when this install narrows an -A one whose ClusterRole could
 * not be looked for, since its binding would go on granting every namespace to the ServiceAccount.
 */
export function checkOtherScope(
  spec: InstallSpec,
  cronJob: CronJobObject | undefined,
  lookup: OtherScopeLookup,
): string[] {
  const generic = (reason: string) => `could not look for leftovers of an earlier install: ${reason}`;
  const warnings: string[] = [];
  if (lookup.namespacedRefused !== undefined) warnings.push(generic(lookup.namespacedRefused));
  const reason = lookup.clusterRefused;
  if (reason === undefined) return warnings;
  const namespaced = !spec.allNamespaces;
  if (namespaced && cronJob && checksEveryNamespace(cronJob)) {
    throw new ToolFailedError(clusterObjectsUnlistedError(spec, "changed", "this install-cron", reason));
  }
  // With no CronJob to tell the earlier scope, an -A install's objects may be there: named, to be checked.
  warnings.push(
    namespaced && !cronJob
      ? clusterObjectsUnlistedWarning("leftovers of an earlier -A install", spec, reason)
      : generic(reason),
  );
  return warnings;
}

/** What the lookup found that this install does not make: to be deleted once it is applied. */
export function otherScopeLeft(
  wanted: readonly InstallObject[],
  found: readonly ServerObject[],
): ServerObject[] {
  const keep = new Set(wanted.map(objectKey));
  return found.filter((o) => !keep.has(objectKey(o)));
}

/**
 * Asks the server whether those objects may be deleted, before anything is applied: a deletion refused
 * only afterwards would leave an -A install's ClusterRoleBinding granting every namespace to a ServiceAccount
 * now meant for one.
 */
export async function checkOtherScopeDeletable(
  deps: CronDeps,
  spec: InstallSpec,
  left: readonly ServerObject[],
): Promise<void> {
  try {
    await deleteObjects(deps.kubectl, left.map(resourceRef), spec.namespace, true);
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    const named = left.map((o) => objectRef(o.kind ?? "", o.metadata.name)).join(", ");
    throw new ToolFailedError(
      `${named}, left from an earlier install, could not be deleted, so nothing was changed: ${error.message}`,
      { cause: error },
    );
  }
}

/** Deletes those objects; a line for each, as kubectl says it. */
export async function pruneOtherScope(
  deps: CronDeps,
  spec: InstallSpec,
  stale: readonly ServerObject[],
): Promise<string[]> {
  if (stale.length === 0) return [];
  await deleteObjects(deps.kubectl, inDeletionOrder(stale).map(resourceRef), spec.namespace, false);
  // Under -A a Role is kept only for the record, which --strategy rollout does not keep.
  const why = spec.allNamespaces
    ? "not needed: this install's rules are in its ClusterRole"
    : "left from a cluster-wide (-A) install";
  return stale.map((o) => `${objectRef(o.kind ?? "", o.metadata.name)} deleted (${why})`);
}
