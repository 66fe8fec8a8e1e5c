/**
 * `kubectl autoupdate apply`: the same plan as `plan`, printed, confirmed, then exactly its restarts, each
 * recorded as an Event on its workload; with a webhook, the run's report is posted at the end.
 */
import { randomUUID } from "node:crypto";
import type { ChalkInstance } from "chalk";
import { writeResultFile } from "../adapters/result-file.js";
import { trustSystemCertificates } from "../adapters/system-ca.js";
import { confirm, whyCannotAsk } from "../adapters/terminal.js";
import {
  type Plan,
  type PlanPod,
  podsToRestart,
  staleLeftByWorkload,
  summarize,
  unnamedImagesByWorkload,
} from "../core/plan.js";
import type { ProxySettings } from "../core/proxy.js";
import { holdsToRecordAgain } from "../core/restarted-for.js";
import type { OwnJob } from "../cron/core/job-contract.js";
import {
  endedBeforeSignal,
  endsInterrupted,
  failureMessage,
  InterruptedError,
  PartialFailureError,
  RefusedError,
} from "../errors.js";
import type { Io } from "../io.js";
import { streamColors } from "../output/color.js";
import { imageMoves } from "../output/image-move.js";
import { isMachineFormat } from "../output/plan-format.js";
import { restartQuestion } from "../output/restart-question.js";
import {
  describeOutcome,
  describeReplacementProblem,
  describeRollout,
  describeUncheckedReplacement,
  renderRestartSummary,
  renderRunSummary,
} from "../output/restart-report.js";
import { renderRunReport, runReport } from "../output/run-report.js";
import { type RunSoFar, runResultLine } from "../output/run-result.js";
import { warningLine } from "../output/warning.js";
import { EventRecorder } from "../pipeline/restart/events.js";
import { RecordKeeper } from "../pipeline/restart/record-keeper.js";
import { stopReason } from "../pipeline/restart/restart-options.js";
import { type RestartResult, restartPods } from "../pipeline/restart/restart-pods.js";
import { systemClock } from "../util/clock.js";
import { counted } from "../util/counted.js";
import type { Context, PlanningOptions } from "./context.js";
import { showPlan } from "./plan.js";

/** Where the RunReport goes, and each attempt's limit. The URL is a secret: only its host is ever shown. */
export interface WebhookTarget {
  url: URL;
  timeoutMs: number;
  proxy: ProxySettings;
}

export interface ApplyOptions extends PlanningOptions {
  yes: boolean;
  dryRun: boolean;
  /** Wait for each replacement (each rollout) to be Ready and check it, the last one included. */
  wait: boolean;
  waitTimeoutMs: number;
  /** End with one JSON line (the CronJob's log is read by machines too). */
  summaryJson: boolean;
  /** Post the RunReport here after the run. */
  webhook?: WebhookTarget;
  /** The CronJob's Job this run is: it gives way to an earlier run of the CronJob still in progress. */
  ownJob?: OwnJob;
  /** Write the run's one-line result here at the end ($KUBECTL_AUTOUPDATE_RESULT_FILE). */
  resultFile?: string;
}

export async function applyCommand(ctx: Context<ApplyOptions>): Promise<void> {
  const run: RunSoFar = {};
  try {
    await applyPlan(ctx, run);
  } catch (error) {
    await keepResult(ctx, run, error);
    // A refusal ("no" at the prompt, no --yes), or a Ctrl-C at the prompt, is no run to report.
    if (!(error instanceof RefusedError || error instanceof InterruptedAtQuestion)) {
      await postReport(ctx, run, error);
    }
    throw error;
  }
  await keepResult(ctx, run);
  await postReport(ctx, run);
}

