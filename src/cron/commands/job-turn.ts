/**
 * One run at a time for the CronJob's Jobs: the controller's `concurrencyPolicy: Forbid` sees only the Jobs
 * it scheduled, so a scheduled run could start while a run-now Job is still restarting pods (and two
 * run-now at once both start). The job's apply asks here first.
 */
import type { Kubectl } from "../../adapters/kubectl.js";
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import { HeldBackError, ToolFailedError } from "../../errors.js";
import type { StreamColors } from "../../output/color.js";
import { warningLine } from "../../output/warning.js";
import type { Clock } from "../../util/clock.js";
import { listJobs } from "../adapters/kubectl.js";
import { managedSelector } from "../core/install-labels.js";
import type { OwnJob } from "../core/job-contract.js";
import { isStuckStopping } from "../core/jobs.js";
import { type Turn, turnOf } from "../core/turn.js";
import {
  gaveWayResult,
  giveWayEvent,
  giveWayLine,
  heldBackLine,
  noJobName,
  runSkippedJson,
  unsureLine,
} from "../output/turn.js";

export interface TurnDeps {
  kubectl: Kubectl;
  io: { stderr: NodeJS.WritableStream; hostname: string };
  colors: StreamColors;
  clock: Clock;
  /** Where the RunSummary would go, when asked for one. */
  summary: NodeJS.WritableStream | null;
}

/**
 * Takes this run's turn: undefined when it goes on; when it gives way, the result that says to whom. A run
 * that gives way says so, records it on the CronJob and ends well; one held back by a Job nothing will end (a
 * suspended one, or one whose pod is stuck stopping) fails.
 * When its own Job cannot be found it goes on with a warning; when the Jobs cannot be read it stops,
 * restarting nothing (the next run asks again).
 */
export async function takeTurn(deps: TurnDeps, own: OwnJob): Promise<string | undefined> {
  const turn = await judge(deps.kubectl, own);
  if (turn.kind === "go") return undefined;
  if (turn.kind === "unknown") {
    deps.io.stderr.write(warningLine(deps.colors.stderr, unsureLine(turn.why)));
    return undefined;
  }
  const now = deps.clock.now();
  const heldBack = turn.earlier.state === "Suspended" || isStuckStopping(turn.earlier, now);
  const created = await deps.kubectl.createEvent(
    giveWayEvent(turn, heldBack, own.namespace, now, deps.io.hostname),
  );
  if (!created.ok) {
    deps.io.stderr.write(
      warningLine(deps.colors.stderr, `could not record the skipped run: ${created.reason}`),
    );
  }
  if (heldBack) throw new HeldBackError(heldBackLine(turn, own.namespace));
  deps.io.stderr.write(`${giveWayLine(turn)}\n`);
  deps.summary?.write(runSkippedJson(turn));
  return gaveWayResult(turn);
}

async function judge(kubectl: Kubectl, own: OwnJob): Promise<Turn> {
  if (own.name === "") return { kind: "unknown", why: noJobName };
  try {
    return turnOf(own.name, await listJobs(kubectl, own.namespace, managedSelector));
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    throw new ToolFailedError(
      `cannot tell whether another run of the CronJob is in progress, so nothing was restarted: ${error.message}`,
    );
  }
}
