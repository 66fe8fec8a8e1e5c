/**
 * Other installations whose runs may restart the same pods as this one's. Runs take turns only among one
 * CronJob's Jobs, so two installations that check a namespace in common could each take a pod of the same
 * workload at once. Pure.
 */
import type { InstallSpec } from "./installation.js";
import type { CronJobObject } from "./jobs.js";
import { type CronStatus, scopeOf } from "./status.js";

/**
 * One warning per other installation checking a namespace this one checks. A suspended one (or this one
 * suspended) runs nothing; selectors are not compared, since two may well select the same pods.
 */
export function overlappingInstallWarnings(
  spec: Pick<InstallSpec, "name" | "namespace" | "allNamespaces" | "suspend">,
  cronJobs: readonly CronJobObject[],
): string[] {
  if (spec.suspend) return [];
  return cronJobs.flatMap((cronJob) => {
    const { name, namespace } = cronJob.metadata;
    if ((name === spec.name && namespace === spec.namespace) || cronJob.spec.suspend === true) return [];
    const scope = scopeOf(cronJob);
    if (!spec.allNamespaces && !scope.allNamespaces && scope.namespace !== spec.namespace) return [];
    const shared = sharedScope(spec, scope);
    return [
      `CronJob ${namespace}/${name}, another installation, also checks ${shared}: the runs of two installations do not take turns and could each restart a pod of the same workload at once; suspend or uninstall one of them, or narrow their scopes apart`,
    ];
  });
}

/** What both check: the narrower scope, and how the other covers it when it checks every namespace. */
function sharedScope(
  spec: Pick<InstallSpec, "namespace" | "allNamespaces">,
  other: CronStatus["scope"],
): string {
  if (spec.allNamespaces) return other.allNamespaces ? "every namespace" : `namespace ${other.namespace}`;
  return `namespace ${spec.namespace}${other.allNamespaces ? " (it checks every namespace)" : ""}`;
}
