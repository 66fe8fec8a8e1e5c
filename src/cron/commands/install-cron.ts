/**
 * `kubectl autoupdate install-cron`: build the manifests → server-side apply them
 * (or only print them with --dry-run) → remove RBAC objects a run with the other scope left behind.
 * kubectl applies a List object by object, so the whole List is first sent as a server dry run: a refusal
 * only the server can make (a missing namespace, an admission webhook, an older API) leaves nothing half made.
 */
import { ToolFailedError, UsageError } from "../../errors.js";
import {
  applyServerSide,
  deleteObjects,
  getObjects,
  listByLabel,
  type ServerObject,
} from "../adapters/kubectl.js";
import { applyChange } from "../core/apply-change.js";
import {
  buildInstallObjects,
  clusterInstallSelector,
  dryRunnable,
  fieldManager,
  type InstallObject,
  type InstallSpec,
  installSelector,
  kindResources,
  objectRef,
  othersObjects,
} from "../core/objects.js";
import type { CronDeps } from "../deps.js";
import { dockerSocketWarning } from "../output/docker-socket-warning.js";
import { renderObjectsJson, renderObjectsYaml } from "../output/objects.js";
import { contextNamespace, type InstallationOptions, installationWords } from "./installation.js";

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
  const namespace = options.namespace ?? (await contextNamespace(deps));
  const spec: InstallSpec = { ...options.spec, namespace };
  const manifests = buildInstallObjects(spec);
  const render = options.output === "json" ? renderObjectsJson : renderObjectsYaml;

  if (options.dryRun) {
    io.stdout.write(render(manifests));
    io.stderr.write(
      `dry run: nothing was applied (${manifests.length} objects for namespace ${namespace})\n`,
    );
    return;
  }

  // Act: apply, then prune, reporting each object like kubectl does.
  const report = options.output ? io.stderr : io.stdout;
  const refs = manifests.map((m) => `${kindResources[m.kind]}/${m.metadata.name}`);
  const existing = await getObjects(deps.kubectl, refs, namespace);
  const others = othersObjects(manifests, existing);
  if (others.length > 0) {
    throw new UsageError(
      `${others.join(", ")} already ${others.length === 1 ? "exists" : "exist"} without install-cron's labels: not taken over (uninstall-cron would delete ${others.length === 1 ? "it" : "them"}); choose another --name, or remove ${others.length === 1 ? "it" : "them"} first`,
    );
  }
  const before = new Map(existing.map((o) => [key(o), o.metadata.resourceVersion]));
  await applyServerSide(deps.kubectl, dryRunnable(manifests, existing), fieldManager, true);
  const applied = await applyServerSide(deps.kubectl, manifests, fieldManager);
  for (const object of applied) {
    const change = applyChange(before.get(key(object)), object.metadata.resourceVersion);
    report.write(`${objectRef(object.kind ?? "", object.metadata.name)} ${change}\n`);
  }
  for (const line of await pruneOtherScope(deps, spec, manifests)) report.write(`${line}\n`);
  if (options.output) io.stdout.write(render(manifests));

  const scope = spec.allNamespaces ? "every namespace" : `namespace ${namespace}`;
  const state = spec.suspend
    ? "suspended; resume with install-cron without --suspend"
    : `runs "${spec.schedule}"`;
  const target = installationWords(deps, { name: spec.name, namespace });
  io.stderr.write(
    `CronJob ${namespace}/${spec.name} checks ${scope}; ${state}${spec.timeZone ? ` (${spec.timeZone})` : ""}.\n` +
      `Run it now: kubectl autoupdate run-now ${target} --wait\n`,
  );
}

function key(object: { kind?: string; metadata: { name: string } }): string {
  return `${object.kind}/${object.metadata.name}`;
}

/**
 * A ClusterRole + ClusterRoleBinding from an earlier -A install, or under -A a Role + RoleBinding this one
 * does not need (a record under --strategy rollout, which keeps none): found by label, deleted, so the
 * ServiceAccount keeps only what is asked for now.
 */
async function pruneOtherScope(
  deps: CronDeps,
  spec: InstallSpec,
  wanted: readonly InstallObject[],
): Promise<string[]> {
  const keep = new Set(wanted.map(key));
  const found: ServerObject[] = [];
  const lookups: [string[], string, string | null][] = [
    [[kindResources.Role!, kindResources.RoleBinding!], installSelector(spec.name), spec.namespace],
    [
      [kindResources.ClusterRole!, kindResources.ClusterRoleBinding!],
      clusterInstallSelector(spec.name, spec.namespace),
      null,
    ],
  ];
  const warnings: string[] = [];
  for (const [resources, selector, namespace] of lookups) {
    try {
      found.push(...(await listByLabel(deps.kubectl, resources, selector, namespace)));
    } catch (error) {
      // A namespace admin may not list ClusterRoles; then there is nothing of ours to find there either.
      if (!(error instanceof ToolFailedError)) throw error;
      warnings.push(`warning: could not look for leftovers of an earlier install: ${error.message}`);
    }
  }
  for (const warning of warnings) deps.io.stderr.write(`${warning}\n`);
  const stale = found.filter((o) => !keep.has(key(o)));
  if (stale.length === 0) return [];
  await deleteObjects(
    deps.kubectl,
    stale.map((o) => `${kindResources[o.kind ?? ""]}/${o.metadata.name}`),
    spec.namespace,
    false,
  );
  // Under -A a Role is kept only for the record, which --strategy rollout does not keep.
  const why = spec.allNamespaces
    ? "not needed: this install's rules are in its ClusterRole"
    : "left from a cluster-wide (-A) install";
  return stale.map((o) => `${objectRef(o.kind ?? "", o.metadata.name)} deleted (${why})`);
}