/** The plan shown, confirmed, its restarts made and reported; throws what ended the run short. */
async function applyPlan(ctx: Context<ApplyOptions>, run: RunSoFar): Promise<void> {
  const report = reportOutput(ctx);
  if (ctx.options.ownJob) {
    run.gaveWay = await takeCronTurn(ctx, ctx.options.ownJob, report);
    if (run.gaveWay !== undefined) return;
  }
  const { plan } = await showPlan(ctx);
  run.plan = plan;
  const targets = podsToRestart(plan);
  const recorders = openRecorders(ctx);
  if (targets.length === 0) {
    await reportNothingToRestart(ctx, plan, recorders, report);
    return;
  }
  await confirmRestarts(ctx, plan, targets);
  // What is being rolled out, once per image: old → new digest, revision, age.
  for (const move of imageMoves(targets, ctx.clock.now())) report.out.write(`${move}\n`);
  recordHoldsAgain(recorders, plan, ctx.clock.now());
  const restarted = await restartTargets(ctx, plan, targets, recorders, report);
  run.restarted = restarted;
  // A signal once every restart is made and checked (while the Events are recorded, or after the last
  // check) cuts none short.
  const cutShort = leftBySignal(restarted, ctx.io.signal);
  await reportRestarts(ctx, plan, restarted, recorders, report);
  throwIfIncomplete(restarted, cutShort);
}

/** Where the restart report goes, with its colours. */
interface ReportOutput {
  out: NodeJS.WriteStream;
  chalk: ChalkInstance;
}

function reportOutput({ io, options, colors }: Context<ApplyOptions>): ReportOutput {
  // With -o json|yaml|name stdout holds only what was asked for; the restart report goes to stderr.
  return isMachineFormat(options.output)
    ? { out: io.stderr, chalk: colors.stderr }
    : { out: io.stdout, chalk: colors.stdout };
}

/** Whether this run of the CronJob gives way to an earlier one still in progress: why, when it does. */
async function takeCronTurn(
  ctx: Context<ApplyOptions>,
  ownJob: OwnJob,
  report: ReportOutput,
): Promise<string | undefined> {
  // Loaded only in the CronJob's pod.
  const { takeTurn } = await import("../cron/commands/job-turn.js");
  const summary = ctx.options.summaryJson ? report.out : null;
  return takeTurn({ ...ctx, summary }, ownJob);
}

/** What records this run's restarts; a server dry run restarts nothing, so it records nothing either. */
function openRecorders(ctx: Context<ApplyOptions>): Recorders | null {
  const { options } = ctx;
  if (options.dryRun) return null;
  const events = new EventRecorder(ctx.kubectl, ctx.clock, ctx.io.hostname, options.concurrency);
  // Under --no-wait every restart is unchecked: each has its Event, and the record would fill with them.
  const unchecked = { kept: options.wait, serverClockAhead: () => events.serverClockAhead() };
  return {
    events,
    keeper: options.record ? new RecordKeeper(ctx.kubectl, options.record, ctx.clock, unchecked) : null,
  };
}

/** A plan with no pod to restart: the holds are still recorded again, and the run says so. */
async function reportNothingToRestart(
  ctx: Context<ApplyOptions>,
  plan: Plan,
  recorders: Recorders | null,
  report: ReportOutput,
): Promise<void> {
  recordHoldsAgain(recorders, plan, ctx.clock.now());
  await warnUnrecorded(ctx, recorders);
  ctx.io.stderr.write("Nothing to restart.\n");
  if (ctx.options.summaryJson) {
    report.out.write(
      renderRunSummary(plan, { outcomes: new Map(), problems: [], rollouts: [] }, ctx.options.dryRun),
    );
  }
}

/** A Ctrl-C typed at the question: an interrupt (the process ends by SIGINT), but, like a "no", no run. */
class InterruptedAtQuestion extends InterruptedError {}

/** Asks before restarting, unless --yes or --dry-run; without a terminal to ask on, refuses. */
async function confirmRestarts(
  { io, options }: Context<ApplyOptions>,
  plan: Plan,
  targets: readonly PlanPod[],
): Promise<void> {
  if (options.yes || options.dryRun) return;
  const cannotAsk = whyCannotAsk(io.stdin, io.stderr);
  if (cannotAsk !== null) {
    throw new RefusedError(
      `refusing to restart ${counted(targets.length, "pod")} without confirmation: ${cannotAsk} (pass --yes)`,
    );
  }
  const { namespacesToRestart } = summarize(plan);
  const question = restartQuestion(targets, namespacesToRestart);
  let interrupted = false;
  const yes = await confirm(
    question,
    io.stdin,
    io.stderr,
    io.signal,
    () => {
      interrupted = true;
      io.interrupt?.();
    },
    () => io.quit?.(),
  );
  if (interrupted) throw new InterruptedAtQuestion("interrupted at the question: nothing restarted");
  if (!yes) throw new RefusedError("nothing restarted");
}

