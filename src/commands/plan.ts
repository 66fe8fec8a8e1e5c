/** `kubectl autoupdate plan`: gather → decide → print. Changes nothing. */
import type { Context } from "../context.js";
import { hasStalePods } from "../core/plan.js";
import { ExitCode, InterruptedError } from "../errors.js";
import { renderPlan } from "../output/render-plan.js";
import { makePlan, type PlanResult } from "../pipeline/make-plan.js";

export interface PlanFlags {
  exitCode: boolean;
}

export async function planCommand(ctx: Context, flags: PlanFlags): Promise<void> {
  const result = await computePlan(ctx);
  printPlan(ctx, result);
  // Stale pods that apply would skip count too: the gate is about staleness, not about deletions.
  if (flags.exitCode && hasStalePods(result.plan)) throw new ExitCode(2);
}

/**
 * The plan both verbs print, with the spinner running while it is computed. An interrupted run's plan is
 * full of images cancelled mid-pull (unknown): it is not printed, and the run fails (a CI gate must not pass).
 */
export async function computePlan(ctx: Context): Promise<PlanResult> {
  const { options } = ctx;
  let result: PlanResult;
  try {
    result = await makePlan(ctx.kubectl, ctx.resolver(), {
      scope: options.scope,
      concurrency: options.concurrency,
      extraCredentials: ctx.extraCredentials,
      extraWarnings: ctx.credentialWarnings,
      signal: ctx.io.signal,
      onPhase: (text) => {
        ctx.progress.update(text);
        ctx.debug(text);
      },
    });
  } finally {
    ctx.progress.stop();
  }
  if (ctx.io.signal.aborted)
    throw new InterruptedError("interrupted before the plan was complete: nothing printed");
  return result;
}

export function printPlan(ctx: Context, result: PlanResult): void {
  const rendered = renderPlan({
    ...result,
    format: ctx.options.output,
    noHeaders: ctx.options.noHeaders,
    chalk: ctx.chalk,
  });
  ctx.io.stderr.write(rendered.stderr);
  ctx.io.stdout.write(rendered.stdout);
}
