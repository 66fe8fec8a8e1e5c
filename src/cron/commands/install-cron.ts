/**
 * `kubectl autoupdate install-cron`: build the objects → look for RBAC objects a run with the other scope
 * left behind, and ask the server whether they may be deleted → server-side apply the objects, each part
 * once a server dry run passed it (or only print them with --dry-run) → delete those objects → warn of other
 * installations checking the same namespaces.
 */

import { ClusterAccessError, isCallFailure } from "../../adapters/kubectl-errors.js";
import { ToolFailedError, UsageError } from "../../errors.js";
import { warningLine } from "../../output/warning.js";
import { getObjects, listInstalledCronJobs, type ServerObject } from "../adapters/kubectl.js";
import { applyChange } from "../core/apply-change.js";
import { othersObjects } from "../core/install-labels.js";
import { buildInstallObjects } from "../core/install-objects.js";
import type { InstallSpec } from "../core/installation.js";
import type { CronJobObject } from "../core/jobs.js";
import { objectKey, objectRef, resourceRef } from "../core/object-refs.js";
import { overlappingInstallWarnings } from "../core/overlap.js";
import { handArgsOf, runChanges } from "../core/run-changes.js";
import { flagsOf } from "../core/status.js";
import type { CronDeps } from "../deps.js";
import { dockerSocketWarning } from "../output/docker-socket-warning.js";
import { renderObjectsJson, renderObjectsYaml } from "../output/objects.js";
import { applyChecked } from "./checked-apply.js";
import { type InstallationOptions, installationWords } from "./installation.js";
import {
  checkOtherScope,
  checkOtherScopeDeletable,
  lookForOtherScope,
  otherScopeLeft,
  pruneOtherScope,
} from "./other-scope.js";

export interface InstallCronOptions extends InstallationOptions {
  /** Everything but the namespace, which may still come from the kubeconfig. */
  spec: Omit<InstallSpec, "namespace">;
  dryRun: boolean;
  output?: "yaml" | "json";
}

