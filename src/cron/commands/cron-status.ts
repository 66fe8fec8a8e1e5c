/** `kubectl autoupdate cron-status`: the CronJob and the Jobs it owns → summary → table or document. */
import { listJobs } from "../adapters/kubectl.js";
import { cronStatus } from "../core/jobs.js";
import { installSelector } from "../core/objects.js";
import type { CronDeps } from "../deps.js";
import { renderCronStatusJson, renderCronStatusTable, renderCronStatusYaml } from "../output/status.js";
import { findInstallation, type InstallationOptions, requireCronJob } from "./installation.js";

export interface CronStatusOptions extends InstallationOptions {
  output: "table" | "json" | "yaml";
  noHeaders: boolean;
}

/** Reads the CronJob and its Jobs and prints the summary. */
export async function cronStatusCommand(deps: CronDeps, options: CronStatusOptions): Promise<void> {
  const target = await findInstallation(deps, options);
  const cronJob = await requireCronJob(deps, target);
  const jobs = await listJobs(deps.kubectl, target.namespace, installSelector(target.name));
  const status = cronStatus(cronJob, jobs);
  const { stdout } = deps.io;
  if (options.output === "json") stdout.write(renderCronStatusJson(status));
  else if (options.output === "yaml") stdout.write(renderCronStatusYaml(status));
  else stdout.write(renderCronStatusTable(status, new Date(deps.clock.now()), options.noHeaders));
}
