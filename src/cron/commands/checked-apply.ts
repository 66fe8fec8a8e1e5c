/**
 * install-cron's apply. kubectl applies a List object by object and goes on past a refused one, so nothing is
 * applied before a server dry run has passed it: a refusal only the server can make (a missing namespace, an
 * admission policy, RBAC, an older API) must not leave a CronJob whose runs all fail. A binding can be
 * checked only once its Role exists; then the ServiceAccount and the new Roles are applied first, the rest
 * checked, and on a refusal what this run created is deleted again.
 */
import { ClusterAccessError } from "../../adapters/kubectl-errors.js";
import { fieldManager } from "../../core/k8s.js";
import { ToolFailedError } from "../../errors.js";
import {
  applyServerSide,
  deleteObjects,
  PartlyDeletedError,
  type ServerObject,
} from "../adapters/kubectl.js";
import { appliedFirst, dryRunnable, grantLast } from "../core/apply-order.js";
import type { InstallObject } from "../core/install-objects.js";
import { objectKey, objectRef, resourceRef } from "../core/object-refs.js";
import type { CronDeps } from "../deps.js";
import { kubectlWords } from "./installation.js";

/**
 * A change made once the first dry run has passed, before anything is applied (an earlier install's grant
 * deleted), and what to say of it should a later check refuse the rest.
 */
export interface FirstChange {
  make: () => Promise<void>;
  made: string;
}

/** Applies `wanted` once the server has checked it; what the server stored, in the order applied. */
export async function applyChecked(
  deps: CronDeps,
  wanted: readonly InstallObject[],
  existing: readonly ServerObject[],
  namespace: string,
  firstChange?: FirstChange,
): Promise<ServerObject[]> {
  const { kubectl } = deps;
  const checkable = dryRunnable(wanted, existing);
  const untouched = existing.length === 0 ? "nothing was installed" : "the installation was left as it was";
  try {
    await applyServerSide(kubectl, checkable, fieldManager, true);
  } catch (error) {
    // A dry run: said, as kubectl's own words leave it open whether some objects were applied. A cluster out
    // of reach is no refusal, and is explained as such.
    if (!(error instanceof ToolFailedError) || error instanceof ClusterAccessError) throw error;
    throw new ToolFailedError(`${error.message}; ${untouched} (the server refused it at a dry run)`, {
      cause: error,
    });
  }
  await firstChange?.make();
  if (checkable.length === wanted.length) return applyGrantLast(deps, wanted);

  const first = appliedFirst(wanted, existing);
  const rest = wanted.filter((o) => !first.includes(o));
  const made = await applyServerSide(kubectl, first, fieldManager);
  try {
    await applyServerSide(kubectl, rest, fieldManager, true);
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    const present = new Set(existing.map(objectKey));
    const created = first.filter((o) => !present.has(objectKey(o)));
    const made = firstChange ? `; but ${firstChange.made}` : "";
    throw new ToolFailedError(`${error.message}; ${await undo(deps, created, namespace, untouched)}${made}`, {
      cause: error,
    });
  }
  return [...made, ...(await applyGrantLast(deps, rest))];
}

/** Applies the objects, a ClusterRoleBinding in a call of its own once the rest are applied. */
async function applyGrantLast(deps: CronDeps, objects: readonly InstallObject[]): Promise<ServerObject[]> {
  const [rest, grants] = grantLast(objects);
  const made = await applyServerSide(deps.kubectl, rest, fieldManager);
  return grants.length === 0
    ? made
    : [...made, ...(await applyServerSide(deps.kubectl, grants, fieldManager))];
}

/** Deletes what this run created before the rest was refused; says what became of it. */
async function undo(
  deps: CronDeps,
  created: readonly InstallObject[],
  namespace: string,
  left: string,
): Promise<string> {
  const named = (objects: readonly InstallObject[]) =>
    objects.map((o) => objectRef(o.kind, o.metadata.name)).join(", ");
  try {
    await deleteObjects(deps.kubectl, created.map(resourceRef), namespace, false);
    return `${left}: ${named(created)}, applied first to check the bindings against, deleted again`;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    // Those kubectl deleted all the same are gone: only the rest is left to delete.
    const deleted = error instanceof PartlyDeletedError ? error.deleted : [];
    const rest = created.filter((o) => !deleted.includes(objectRef(o.kind, o.metadata.name)));
    return `${named(rest)}, applied first to check the bindings against, could not be deleted again (${why}); delete ${rest.length === 1 ? "it" : "them"}: kubectl delete ${rest.map(resourceRef).join(" ")} ${kubectlWords(deps, namespace)}`;
  }
}
