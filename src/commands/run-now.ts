/**
 * `kubectl autoupdate run-now`: create a Job from the CronJob now, as `kubectl create job --from=cronjob/…`
 * does; with --wait, follow it to the end, print its pods' logs and exit with its outcome.
 */
import { createJob, getCronJob, getJob, jobPods, podLogs } from "../adapters/cron-kubectl.js";
import type { Context } from "../context.js";
import { type JobObject, type JobOutcome, jobFromCronJob, jobOutcome } from "../core/cron-jobs.js";
import { AutoupdateError, InterruptedError, ToolFailedError } from "../errors.js";
import { resolveTarget } from "./cron-target.js";

/** run-now's flags, durations in milliseconds. */
export interface RunNowFlags {
  name?: string;
  namespace?: string;
  wait: boolean;
  timeoutMs: number;
  pollMs: number;
}

/** The Job ran and failed (or did not finish in time): the run's outcome, not a usage problem. */
export class JobFailedError extends AutoupdateError {}

/** Creates the Job; with --wait follows it, prints its pods' logs and throws JobFailedError unless it completed. */
export async function runNowCommand(ctx: Context, flags: RunNowFlags): Promise<void> {
  const { io } = ctx;
  const target = await resolveTarget(ctx, flags);
  const cronJob = await getCronJob(ctx.kubectl, target.name, target.namespace);
  if (!cronJob) {
    throw new ToolFailedError(
      `no CronJob ${target.name} in namespace ${target.namespace}; install it with: kubectl autoupdate install-cron -n ${target.namespace}`,
    );
  }
  const job = await createJob(ctx.kubectl, jobFromCronJob(cronJob));
  const name = job.metadata.name;
  io.stderr.write(`job.batch/${name} created\n`);
  if (!flags.wait) {
    io.stderr.write(`Follow it: kubectl logs -f job/${name} -n ${target.namespace}\n`);
    io.stdout.write(`${name}\n`);
    return;
  }

  const finished = await waitForJob(ctx, target.namespace, name, flags);
  const pods = job.metadata.uid ? await jobPods(ctx.kubectl, target.namespace, job.metadata.uid) : [];
  for (const pod of pods) {
    const logs = await podLogs(ctx.kubectl, target.namespace, pod.metadata.name);
    if (pods.length > 1) io.stdout.write(`==> pod/${pod.metadata.name} <==\n`);
    if (logs.ok) io.stdout.write(logs.text);
    else io.stderr.write(`warning: no log from pod ${pod.metadata.name}: ${logs.reason}\n`);
  }
  if (pods.length === 0) io.stderr.write(`warning: job ${name} has no pods left to read a log from\n`);
  if (finished.state === "Complete") {
    io.stderr.write(`job.batch/${name} complete\n`);
    return;
  }
  throw new JobFailedError(`job ${name} failed${finished.reason ? `: ${finished.reason}` : ""}`);
}

/** Polls the Job until it is Complete or Failed; reports each change of state on stderr. */
async function waitForJob(
  ctx: Context,
  namespace: string,
  name: string,
  flags: RunNowFlags,
): Promise<JobOutcome> {
  const { io } = ctx;
  const deadline = Date.now() + flags.timeoutMs;
  let last = "";
  for (;;) {
    if (io.signal.aborted) {
      throw new InterruptedError(
        `stopped waiting; job ${name} keeps running (kubectl logs -f job/${name} -n ${namespace})`,
      );
    }
    const job: JobObject | null = await getJob(ctx.kubectl, name, namespace);
    if (!job) throw new JobFailedError(`job ${name} disappeared while waiting for it`);
    const outcome = jobOutcome(job);
    if (outcome.state !== last) {
      io.stderr.write(`job.batch/${name}: ${outcome.state}\n`);
      last = outcome.state;
    }
    if (outcome.finished) return outcome;
    if (Date.now() >= deadline) {
      throw new JobFailedError(
        `job ${name} still ${outcome.state} after --timeout; it keeps running (kubectl logs -f job/${name} -n ${namespace})`,
      );
    }
    await sleep(flags.pollMs, io.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
