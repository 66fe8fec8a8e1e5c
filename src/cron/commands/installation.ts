/** Which installation a CronJob verb means: --name, and -n or the kubeconfig's namespace. */

import type { ConnectionOptions } from "../../connection.js";
import { ToolFailedError } from "../../errors.js";
import { shellWords } from "../../util/shell-words.js";
import { withoutUrlSecrets } from "../../util/url-secrets.js";
import { getCronJob } from "../adapters/kubectl.js";
import { cronDefaults } from "../core/defaults.js";
import { installSelector, isInstallations } from "../core/install-labels.js";
import type { Installation } from "../core/installation.js";
import type { CronJobObject } from "../core/jobs.js";
import type { CronDeps } from "../deps.js";

/** --name and -n as given (already checked); no -n means the kubeconfig context's namespace. */
export interface InstallationOptions extends ConnectionOptions {
  name: string;
  namespace?: string;
}

/** The namespace from -n, else from the kubeconfig (checked: it names objects we create or read). */
export async function findInstallation(deps: CronDeps, options: InstallationOptions): Promise<Installation> {
  if (options.namespace !== undefined) return { name: options.name, namespace: options.namespace };
  return { name: options.name, namespace: await deps.kubectl.namespaceKubectlWouldUse() };
}

/** The installation's CronJob; a missing one is an error that says how to install it. */
export async function requireCronJob(deps: CronDeps, target: Installation): Promise<CronJobObject> {
  const cronJob = await getCronJob(deps.kubectl, target.name, target.namespace);
  if (!cronJob) {
    throw new ToolFailedError(
      `no CronJob ${target.name} in namespace ${target.namespace}; install it with: kubectl autoupdate install-cron ${installationWords(deps, target)}`,
    );
  }
  // Someone else's CronJob of that name: its Jobs are not found as this installation's runs, so a run
  // started beside one of them would not wait its turn.
  if (!isInstallations(cronJob, target.name)) {
    throw new ToolFailedError(
      `the CronJob ${target.name} in namespace ${target.namespace} was not made by install-cron (it lacks the labels ${installSelector(target.name)}); name the installation with --name`,
    );
  }
  return cronJob;
}

/**
 * The flags that name this installation in the cluster used, for a command the user is told to run next:
 * -n, --name unless it is the default, and the connection flags (a hint must not reach another cluster).
 */
export function installationWords(deps: CronDeps, target: Installation): string {
  const name = target.name === cronDefaults.name ? [] : ["--name", target.name];
  return shellWords(["-n", target.namespace, ...name, ...connectionWords(deps)]);
}

/**
 * The same for kubectl itself: the namespace and the connection flags, but --request-timeout, which would
 * cut a `kubectl logs -f` short.
 */
export function kubectlWords(deps: CronDeps, namespace: string): string {
  const connection = connectionWords(deps).filter((arg) => !arg.startsWith("--request-timeout="));
  return shellWords(["-n", namespace, ...connection]);
}

/**
 * The connection flags as given, a URL's user info left out (the CLI refuses one; this is the last guard).
 */
function connectionWords(deps: CronDeps): string[] {
  return deps.kubectl.connectionArgs().map(withoutUrlSecrets);
}
