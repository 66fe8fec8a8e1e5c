/**
 * `kubectl autoupdate uninstall-cron`: find everything install-cron created for --name in the namespace
 * (by label), then delete it; --dry-run asks the server what it would delete (--dry-run=server).
 */
import { deleteObjects, listByLabel, type ServerObject } from "../adapters/cron-kubectl.js";
import type { Context } from "../context.js";
import { clusterInstallSelector, installSelector, kindResources, objectRef } from "../core/cron-manifests.js";
import { resolveTarget } from "./cron-target.js";

/** uninstall-cron's flags. */
export interface UninstallCronFlags {
  name?: string;
  namespace?: string;
  dryRun?: boolean;
}

/** Namespaced kinds, in deletion order: the CronJob first so it starts no Job meanwhile. */
const namespacedKinds = ["CronJob", "Job", "RoleBinding", "Role", "ServiceAccount"];
const clusterKinds = ["ClusterRoleBinding", "ClusterRole"];

/** Lists the installation by label, then deletes it (or asks the server what it would delete). */
export async function uninstallCronCommand(ctx: Context, flags: UninstallCronFlags): Promise<void> {
  const { io } = ctx;
  const target = await resolveTarget(ctx, flags);

  const namespaced = await listByLabel(
    ctx.kubectl,
    namespacedKinds.map((k) => kindResources[k]!),
    installSelector(target.name),
    target.namespace,
  );
  const cluster = await listByLabel(
    ctx.kubectl,
    clusterKinds.map((k) => kindResources[k]!),
    clusterInstallSelector(target.name, target.namespace),
    null,
  );
  const order = [...namespacedKinds, ...clusterKinds];
  const objects = [...namespaced, ...cluster].sort(
    (a, b) => order.indexOf(a.kind ?? "") - order.indexOf(b.kind ?? ""),
  );
  if (objects.length === 0) {
    io.stderr.write(`Nothing to uninstall: no objects of ${target.name} in namespace ${target.namespace}.\n`);
    return;
  }

  const refs = objects.map(ref);
  await deleteObjects(ctx.kubectl, refs, target.namespace, flags.dryRun === true);
  const suffix = flags.dryRun ? " (server dry run)" : "";
  for (const object of objects) {
    io.stdout.write(`${objectRef(object.kind ?? "", object.metadata.name)} deleted${suffix}\n`);
  }
  if (flags.dryRun) io.stderr.write("dry run: nothing was deleted\n");
}

function ref(object: ServerObject): string {
  return `${kindResources[object.kind ?? ""] ?? object.kind}/${object.metadata.name}`;
}
