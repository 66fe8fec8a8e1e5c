/** Which installation a CronJob verb means: --name, and -n or the kubeconfig's namespace. */
import { currentNamespace } from "../adapters/cron-kubectl.js";
import type { Context } from "../context.js";
import { checkName, checkNamespace } from "../core/cron-install-spec.js";
import { cronDefaults } from "../core/cron-manifests.js";
import { UsageError } from "../errors.js";

/** An installation: its name and namespace. */
export interface CronTarget {
  name: string;
  namespace: string;
}

/** Checks --name and -n first (no kubectl call for a bad one), then asks kubectl for the default namespace. */
export async function resolveTarget(
  ctx: Context,
  raw: { name?: string; namespace?: string },
): Promise<CronTarget> {
  const name = raw.name ?? cronDefaults.name;
  const nameProblem = checkName(name);
  if (nameProblem) throw new UsageError(nameProblem);
  if (raw.namespace !== undefined) {
    const problem = checkNamespace(raw.namespace);
    if (problem) throw new UsageError(problem);
    return { name, namespace: raw.namespace };
  }
  const namespace = await currentNamespace(ctx.kubectl);
  const problem = checkNamespace(namespace);
  if (problem) throw new UsageError(`${problem} (from the kubeconfig context; pass -n)`);
  return { name, namespace };
}
