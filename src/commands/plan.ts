/** `kubectl autoupdate plan`: gather → resolve → decide → print. Changes nothing. */
import { hasStalePods } from "../core/plan.js";
import { ExitCode, InterruptedError } from "../errors.js";
import { isGone, writePieces } from "../io.js";
import type { PlanRenderer } from "../output/render-plan.js";
import { makePlan, type PlanResult } from "../pipeline/make-plan.js";
import type { Context, PlanningOptions } from "./context.js";

export interface PlanOptions extends PlanningOptions {
  /** Exit 2 when some container is stale (a CI gate). */
  exitCode: boolean;
}

export async function planCommand(ctx: Context<PlanOptions>): Promise<void> {
  const { plan } = await showPlan(ctx);
  // Stale pods that apply would skip count too: the gate is about staleness, not about deletions.
  if (ctx.options.exitCode && hasStalePods(plan)) throw new ExitCode(2);
}

/** The plan both verbs print: made while the spinner runs, then printed (table or document). */
export async function showPlan(ctx: Context): Promise<PlanResult> {
  const { options } = ctx;
  let made: [PlanResult, PlanRenderer];
  try {
    // The format's renderer (the yaml library, or cli-table3) loads while the plan is being made.
    made = await Promise.all([
      makePlan(ctx.kubectl, () => ctx.resolver(), {
        scope: options.scope,
        strategy: options.strategy,
        concurrency: options.concurrency,
        images: options.images,
        minAgeMs: options.minAgeMs,
        record: options.record,
        now: ctx.clock.now(),
        extraCredentials: ctx.extraCredentials,
        extraWarnings: ctx.credentialWarnings,
        signal: ctx.io.signal,
        onPhase: (text) => {
          ctx.progress.update(text);
          ctx.debug(text);
        },
      }),
      import("../output/render-plan.js").then(({ planRenderer }) => planRenderer(options.output)),
    ]);
  } finally {
    ctx.progress.stop();
  }
  const [result, renderPlan] = made;
  const rendered = renderPlan({
    ...result,
    noHeaders: options.noHeaders,
    colors: ctx.colors,
    now: ctx.clock.now(),
    // Asked already by the pod list when no -n was given: no new call.
    namespace: (await ctx.kubectl.namespaceOf(options.scope)) ?? null,
  });
  ctx.io.stderr.write(rendered.stderr);
  const written = await writePieces(ctx.io.stdout, rendered.stdout, ctx.io.signal);
  // Stopped while printing, as kubectl is: no whole plan, exit 1. Output that can no longer be written ends
  // the run by itself (141, or 1 and why).
  const outputFailed = isGone(ctx.io.stdout) || ctx.io.isOutputFailure?.(ctx.io.signal.reason) === true;
  if (written === "stopped" && !outputFailed) {
    throw new InterruptedError("interrupted while the plan was printed: what was printed is incomplete");
  }
  return result;
}
