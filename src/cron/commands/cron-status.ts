/**
 * `kubectl autoupdate cron-status`: the CronJob, the Jobs it owns and how their pods ended → summary → table
 * or document.
 */
import { podsBySelector } from "../../adapters/kubectl.js";
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { listJobs } from "../adapters/kubectl.js";
import { installSelector } from "../core/objects.js";
import { type RunPod, runResults } from "../core/run-results.js";
import { cronStatus } from "../core/status.js";
import type { CronDeps } from "../deps.js";
import { renderCronStatusJson, renderCronStatusTable, renderCronStatusYaml } from "../output/status.js";
import { findInstallation, type InstallationOptions, requireCronJob } from "./installation.js";

export interface CronStatusOptions extends InstallationOptions {
  output: "table" | "json" | "yaml";
  noHeaders: boolean;
}

/** Reads the CronJob, its Jobs and their pods, and prints the summary. */
export async function cronStatusCommand(deps: CronDeps, options: CronStatusOptions): Promise<void> {
  const target = await findInstallation(deps, options);
  const cronJob = await requireCronJob(deps, target);
  const selector = installSelector(target.name);
  const [jobs, results] = await Promise.all([
    listJobs(deps.kubectl, target.namespace, selector),
    readRunResults(deps, target.namespace, selector),
  ]);
  const status = cronStatus(cronJob, jobs, results);
  const { stdout } = deps.io;
  if (options.output === "json") stdout.write(renderCronStatusJson(status));
  else if (options.output === "yaml") stdout.write(renderCronStatusYaml(status));
  else stdout.write(renderCronStatusTable(status, new Date(deps.clock.now()), options.noHeaders));
}

/** What each run said, by Job uid. The Jobs are the status: pods that cannot be listed are a warning. */
async function readRunResults(deps: CronDeps, namespace: string, selector: string) {
  try {
    return runResults(await podsBySelector<RunPod>(deps.kubectl, namespace, selector));
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    deps.io.stderr.write(
      `${deps.colors.stderr.yellow("Warning:")} the runs' results are not shown: ${error.message}\n`,
    );
    return new Map<string, string>();
  }
}
