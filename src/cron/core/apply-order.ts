/**
 * Which of install-cron's objects a server-side dry run can check, and which are applied first so that the
 * rest can be. Pure.
 */
import type { InstallObject } from "./install-objects.js";
import { objectKey } from "./object-refs.js";

/**
 * The objects a server-side dry run can check before anything is applied: all but a binding whose Role
 * does not exist yet. The API server checks a binding against its Role's rules, so without the Role only
 * someone allowed to `bind` any Role passes; a namespace admin, who may create the Role with these
 * rules, is refused though the real apply, Role first, would pass. Such a binding is checked once its
 * Role is made (appliedFirst).
 */
export function dryRunnable(
  wanted: readonly InstallObject[],
  existing: readonly { kind?: string; metadata: { name: string } }[],
): InstallObject[] {
  const present = presentKeys(existing);
  return wanted.filter((o) => {
    const role = (o as { roleRef?: { kind: string; name: string } }).roleRef;
    return role === undefined || present.has(`${role.kind}/${role.name}`);
  });
}

/**
 * What is applied before the rest can be checked, when some binding's Role does not exist yet: the
 * ServiceAccount and those Roles (ClusterRoles). Roles already there are applied with the rest, so a
 * refusal of the rest leaves an earlier install's rules as they were.
 */
export function appliedFirst(
  wanted: readonly InstallObject[],
  existing: readonly { kind?: string; metadata: { name: string } }[],
): InstallObject[] {
  const present = presentKeys(existing);
  return wanted.filter(
    (o) =>
      o.kind === "ServiceAccount" ||
      ((o.kind === "Role" || o.kind === "ClusterRole") && !present.has(objectKey(o))),
  );
}

/**
 * The objects applied first, and a ClusterRoleBinding applied alone once they are: kubectl goes on past a
 * refused object, so a CronJob refused beside it would leave a binding for every namespace beside a CronJob
 * that still says one, which the guards of a namespace admin's uninstall-cron read.
 */
export function grantLast(objects: readonly InstallObject[]): [InstallObject[], InstallObject[]] {
  return [
    objects.filter((o) => o.kind !== "ClusterRoleBinding"),
    objects.filter((o) => o.kind === "ClusterRoleBinding"),
  ];
}

function presentKeys(existing: readonly { kind?: string; metadata: { name: string } }[]): Set<string> {
  return new Set(existing.map(objectKey));
}
