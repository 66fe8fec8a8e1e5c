/** `kubectl autoupdate apply`: the same plan as `plan`, printed, confirmed, then exactly its deletions. */
import { confirm } from "../adapters/terminal.js";
import { type PlanPod, podsToDelete, summarize } from "../core/plan.js";
import { InterruptedError, PartialFailureError, RefusedError } from "../errors.js";
import {
  describeOutcome,
  describeReplacementProblem,
  renderDeletionSummary,
  renderRunSummary,
} from "../output/deletion-report.js";
import { imageMoves } from "../output/image-move.js";
import { deletePods, type PodOutcome } from "../pipeline/delete-pods.js";
import { counted } from "../util/counted.js";
import type { Context, PlanningOptions } from "./context.js";
import { showPlan } from "./plan.js";

export interface ApplyOptions extends PlanningOptions {
  yes: boolean;
  dryRun: boolean;
  /** Wait for each replacement to be Ready (and check it), the last one included. */
  wait: boolean;
  waitTimeoutMs: number;
  /** End with one JSON line (the CronJob's log is read by machines too). */
  summaryJson: boolean;
}

export async function applyCommand(ctx: Context<ApplyOptions>): Promise<void> {
  const { io, options } = ctx;
  const result = await showPlan(ctx);

  // With -o json|yaml stdout holds only the document; the deletion report goes to stderr.
  const report = options.output === "json" || options.output === "yaml" ? io.stderr : io.stdout;
  const targets = podsToDelete(result.plan);
  if (targets.length === 0) {
    io.stderr.write("Nothing to delete.\n");
    if (options.summaryJson) report.write(renderRunSummary(result.plan, [], 0, options.dryRun));
    return;
  }
  const { namespacesToDelete } = summarize(result.plan);
  if (!options.yes && !options.dryRun) {
    if (io.stdin.isTTY !== true) {
      throw new RefusedError(
        `refusing to delete ${counted(targets.length, "pod")} without confirmation: stdin is not a terminal (pass --yes)`,
      );
    }
    const question = `Delete ${counted(targets.length, "pod")} in ${counted(namespacesToDelete, "namespace")}? [y/N] `;
    if (!(await confirm(question, io.stdin, io.stderr, io.signal))) throw new RefusedError("nothing deleted");
  }

  // What is being rolled out, once per image: old → new digest, revision, age.
  for (const move of imageMoves(targets, ctx.clock.now())) report.write(`${move}\n`);
  const { outcomes, problems, warnings } = await deletePods(ctx.kubectl, targets, {
    dryRun: options.dryRun,
    wait: options.wait,
    waitTimeoutMs: options.waitTimeoutMs,
    pollMs: 1000,
    concurrency: options.concurrency,
    signal: io.signal,
    clock: ctx.clock,
    onOutcome: (pod: PlanPod, outcome: PodOutcome) =>
      report.write(`${describeOutcome(pod, outcome, options.dryRun, ctx.chalk)}\n`),
    onReplacementProblem: (problem) => report.write(`${describeReplacementProblem(problem, ctx.chalk)}\n`),
  });
  for (const warning of warnings) io.stderr.write(`${ctx.chalk.yellow("Warning:")} ${warning}\n`);
  report.write(renderDeletionSummary([...outcomes.values()], problems.length, options.dryRun));
  if (options.summaryJson) {
    report.write(renderRunSummary(result.plan, [...outcomes.values()], problems.length, options.dryRun));
  }

  const kinds = [...outcomes.values()].map((o) => o.kind);
  if (io.signal.aborted) throw new InterruptedError("interrupted: no further pods were deleted");
  if (kinds.includes("failed") || kinds.includes("not-started")) {
    throw new PartialFailureError("some planned pods were not deleted; see above");
  }
  if (problems.length > 0) {
    throw new PartialFailureError("some replacements did not come up on the new image; see above");
  }
}
