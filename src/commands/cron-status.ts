/** `kubectl autoupdate cron-status`: the CronJob and the Jobs it owns → summary → table or document. */
import { getCronJob, listJobs } from "../adapters/cron-kubectl.js";
import type { Context } from "../context.js";
import { cronStatus } from "../core/cron-jobs.js";
import { installSelector } from "../core/cron-manifests.js";
import { ToolFailedError, UsageError } from "../errors.js";
import { renderCronStatusJson, renderCronStatusTable, renderCronStatusYaml } from "../output/cron-status.js";
import { resolveTarget } from "./cron-target.js";

/** cron-status's flags. */
export interface CronStatusFlags {
  name?: string;
  namespace?: string;
  output?: string;
  noHeaders: boolean;
  /** The clock, passed in so the rendering stays pure. */
  now: () => Date;
}

const outputs = ["table", "json", "yaml"];

/** Reads the CronJob and its Jobs and prints the summary. */
export async function cronStatusCommand(ctx: Context, flags: CronStatusFlags): Promise<void> {
  const output = flags.output ?? "table";
  if (!outputs.includes(output)) {
    throw new UsageError(
      `unable to match a printer for output format "${output}"; allowed: ${outputs.join(", ")}`,
    );
  }
  const target = await resolveTarget(ctx, flags);
  const cronJob = await getCronJob(ctx.kubectl, target.name, target.namespace);
  if (!cronJob) {
    throw new ToolFailedError(
      `no CronJob ${target.name} in namespace ${target.namespace}; install it with: kubectl autoupdate install-cron -n ${target.namespace}`,
    );
  }
  const jobs = await listJobs(ctx.kubectl, target.namespace, installSelector(target.name));
  const status = cronStatus(cronJob, jobs);
  if (output === "json") ctx.io.stdout.write(renderCronStatusJson(status));
  else if (output === "yaml") ctx.io.stdout.write(renderCronStatusYaml(status));
  else ctx.io.stdout.write(renderCronStatusTable(status, flags.now(), flags.noHeaders));
}