/** Restarts the planned pods, reporting each as it goes and recording each restart that happened. */
function restartTargets(
  ctx: Context<ApplyOptions>,
  plan: Plan,
  targets: readonly PlanPod[],
  recorders: Recorders | null,
  { out, chalk }: ReportOutput,
): Promise<RestartResult> {
  const { io, options } = ctx;
  return restartPods(ctx.kubectl, targets, {
    strategy: options.strategy,
    dryRun: options.dryRun,
    wait: options.wait,
    waitTimeoutMs: options.waitTimeoutMs,
    pollMs: 1000,
    concurrency: options.concurrency,
    signal: io.signal,
    clock: ctx.clock,
    onOutcome: (pod, outcome) => out.write(`${describeOutcome(pod, outcome, options.dryRun, chalk)}\n`),
    onReplacementProblem: (problem) => out.write(`${describeReplacementProblem(problem, chalk)}\n`),
    onRollout: (rollout) => out.write(`${describeRollout(rollout, options.dryRun, chalk)}\n`),
    staleLeft: staleLeftByWorkload(plan),
    unnamedSeen: unnamedImagesByWorkload(plan),
    onRestarted: (restart) => {
      // Under --no-wait none is checked, as asked: no line for each.
      const unchecked = options.wait ? describeUncheckedReplacement(restart) : null;
      if (unchecked) out.write(`${unchecked}\n`);
      recorders?.events.record(restart);
      recorders?.keeper?.restarted(restart);
    },
  });
}

/** After the restarts: their warnings, the records that failed, the closing count and the RunSummary. */
async function reportRestarts(
  ctx: Context<ApplyOptions>,
  plan: Plan,
  restarted: RestartResult,
  recorders: Recorders | null,
  { out }: ReportOutput,
): Promise<void> {
  const { dryRun, summaryJson } = ctx.options;
  for (const warning of restarted.warnings) warn(ctx, warning);
  await warnUnrecorded(ctx, recorders);
  out.write(renderRestartSummary(restarted.outcomes, restarted.problems.length, dryRun));
  if (summaryJson) out.write(renderRunSummary(plan, restarted, dryRun));
}

/**
 * Whether the signal left something undone: a pod not started for it, a rollout it stopped following, a
 * replacement or a rollout's pods it left unchecked. A pod left for its own sake, a failed check or one
 * that needed none (a scale-down) were so before it, and the run ends as they did; so does a run the
 * cluster's going out of reach stopped first, with that error.
 */
function leftBySignal(restarted: RestartResult, signal: AbortSignal): boolean {
  if (!signal.aborted || restarted.stoppedBy !== undefined) return false;
  const stop = stopReason(signal);
  const outcomes = [...restarted.outcomes.values()];
  return (
    outcomes.some((o) => o.kind === "not-started" && o.reason === stop) ||
    restarted.rollouts.some(
      ({ outcome }) =>
        outcome.kind === "in-progress" || (outcome.kind === "rolled-out" && outcome.unchecked === stop),
    ) ||
    [...restarted.unchecked.values()].includes(stop)
  );
}

/**
 * Ends the run with its error: interrupted (`cutShort`: a signal came while restarting), stopped, or not
 * every planned pod on the new image.
 */
function throwIfIncomplete(restarted: RestartResult, cutShort: boolean): void {
  const kinds = [...restarted.outcomes.values()].map((o) => o.kind);
  if (cutShort) {
    const rolling = kinds.includes("in-progress") ? "; a rollout started goes on on the server" : "";
    throw new InterruptedError(`interrupted: no further restarts were started${rolling}`);
  }
  // The cluster out of reach stopped the restarts: what was done is reported above, the error ends the run.
  if (restarted.stoppedBy !== undefined) throw endedBeforeSignal(restarted.stoppedBy);
  if (kinds.includes("failed") || kinds.includes("not-started")) {
    throw new PartialFailureError("some planned pods were not restarted; see above");
  }
  if (restarted.problems.length > 0) {
    throw new PartialFailureError("some replacements did not come up on the new image; see above");
  }
}

/** What records a run's restarts: an Event each, and the restarts in vain in the record ConfigMap. */
interface Recorders {
  events: EventRecorder;
  keeper: RecordKeeper | null;
}

