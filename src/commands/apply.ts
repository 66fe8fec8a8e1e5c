/** `kubectl autoupdate apply`: the same plan as `plan`, printed, confirmed, then exactly its restarts. */
import { confirm } from "../adapters/terminal.js";
import { podsToRestart, summarize } from "../core/plan.js";
import { InterruptedError, PartialFailureError, RefusedError } from "../errors.js";
import { imageMoves } from "../output/image-move.js";
import {
  describeOutcome,
  describeReplacementProblem,
  describeRollout,
  renderRestartSummary,
  renderRunSummary,
} from "../output/restart-report.js";
import { restartPods } from "../pipeline/restart/restart-pods.js";
import { counted } from "../util/counted.js";
import type { Context, PlanningOptions } from "./context.js";
import { showPlan } from "./plan.js";

export interface ApplyOptions extends PlanningOptions {
  yes: boolean;
  dryRun: boolean;
  /** Wait for each replacement (each rollout) to be Ready and check it, the last one included. */
  wait: boolean;
  waitTimeoutMs: number;
  /** End with one JSON line (the CronJob's log is read by machines too). */
  summaryJson: boolean;
}

export async function applyCommand(ctx: Context<ApplyOptions>): Promise<void> {
  const { io, options } = ctx;
  const result = await showPlan(ctx);

  // With -o json|yaml stdout holds only the document; the restart report goes to stderr.
  const report = options.output === "json" || options.output === "yaml" ? io.stderr : io.stdout;
  const targets = podsToRestart(result.plan);
  if (targets.length === 0) {
    io.stderr.write("Nothing to restart.\n");
    if (options.summaryJson) {
      report.write(
        renderRunSummary(result.plan, { outcomes: new Map(), problems: [], rollouts: [] }, options.dryRun),
      );
    }
    return;
  }
  const { namespacesToDelete } = summarize(result.plan);
  if (!options.yes && !options.dryRun) {
    if (io.stdin.isTTY !== true) {
      throw new RefusedError(
        `refusing to restart ${counted(targets.length, "pod")} without confirmation: stdin is not a terminal (pass --yes)`,
      );
    }
    const question = `Restart ${counted(targets.length, "pod")} in ${counted(namespacesToDelete, "namespace")}? [y/N] `;
    if (!(await confirm(question, io.stdin, io.stderr, io.signal)))
      throw new RefusedError("nothing restarted");
  }

  // What is being rolled out, once per image: old → new digest, revision, age.
  for (const move of imageMoves(targets, ctx.clock.now())) report.write(`${move}\n`);
  const restarted = await restartPods(ctx.kubectl, targets, {
    strategy: options.strategy,
    dryRun: options.dryRun,
    wait: options.wait,
    waitTimeoutMs: options.waitTimeoutMs,
    pollMs: 1000,
    concurrency: options.concurrency,
    signal: io.signal,
    clock: ctx.clock,
    onOutcome: (pod, outcome) =>
      report.write(`${describeOutcome(pod, outcome, options.dryRun, ctx.chalk)}\n`),
    onReplacementProblem: (problem) => report.write(`${describeReplacementProblem(problem, ctx.chalk)}\n`),
    onRollout: (rollout) => report.write(`${describeRollout(rollout, options.dryRun, ctx.chalk)}\n`),
  });
  for (const warning of restarted.warnings) io.stderr.write(`${ctx.chalk.yellow("Warning:")} ${warning}\n`);
  report.write(renderRestartSummary(restarted.outcomes, restarted.problems.length, options.dryRun));
  if (options.summaryJson) report.write(renderRunSummary(result.plan, restarted, options.dryRun));

  const kinds = [...restarted.outcomes.values()].map((o) => o.kind);
  if (io.signal.aborted) {
    const rolling = kinds.includes("in-progress") ? "; a rollout started goes on on the server" : "";
    throw new InterruptedError(`interrupted: no further restarts were started${rolling}`);
  }
  if (kinds.includes("failed") || kinds.includes("not-started")) {
    throw new PartialFailureError("some planned pods were not restarted; see above");
  }
  if (restarted.problems.length > 0) {
    throw new PartialFailureError("some replacements did not come up on the new image; see above");
  }
}
