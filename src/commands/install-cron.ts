/**
 * `kubectl autoupdate install-cron`: check the flags → build the manifests → server-side apply them
 * (or only print them with --dry-run) → remove RBAC objects a run with the other scope left behind.
 * kubectl applies a List object by object, so the whole List is first sent as a server dry run: a refusal
 * only the server can make (a missing namespace, an admission webhook, an older API) leaves nothing half made.
 */
import {
  applyServerSide,
  currentNamespace,
  deleteObjects,
  getObjects,
  listByLabel,
  type ServerObject,
} from "../adapters/cron-kubectl.js";
import type { Context } from "../context.js";
import {
  checkInstallFlags,
  checkNamespace,
  dockerSocketWarning,
  type RawInstallFlags,
} from "../core/cron-install-spec.js";
import { applyChange } from "../core/cron-jobs.js";
import {
  buildManifests,
  clusterInstallSelector,
  fieldManager,
  type InstallSpec,
  installSelector,
  kindResources,
  type Manifest,
  objectRef,
} from "../core/cron-manifests.js";
import { ToolFailedError, UsageError } from "../errors.js";
import { renderManifestsJson, renderManifestsYaml } from "../output/cron-manifests.js";

/** install-cron's flags: the ones checked in core, plus --dry-run. */
export interface InstallCronFlags extends RawInstallFlags {
  dryRun?: boolean;
}

/** Checks, builds, applies (or prints) and prunes; throws UsageError before any kubectl call on bad flags. */
export async function installCronCommand(ctx: Context, flags: InstallCronFlags): Promise<void> {
  const { io } = ctx;
  // Gather (flags, then the namespace) and decide before any call that changes the cluster.
  const checked = checkInstallFlags(flags);
  if (!checked.ok) throw new UsageError(checked.message);
  if (checked.value.dockerSocket) io.stderr.write(`${ctx.chalk.yellow(dockerSocketWarning)}\n`);
  const namespace = checked.value.namespace ?? (await currentNamespace(ctx.kubectl));
  const nsProblem = checkNamespace(namespace);
  if (nsProblem) throw new UsageError(`${nsProblem} (from the kubeconfig context; pass -n)`);
  const spec: InstallSpec = { ...checked.value, namespace };
  const manifests = buildManifests(spec);
  const render = flags.output === "json" ? renderManifestsJson : renderManifestsYaml;

  if (flags.dryRun) {
    io.stdout.write(render(manifests));
    io.stderr.write(
      `dry run: nothing was applied (${manifests.length} objects for namespace ${namespace})\n`,
    );
    return;
  }

  // Act: apply, then prune, reporting each object like kubectl does.
  const report = flags.output ? io.stderr : io.stdout;
  const refs = manifests.map((m) => `${kindResources[m.kind]}/${m.metadata.name}`);
  const before = new Map(
    (await getObjects(ctx.kubectl, refs, namespace)).map((o) => [key(o), o.metadata.resourceVersion]),
  );
  await applyServerSide(ctx.kubectl, manifests, fieldManager, true);
  const applied = await applyServerSide(ctx.kubectl, manifests, fieldManager);
  for (const object of applied) {
    const change = applyChange(before.get(key(object)), object.metadata.resourceVersion);
    report.write(`${objectRef(object.kind ?? "", object.metadata.name)} ${change}\n`);
  }
  for (const line of await pruneOtherScope(ctx, spec, manifests)) report.write(`${line}\n`);
  if (flags.output) io.stdout.write(render(manifests));

  const scope = spec.allNamespaces ? "every namespace" : `namespace ${namespace}`;
  const state = spec.suspend
    ? "suspended; resume with install-cron without --suspend"
    : `runs "${spec.schedule}"`;
  const nameFlag = spec.name === "kubectl-autoupdate" ? "" : ` --name ${spec.name}`;
  io.stderr.write(
    `CronJob ${namespace}/${spec.name} checks ${scope}; ${state}${spec.timeZone ? ` (${spec.timeZone})` : ""}.\n` +
      `Run it now: kubectl autoupdate run-now -n ${namespace}${nameFlag} --wait\n`,
  );
}

function key(object: { kind?: string; metadata: { name: string } }): string {
  return `${object.kind}/${object.metadata.name}`;
}

/**
 * A Role + RoleBinding from an earlier namespace-scoped install, or a ClusterRole + ClusterRoleBinding from
 * an earlier -A one: found by label, deleted, so the ServiceAccount keeps only the scope asked for now.
 */
async function pruneOtherScope(
  ctx: Context,
  spec: InstallSpec,
  wanted: readonly Manifest[],
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
      found.push(...(await listByLabel(ctx.kubectl, resources, selector, namespace)));
    } catch (error) {
      // A namespace admin may not list ClusterRoles; then there is nothing of ours to find there either.
      if (!(error instanceof ToolFailedError)) throw error;
      warnings.push(`warning: could not look for leftovers of an earlier install: ${error.message}`);
    }
  }
  for (const warning of warnings) ctx.io.stderr.write(`${warning}\n`);
  const stale = found.filter((o) => !keep.has(key(o)));
  if (stale.length === 0) return [];
  await deleteObjects(
    ctx.kubectl,
    stale.map((o) => `${kindResources[o.kind ?? ""]}/${o.metadata.name}`),
    spec.namespace,
    false,
  );
  const scope = spec.allNamespaces ? "namespace-scoped" : "cluster-wide (-A)";
  return stale.map(
    (o) => `${objectRef(o.kind ?? "", o.metadata.name)} deleted (left from a ${scope} install)`,
  );
}