/** Pods held since their controller restarted one in vain: recorded again before the first Event expires. */
function recordHoldsAgain(recorders: Recorders | null, plan: Plan, now: number): void {
  for (const { hold, pods } of holdsToRecordAgain(plan, now)) {
    recorders?.events.recordHold(hold, pods);
    recorders?.keeper?.held(hold);
  }
}

/** Waits for the Events in flight and keeps the record; one warning line for each that failed. */
async function warnUnrecorded(ctx: Context<ApplyOptions>, recorders: Recorders | null): Promise<void> {
  const [unrecorded, unkept] = await Promise.all([recorders?.events.settle(), recorders?.keeper?.save()]);
  if (unrecorded) warn(ctx, unrecorded);
  const ref = ctx.options.record;
  if (unkept && ref) {
    warn(
      ctx,
      `could not keep the restarts in vain in configmap ${ref.namespace}/${ref.name} (the restarts are not affected): ${unkept}`,
    );
  }
}

/** Where apply reports its run: its result line, and its RunReport. */
export type ApplyReporting = Pick<ApplyOptions, "dryRun" | "webhook" | "resultFile" | "color">;

/** What keeping the result and posting the report need: the run's context, or less before it has one. */
type ReportingContext = Pick<Context, "io" | "clock" | "colors" | "debug"> & { options: ApplyReporting };

/**
 * A run that failed on its own flags (the CronJob's args edited by hand, say), before it had a context: its
 * result is kept and its RunReport posted as for any failed run, where its reporting flags could be read.
 */
export async function reportRunNotStarted(io: Io, reporting: ApplyReporting, error: unknown): Promise<void> {
  const ctx = {
    io,
    options: reporting,
    clock: systemClock,
    colors: streamColors(reporting.color, io),
    debug() {},
  };
  await keepResult(ctx, {}, error);
  await postReport(ctx, {}, error);
}

/** The run's one-line result, when asked for; a failure to write it is one warning line. */
async function keepResult(ctx: ReportingContext, run: RunSoFar, error?: unknown): Promise<void> {
  const path = ctx.options.resultFile;
  if (path === undefined) return;
  const message = error === undefined ? undefined : failureMessage(error, ctx.io.signal.aborted);
  const failure = await writeResultFile(path, runResultLine(run, ctx.options.dryRun, message));
  if (failure !== undefined) warn(ctx, `the run's result was not kept: ${failure}`);
}

/**
 * Posts the RunReport when a webhook is set and the run tried a restart or failed (a run with nothing to
 * restart posts nothing: a CronJob every 10 minutes would fill a channel). A delivery that fails is one
 * warning line; it changes neither what was restarted nor the exit code.
 */
async function postReport(ctx: ReportingContext, run: RunSoFar, error?: unknown): Promise<void> {
  const target = ctx.options.webhook;
  if (!target || (error === undefined && run.restarted === undefined)) return;
  if (target.url.protocol === "https:") trustSystemCertificates(ctx.io.env);
  const failure =
    error === undefined
      ? undefined
      : {
          message: failureMessage(error, ctx.io.signal.aborted).replace(/; see above$/, ""),
          interrupted: endsInterrupted(error, ctx.io.signal.aborted),
        };
  const report = runReport({
    id: randomUUID(),
    now: ctx.clock.now(),
    dryRun: ctx.options.dryRun,
    ...run,
    ...(failure ? { error: failure } : {}),
  });
  // Loaded only by a run that posts a report.
  const [{ Webhook, webhookRetry }, { createHttpFetch }] = await Promise.all([
    import("../adapters/webhook.js"),
    import("../adapters/http/http-fetch.js"),
  ]);
  const webhook = new Webhook(target.url, {
    timeoutMs: target.timeoutMs,
    retry: webhookRetry,
    clock: ctx.clock,
    log: ctx.debug,
    fetch: createHttpFetch({ proxy: target.proxy, connectTimeoutMs: target.timeoutMs }),
  });
  const delivery = await webhook.post(renderRunReport(report));
  if (!delivery.ok) warn(ctx, `webhook to ${webhook.host} not delivered: ${delivery.reason}`);
}

function warn(ctx: Pick<ReportingContext, "io" | "colors">, text: string): void {
  ctx.io.stderr.write(warningLine(ctx.colors.stderr, text));
}
