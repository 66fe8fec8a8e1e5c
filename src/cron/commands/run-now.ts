/**
 * `kubectl autoupdate run-now`: create a Job from the CronJob now, as `kubectl create job --from=cronjob/…`
 * does, unless a run is in progress; with --wait, follow it to the end, print its pods' logs and exit with
 * its outcome.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { AutoupdateError, InterruptedError, RefusedError, ToolFailedError } from "../../errors.js";
import { escapeTerminal, escapeTerminalLines } from "../../output/terminal-text.js";
import { warningLine } from "../../output/warning.js";
import {
  createJob,
  getJob,
  jobCreateFailures,
  jobPods,
  listJobs,
  podLogs,
  warningEvents,
} from "../adapters/kubectl.js";
import { installSelector } from "../core/install-labels.js";
import {
  hasStarted,
  inProgressPhrase,
  isStuckStopping,
  type JobOutcome,
  jobFromCronJob,
  jobOutcome,
  type RunInProgress,
  runsInProgress,
  whyNoPod,
  whyNotSetUp,
  whyNotStarted,
} from "../core/jobs.js";
import { runResults } from "../core/run-results.js";
import type { CronDeps } from "../deps.js";
import { stuckPhrase, stuckPodAdvice } from "../output/turn.js";
import { findInstallation, type InstallationOptions, kubectlWords, requireCronJob } from "./installation.js";

export interface RunNowOptions extends InstallationOptions {
  wait: boolean;
  timeoutMs: number;
  pollMs: number;
}

/** The Job ran and failed (or did not finish in time): the run's outcome, not a usage problem. */
export class JobFailedError extends AutoupdateError {}

/**
 * Creates the Job; with --wait follows it, prints its pods' logs and throws JobFailedError unless
 * it completed.
 */
export async function runNowCommand(deps: CronDeps, options: RunNowOptions): Promise<void> {
  const { io } = deps;
  const target = await findInstallation(deps, options);
  const cronJob = await requireCronJob(deps, target);
  // kubectl create job --from ignores concurrencyPolicy; two runs at once could each restart a pod of the
  // same workload, so the CronJob's Forbid holds here too.
  const [earlier] = runsInProgress(
    cronJob,
    await listJobs(deps.kubectl, target.namespace, installSelector(target.name)),
  );
  if (earlier !== undefined) {
    throw new RefusedError(stillInProgress(deps, target.namespace, earlier, deps.clock.now()));
  }
  const job = await createJob(deps.kubectl, jobFromCronJob(cronJob));
  const name = job.metadata.name;
  io.stderr.write(`job.batch/${name} created\n`);
  if (!options.wait) {
    io.stderr.write(`Follow it: ${followJob(deps, target.namespace, name)}\n`);
    io.stdout.write(`${name}\n`);
    return;
  }

  const finished = await waitForJob(deps, target.namespace, job, options);
  // Null when they cannot be listed (said as a warning): the Job's outcome is still the exit code.
  const pods = job.metadata.uid ? await podsToRead(deps, target.namespace, job.metadata.uid) : [];
  const listed = pods ?? [];
  for (const pod of listed) {
    const logs = await podLogs(deps.kubectl, target.namespace, pod.metadata.name);
    if (listed.length > 1) io.stdout.write(`==> pod/${pod.metadata.name} <==\n`);
    // Another image than this tool's (install-cron --image) may print anything; a pod cut off mid-line would
    // run into the next pod's header.
    if (!logs.ok) {
      io.stderr.write(
        warningLine(deps.colors.stderr, `no log from pod ${pod.metadata.name}: ${logs.reason}`),
      );
    } else if (logs.text !== "") {
      io.stdout.write(`${escapeTerminalLines(logs.text.replace(/\n$/, ""))}\n`);
    }
  }
  if (pods?.length === 0) {
    io.stderr.write(warningLine(deps.colors.stderr, `job ${name} has no pods left to read a log from`));
  }
  // What the run said it did (restarted what, gave way to which run, or how it ended: OOMKilled, say): one
  // line, as cron-status shows it. A failed Job's own reason (BackoffLimitExceeded) says little more.
  const said = job.metadata.uid ? runResults(listed).get(job.metadata.uid) : undefined;
  if (finished.state === "Complete") {
    io.stderr.write(`job.batch/${name} complete${said ? `: ${escapeTerminal(said)}` : ""}\n`);
    return;
  }
  const why = said ? escapeTerminal(said) : finished.reason;
  throw new JobFailedError(`job ${name} failed${why ? `: ${why}` : ""}`);
}