export async function installCronCommand(deps: CronDeps, options: InstallCronOptions): Promise<void> {
  const { io } = deps;
  // Gather (the namespace) and decide before any call that changes the cluster.
  if (options.spec.dockerSocket) io.stderr.write(`${deps.colors.stderr.yellow(dockerSocketWarning)}\n`);
  const namespace = options.namespace ?? (await deps.kubectl.namespaceKubectlWouldUse());
  const spec: InstallSpec = { ...options.spec, namespace };
  const objects = buildInstallObjects(spec);
  const render = options.output === "json" ? renderObjectsJson : renderObjectsYaml;

  if (options.dryRun) {
    io.stdout.write(render(objects));
    io.stderr.write(`dry run: nothing was applied (${objects.length} objects for namespace ${namespace})\n`);
    return;
  }

  // What is there, and what the other scope left; then apply, then prune, reporting each object like kubectl.
  const report = options.output ? io.stderr : io.stdout;
  const refs = objects.map(resourceRef);
  const [existing, otherScope, installed] = await Promise.all([
    getObjects(deps.kubectl, refs, namespace),
    lookForOtherScope(deps, spec),
    otherInstallations(deps, namespace),
  ]);
  const others = othersObjects(objects, existing);
  if (others.length > 0) {
    throw new UsageError(
      `${others.join(", ")} already ${others.length === 1 ? "exists" : "exist"} without install-cron's labels: not taken over (uninstall-cron would delete ${others.length === 1 ? "it" : "them"}); choose another --name, or remove ${others.length === 1 ? "it" : "them"} first`,
    );
  }
  const cronJob = existing.find((o) => o.kind === "CronJob") as CronJobObject | undefined;
  for (const warning of checkOtherScope(spec, cronJob, otherScope)) {
    io.stderr.write(warningLine(deps.colors.stderr, warning));
  }
  const wanted = objects.find((o) => o.kind === "CronJob") as unknown as CronJobObject;
  const changes = cronJob ? runChanges(cronJob, wanted) : [];
  if (changes.length > 0) {
    io.stderr.write(
      warningLine(
        deps.colors.stderr,
        `this install changes what the runs do: ${changes.join(", ")} (a flag not given is back at its default)`,
      ),
    );
  }
  // Named, not quoted: a hand may have written a secret there (--webhook-url).
  const handFlags = [...flagsOf(cronJob ? handArgsOf(cronJob) : []).keys()];
  if (handFlags.length > 0) {
    io.stderr.write(
      warningLine(
        deps.colors.stderr,
        `the job's args, added by hand, stay and come after install-cron's flags: ${handFlags.join(", ")} (its rights follow install-cron's --strategy; remove them with kubectl patch)`,
      ),
    );
  }
  const left = otherScopeLeft(objects, otherScope.found);
  if (left.length > 0) await checkOtherScopeDeletable(deps, spec, left);
  // Narrowing an -A install, its cluster-wide grant goes once the server has checked the rest, before
  // anything is applied: no step may leave it beside a CronJob that already says one namespace (what a
  // namespace admin's uninstall-cron reads).
  const grantFirst = spec.allNamespaces ? [] : left.filter((o) => o.kind?.startsWith("Cluster"));
  const grantNamed = grantFirst.map((o) => objectRef(o.kind ?? "", o.metadata.name)).join(", ");
  const first = {
    make: async () => {
      for (const line of await pruneGrantFirst(deps, spec, grantFirst, grantNamed)) report.write(`${line}\n`);
    },
    made: `${grantNamed}, of the earlier -A install, deleted already: its CronJob's runs have no rights beyond this namespace until install-cron succeeds`,
  };
  const before = new Map(existing.map((o) => [objectKey(o), o.metadata.resourceVersion]));
  const order = objects.map(objectKey);
  const applied = (
    await applyChecked(deps, objects, existing, namespace, grantFirst.length > 0 ? first : undefined)
  ).sort((a, b) => order.indexOf(objectKey(a)) - order.indexOf(objectKey(b)));
  for (const object of applied) {
    const change = applyChange(before.get(objectKey(object)), object.metadata.resourceVersion);
    report.write(`${objectRef(object.kind ?? "", object.metadata.name)} ${change}\n`);
  }
  const rest = left.filter((o) => !grantFirst.includes(o));
  for (const line of await pruneOtherScope(deps, spec, rest)) {
    report.write(`${line}\n`);
  }
  if (options.output) io.stdout.write(render(objects));
  // Said once installed: a failed install leaves nothing to overlap.
  for (const warning of overlappingInstallWarnings(spec, installed)) {
    io.stderr.write(warningLine(deps.colors.stderr, warning));
  }

  const scope = spec.allNamespaces ? "every namespace" : `namespace ${namespace}`;
  const state = spec.suspend
    ? "suspended; resume with install-cron, its other flags the same, without --suspend"
    : `runs "${spec.schedule}"`;
  const target = installationWords(deps, { name: spec.name, namespace });
  io.stderr.write(
    `CronJob ${namespace}/${spec.name} checks ${scope}; ${state}${spec.timeZone ? ` (${spec.timeZone})` : ""}.\n` +
      `Run it now: kubectl autoupdate run-now ${target} --wait\n`,
  );
  if (spec.allNamespaces) {
    // The cluster-wide grant has no owner in the namespace: deleting the namespace leaves it to whoever
    // makes a ServiceAccount of this name there again.
    io.stderr.write(
      `Remove it with kubectl autoupdate uninstall-cron ${target}, not by deleting namespace ${namespace}: its ClusterRoleBinding would outlive it.\n`,
    );
  }
}

/**
 * The installations' CronJobs in every namespace; for a namespace admin, who may not list them everywhere,
 * those in this namespace; none when even that is refused (the comparison is advice, not a check).
 */
async function otherInstallations(deps: CronDeps, namespace: string): Promise<CronJobObject[]> {
  const unlisted = (error: unknown) => {
    if (isCallFailure(error)) return null;
    throw error;
  };
  const everywhere = await listInstalledCronJobs(deps.kubectl, null).catch(unlisted);
  return everywhere ?? (await listInstalledCronJobs(deps.kubectl, namespace).catch(unlisted)) ?? [];
}

/** The -A install's cluster-wide objects deleted before anything is applied; a refusal names them. */
async function pruneGrantFirst(
  deps: CronDeps,
  spec: InstallSpec,
  grant: readonly ServerObject[],
  named: string,
): Promise<string[]> {
  try {
    return await pruneOtherScope(deps, spec, grant);
  } catch (error) {
    // The cluster out of reach is explained as such, as everywhere.
    if (!(error instanceof ToolFailedError) || error instanceof ClusterAccessError) throw error;
    throw new ToolFailedError(
      `${error.message}; ${named}, of the earlier -A install, may still grant every namespace, and nothing else was changed: run install-cron again`,
      { cause: error },
    );
  }
}
