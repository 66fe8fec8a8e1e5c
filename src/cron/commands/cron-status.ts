/**
 * `kubectl autoupdate cron-status`: the CronJob, the Jobs it owns, how their pods ended, the restarts in vain
 * its record holds and what its controller last warned about → summary → table or document.
 */
import { listSelected } from "../../adapters/kubectl.js";
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { readRecord } from "../../adapters/restart-record.js";
import { type RecordRef, rememberedIn } from "../../core/restart-record.js";
import type { RememberedRestart } from "../../core/restarted-for.js";
import { warningLine } from "../../output/warning.js";
import { jobCreateFailures, listJobs, warningEvents } from "../adapters/kubectl.js";
import { installSelector } from "../core/install-labels.js";
import { type JobObject, type WarningEvent, withCreateFailures } from "../core/jobs.js";
import { type RunPod, runResults } from "../core/run-results.js";
import { cronStatus, recordRefOf } from "../core/status.js";
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
  const [jobs, results, held, warnings] = await Promise.all([
    listJobs(deps.kubectl, target.namespace, selector),
    readRunResults(deps, target.namespace, selector),
    readHeld(deps, recordRefOf(cronJob)),
    readWarnings(deps, target.namespace, cronJob.metadata.uid),
  ]);
  const status = cronStatus(
    cronJob,
    jobs,
    await withWhyNoPod(deps, target.namespace, jobs, results),
    held,
    warnings,
  );
  const { stdout } = deps.io;
  if (options.output === "json") stdout.write(renderCronStatusJson(status));
  else if (options.output === "yaml") stdout.write(renderCronStatusYaml(status));
  else stdout.write(renderCronStatusTable(status, new Date(deps.clock.now()), options.noHeaders));
}

/** What each run said, by Job uid. The Jobs are the status: pods that cannot be listed are a warning. */
function readRunResults(deps: CronDeps, namespace: string, selector: string) {
  return readOrWarn(
    deps,
    async () => runResults(await listSelected<RunPod>(deps.kubectl, "pods", namespace, { label: selector })),
    new Map<string, string>(),
    "the runs' results are not shown",
  );
}

/** The results, and why the pods of Jobs without one could not be made: read only when some Job has none. */
async function withWhyNoPod(
  deps: CronDeps,
  namespace: string,
  jobs: readonly JobObject[],
  results: ReadonlyMap<string, string>,
): Promise<ReadonlyMap<string, string>> {
  if (jobs.every((job) => job.metadata.uid === undefined || results.has(job.metadata.uid))) return results;
  const failures = await readOrWarn(
    deps,
    () => jobCreateFailures(deps.kubectl, namespace),
    [],
    "why the pods of runs that never ran could not be made is not shown",
  );
  return withCreateFailures(results, failures, jobs);
}

/** The CronJob's Warning Events: why no Job was made at its schedule (a quota, an admission policy). */
function readWarnings(deps: CronDeps, namespace: string, uid: string | undefined) {
  if (uid === undefined) return Promise.resolve([]);
  return readOrWarn<WarningEvent[] | "unknown">(
    deps,
    () => warningEvents(deps.kubectl, namespace, uid),
    "unknown",
    "what the CronJob controller last warned about is not shown",
  );
}

/** The restarts in vain the runs remember: `unknown` when not readable, null for an install keeping none. */
async function readHeld(
  deps: CronDeps,
  ref: RecordRef | null,
): Promise<RememberedRestart[] | "unknown" | null> {
  if (ref === null) return null;
  const what = "the controllers held since a restart in vain are not shown";
  const data = await readOrWarn<Record<string, string> | undefined | "unknown">(
    deps,
    () => readRecord(deps.kubectl, ref),
    "unknown",
    what,
  );
  if (data === "unknown") return data;
  if (data === undefined) {
    // The runs cannot make it (their Role has no create): each one warns, and nothing is remembered.
    warn(
      deps,
      `${what}: configmap ${ref.namespace}/${ref.name} does not exist (run install-cron again, with the flags it was installed with, to make it)`,
    );
    return "unknown";
  }
  return rememberedIn(data, deps.clock.now());
}

/** A part of the status beyond the Jobs: when it cannot be read, a warning and `otherwise`. */
async function readOrWarn<T>(deps: CronDeps, read: () => Promise<T>, otherwise: T, what: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warn(deps, `${what}: ${error.message}`);
    return otherwise;
  }
}

function warn(deps: CronDeps, text: string): void {
  deps.io.stderr.write(warningLine(deps.colors.stderr, text));
}