/** Polls the Job until it is Complete or Failed; reports each change of state on stderr. */
async function waitForJob(
  deps: CronDeps,
  namespace: string,
  created: { metadata: { name: string; uid?: string } },
  options: RunNowOptions,
): Promise<JobOutcome> {
  const { io, clock } = deps;
  const { name, uid } = created.metadata;
  const deadline = clock.now() + options.timeoutMs;
  let last = "";
  let failure = "";
  for (;;) {
    if (io.signal.aborted) {
      throw new InterruptedError(
        `stopped waiting; job ${name} keeps running (${followJob(deps, namespace, name)})`,
      );
    }
    // A read that fails is asked again at the next poll (an API server's leader changing, say): one failed
    // read is no verdict on the Job, whose outcome is the exit code. A refusal (RBAC) would only repeat.
    const job = await getJob(deps.kubectl, name, namespace).catch((error: unknown) => {
      if (!isCallFailure(error) || refused.test(error.message)) throw error;
      failure = error.message;
      return "unread" as const;
    });
    if (job === "unread") {
      if (clock.now() >= deadline) {
        throw new JobFailedError(
          `job ${name} could not be read within --timeout (${failure}); it keeps running (${followJob(deps, namespace, name)})`,
        );
      }
      await clock.sleep(options.pollMs, io.signal);
      continue;
    }
    if (!job) throw new JobFailedError(`job ${name} disappeared while waiting for it`);
    const outcome = jobOutcome(job);
    // A pod that does not start says why (a missing Secret, an image that cannot be pulled): shown, as the
    // Job would otherwise wait out its deadline in silence. Its pods are found by the created Job's UID.
    const why = outcome.state === "Pending" && uid ? await notStarted(deps, namespace, uid) : undefined;
    // Why a pod does not start is the kubelet's word (a registry's error for an image that cannot be pulled).
    const state = why ? `${outcome.state} (${escapeTerminal(why)})` : outcome.state;
    if (state !== last) {
      io.stderr.write(`job.batch/${name}: ${state}\n`);
      last = state;
    }
    if (outcome.finished) return outcome;
    if (clock.now() >= deadline) {
      throw new JobFailedError(
        `job ${name} still ${outcome.state} after --timeout; it keeps running (${followJob(deps, namespace, name)})`,
      );
    }
    await clock.sleep(options.pollMs, io.signal);
  }
}

/** kubectl's words for a request the API server refused for who asks, which asking again will not change. */
const refused = /\((Forbidden|Unauthorized)\)/;

/** The finished Job's pods, to print their logs; null, with a warning, when they cannot be listed. */
async function podsToRead(
  deps: CronDeps,
  namespace: string,
  jobUid: string,
): Promise<Awaited<ReturnType<typeof jobPods>> | null> {
  try {
    return await jobPods(deps.kubectl, namespace, jobUid);
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    deps.io.stderr.write(
      warningLine(deps.colors.stderr, `no log: the job's pods could not be listed: ${error.message}`),
    );
    return null;
  }
}

/**
 * Why the Job's pod does not start, if its pods can be read and say so, or else the kubelet's Events about
 * the newest (a volume it cannot mount); with no pod at all, why the Job controller could not make one (a
 * quota, an admission policy), if its Events can be read.
 */
async function notStarted(deps: CronDeps, namespace: string, jobUid: string): Promise<string | undefined> {
  try {
    const pods = await jobPods(deps.kubectl, namespace, jobUid);
    const newest = pods.at(-1);
    if (newest) {
      const why = whyNotStarted(pods);
      if (why !== undefined || !newest.metadata.uid) return why;
      const events = await warningEvents(deps.kubectl, namespace, newest.metadata.uid);
      return whyNotSetUp(newest, events);
    }
    return whyNoPod(await jobCreateFailures(deps.kubectl, namespace, jobUid));
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    return undefined;
  }
}

/** The command that follows a Job's log, in the cluster and namespace used. */
function followJob(deps: CronDeps, namespace: string, job: string): string {
  return `kubectl logs -f job/${job} ${kubectlWords(deps, namespace)}`;
}

/** Why run-now starts nothing: a run that has not finished, and what to do about it by its state. */
function stillInProgress(deps: CronDeps, namespace: string, run: RunInProgress, now: number): string {
  const words = kubectlWords(deps, namespace);
  // Its node lost: a foreground deletion would wait on that pod for ever.
  if (isStuckStopping(run, now)) {
    return `job ${run.name} ${stuckPhrase(run)} (concurrencyPolicy Forbid); ${stuckPodAdvice(run.name, words)}`;
  }
  // Foreground: kubectl returns once the Job's pod is gone, not while that run may still be restarting.
  const stop = `kubectl delete job ${run.name} --cascade=foreground ${words}`;
  const forbid = "(concurrencyPolicy Forbid)";
  const how = `job ${run.name} ${inProgressPhrase(run.state)} ${forbid}`;
  if (hasStarted(run.state)) {
    return `${how}; follow it with ${followJob(deps, namespace, run.name)}, or stop it first with ${stop}`;
  }
  return `${how}; see why with kubectl describe job/${run.name} ${words}, or delete it first with ${stop}`;
}
