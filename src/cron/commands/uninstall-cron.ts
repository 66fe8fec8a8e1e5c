/**
 * `kubectl autoupdate uninstall-cron`: find everything install-cron created for --name in the namespace
 * (by label), ask the server whether it may all be deleted (--dry-run=server), then delete it; --dry-run
 * only asks. An -A install whose ClusterRole and ClusterRoleBinding cannot be looked for is left whole,
 * saying who may remove it.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { kindResources } from "../../core/kind-resources.js";
import { ToolFailedError } from "../../errors.js";
import { warningLine } from "../../output/warning.js";
import { deleteObjects, listByLabel } from "../adapters/kubectl.js";
import { inDeletionOrder } from "../core/deletion-order.js";
import { clusterInstallSelector, installSelector } from "../core/install-labels.js";
import type { CronJobObject } from "../core/jobs.js";
import { objectRef, resourceRef } from "../core/object-refs.js";
import { checksEveryNamespace } from "../core/status.js";
import type { CronDeps } from "../deps.js";
import { clusterObjectsUnlistedError, clusterObjectsUnlistedWarning } from "../output/cluster-objects.js";
import { findInstallation, type InstallationOptions } from "./installation.js";

export interface UninstallCronOptions extends InstallationOptions {
  dryRun: boolean;
}

const namespacedKinds = ["CronJob", "Job", "ConfigMap", "RoleBinding", "Role", "ServiceAccount"] as const;
const clusterKinds = ["ClusterRoleBinding", "ClusterRole"] as const;

/** Lists the installation by label, then deletes it (or asks the server what it would delete). */
export async function uninstallCronCommand(deps: CronDeps, options: UninstallCronOptions): Promise<void> {
  const { io } = deps;
  const target = await findInstallation(deps, options);

  const namespaced = await listByLabel(
    deps.kubectl,
    namespacedKinds.map((k) => kindResources[k]),
    installSelector(target.name),
    target.namespace,
  );
  // Someone who may act only in the namespace may not list ClusterRoles; a namespaced install has none.
  const cluster = await listByLabel(
    deps.kubectl,
    clusterKinds.map((k) => kindResources[k]),
    clusterInstallSelector(target.name, target.namespace),
    null,
  ).catch((error: unknown) => {
    if (!isCallFailure(error)) throw error;
    const cronJob = namespaced.find((o) => o.kind === "CronJob") as CronJobObject | undefined;
    // An -A install's binding left behind would grant every namespace to the next ServiceAccount of the name.
    if (cronJob && checksEveryNamespace(cronJob)) {
      throw new ToolFailedError(
        clusterObjectsUnlistedError(target, "deleted", "uninstall-cron", error.message),
      );
    }
    const what = "the cluster-wide objects of an -A install";
    const warning = cronJob
      ? `could not look for ${what}: ${error.message}`
      : clusterObjectsUnlistedWarning(what, target, error.message);
    io.stderr.write(warningLine(deps.colors.stderr, warning));
    return [];
  });
  const objects = inDeletionOrder([...namespaced, ...cluster]);
  if (objects.length === 0) {
    io.stderr.write(`Nothing to uninstall: no objects of ${target.name} in namespace ${target.namespace}.\n`);
    return;
  }

  const refs = objects.map(resourceRef);
  // kubectl goes on past an object it may not delete: asked first, a refused ClusterRoleBinding cannot be
  // left granting every namespace to the next ServiceAccount of the name, its own deleted.
  if (!options.dryRun) await checkDeletable(deps, refs, target.namespace);
  await deleteObjects(deps.kubectl, refs, target.namespace, options.dryRun).catch((error: unknown) => {
    if (!(error instanceof ToolFailedError) || options.dryRun) throw error;
    throw new ToolFailedError(`${error.message}; run uninstall-cron again to delete the rest`, {
      cause: error,
    });
  });
  const suffix = options.dryRun ? " (server dry run)" : "";
  for (const object of objects) {
    io.stdout.write(`${objectRef(object.kind ?? "", object.metadata.name)} deleted${suffix}\n`);
  }
  if (options.dryRun) io.stderr.write("dry run: nothing was deleted\n");
}

async function checkDeletable(deps: CronDeps, refs: readonly string[], namespace: string): Promise<void> {
  try {
    await deleteObjects(deps.kubectl, refs, namespace, true);
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    throw new ToolFailedError(`nothing was deleted: the server refused part of it: ${error.message}`, {
      cause: error,
    });
  }
}
