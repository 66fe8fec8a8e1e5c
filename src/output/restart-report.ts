/**
 * What apply reports as it restarts: a line per evicted or deleted pod, a line per rollout, a closing count.
 * The reasons quote the cluster (the API server's words in kubectl's errors): escaped for the terminal.
 */
import type { ChalkInstance } from "chalk";
import { type Plan, type PlanPod, type RestartMethod, restartGroupKey, summarize } from "../core/plan.js";
import type {
  CompletedRestart,
  PodOutcome,
  ReplacementProblem,
  RolloutReport,
} from "../core/restart-outcomes.js";
import { counted } from "../util/counted.js";
import { groupBy } from "../util/group-by.js";
import { escapeTerminal, terminalSafeJson } from "./terminal-text.js";

const pastTense: Record<RestartMethod, string> = { rollout: "rolled", evict: "evicted", delete: "deleted" };

function verbOf(pod: PlanPod): string {
  return pastTense[pod.restart?.strategy ?? "delete"];
}

export function describeOutcome(
  pod: PlanPod,
  outcome: PodOutcome,
  dryRun: boolean,
  chalk: ChalkInstance,
): string {
  const name = `pod ${pod.namespace}/${pod.name}`;
  const verb = verbOf(pod);
  switch (outcome.kind) {
    case "deleted":
    case "evicted":
    case "rolled":
      return `${name} ${verb}${dryRun ? " (server dry run)" : ""}`;
    case "in-progress":
      return `${name} is being replaced by a rollout still in progress on the server`;
    case "gone":
      return outcome.reason ? `${name} gone: ${escapeTerminal(outcome.reason)}` : `${name} already gone`;
    case "replaced":
      return `${name} not ${verb}: ${outcome.reason ?? "it was replaced since the plan was made"}`;
    case "failed":
      return `${name} ${chalk.red(`not ${verb}`)}: ${escapeTerminal(outcome.reason)}`;
    case "not-started":
      return `${name} ${chalk.yellow(`not ${verb}`)}: ${escapeTerminal(outcome.reason)}`;
  }
}

/** The line after a restarted pod whose replacement did not come up as planned. */
export function describeReplacementProblem(problem: ReplacementProblem, chalk: ChalkInstance): string {
  const { pod } = problem;
  const reason = escapeTerminal(problem.reason);
  return `pod ${pod.namespace}/${pod.name} ${verbOf(pod)}, ${chalk.red("but")}: ${reason}`;
}

/**
 * The line after a restarted pod whose replacement was not checked, saying why: its controller scaled down
 * meanwhile, its pods not countable, the run stopped. Null for anything else.
 */
export function describeUncheckedReplacement(restart: CompletedRestart): string | null {
  const { pod, replacement } = restart;
  if (!pod || replacement.kind !== "unchecked") return null;
  const why = escapeTerminal(replacement.why);
  return `pod ${pod.namespace}/${pod.name} ${verbOf(pod)}, its replacement not checked: ${why}`;
}

/** `deployment.apps shop/web`: kubectl's resource name, and the namespace as pod lines show it (-A runs). */
function workloadRef(report: RolloutReport): string {
  return `${report.controller.kind.toLowerCase()}.apps ${report.namespace}/${report.controller.name}`;
}

/** One line per rollout: restarted, started, still in progress, or not restarted and why. */
export function describeRollout(report: RolloutReport, dryRun: boolean, chalk: ChalkInstance): string {
  const name = workloadRef(report);
  const { outcome } = report;
  switch (outcome.kind) {
    case "rolled-out": {
      const replaced = `${name} restarted (rollout): ${counted(outcome.pods, "pod")} replaced`;
      if (!outcome.unchecked) return replaced;
      return `${replaced}, ${chalk.yellow("not checked")} for the old digest (${escapeTerminal(outcome.unchecked)})`;
    }
    case "started":
      return dryRun
        ? `${name} restarted (rollout, server dry run)`
        : `${name} restart started (rollout, not followed: --no-wait)`;
    case "in-progress": {
      const progress = escapeTerminal(outcome.progress);
      return `${name} restart ${chalk.yellow("still in progress on the server")} (${progress})`;
    }
    case "not-started":
      return `${name} ${chalk.yellow("not restarted")}: ${escapeTerminal(outcome.reason)}`;
    case "replaced":
      return `${name} not restarted: ${whyNothingToRoll(outcome, report.pods.length)}`;
    case "failed":
      return outcome.patched
        ? `${name} restarted (rollout), ${chalk.red("but")}: ${escapeTerminal(outcome.reason)}`
        : `${name} ${chalk.red("not restarted")}: ${escapeTerminal(outcome.reason)}`;
  }
}

/**
 * As each evicted pod's line would say: already gone, replaced since the plan, or on the new image already.
 */
function whyNothingToRoll(
  { gone, current = [] }: { gone: readonly string[]; current?: readonly string[] },
  planned: number,
): string {
  const one = planned === 1;
  const pods = one ? "pod" : "pods";
  if (current.length === planned)
    return `its planned ${pods} restarted onto the new image since the plan was made`;
  if (gone.length === planned) return `its planned ${pods} ${one ? "is" : "are"} already gone`;
  if (current.length === 0) {
    return gone.length === 0
      ? `its planned ${pods} ${one ? "was" : "were"} replaced since the plan was made`
      : `its planned pods were replaced since the plan was made, or are already gone (${gone.length} of ${planned})`;
  }
  return `its planned pods were replaced since the plan was made, restarted onto the new image or are already gone (${current.length} on the new image, ${gone.length} gone, of ${planned})`;
}

/** `2 replaced by rollout, 1 evicted, 1 failed (of 4 planned)`: the planned pods by what became of them. */
export function renderRestartSummary(
  outcomes: ReadonlyMap<PlanPod, PodOutcome>,
  replacementProblems: number,
  dryRun: boolean,
): string {
  const all = [...outcomes.values()];
  const count = (kind: PodOutcome["kind"]) => all.filter((o) => o.kind === kind).length;
  const done = [
    [count("rolled"), "replaced by rollout"],
    [count("evicted"), "evicted"],
    [count("deleted"), "deleted"],
  ] as const;
  const strategies = new Set([...outcomes.keys()].map((pod) => pod.restart?.strategy ?? "delete"));
  const only = strategies.size === 1 ? [...strategies][0]! : null;
  let parts = done.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  if (parts.length === 0) {
    parts = [`0 ${only === "rollout" ? "replaced by rollout" : only ? pastTense[only] : "restarted"}`];
  }
  if (count("in-progress") > 0) parts.push(`${count("in-progress")} still being replaced on the server`);
  const goneDuring = all.filter((o) => o.kind === "gone" && o.reason).length;
  if (count("gone") > goneDuring) parts.push(`${count("gone") - goneDuring} already gone`);
  if (goneDuring > 0) parts.push(`${goneDuring} gone during the restart`);
  if (count("replaced") > 0) parts.push(`${count("replaced")} replaced since the plan`);
  if (count("failed") > 0) parts.push(`${count("failed")} failed`);
  if (count("not-started") > 0) parts.push(`${count("not-started")} not started`);
  // Pods above, each counted once; a replacement that did not come up as planned is a workload's.
  const problems =
    replacementProblems > 0 ? `; ${counted(replacementProblems, "workload")} not replaced as planned` : "";
  const dry = dryRun ? ", server dry run" : "";
  return `${parts.join(", ")} (of ${all.length} planned${dry})${problems}\n`;
}

/** One controller's entry in the RunSummary. */
export interface ControllerSummary {
  namespace: string;
  kind: string;
  name: string;
  strategy: RestartMethod;
  pods: number;
  outcome: "restarted" | "started" | "in-progress" | "not-started" | "failed";
  reason?: string;
}

export interface RestartOutcomes {
  outcomes: ReadonlyMap<PlanPod, PodOutcome>;
  problems: readonly ReplacementProblem[];
  rollouts: readonly RolloutReport[];
  /**
   * Evicted or deleted pods whose replacement was not checked, with why: their controller's restart only
   * started.
   */
  unchecked?: ReadonlyMap<PlanPod, string>;
}

/**
 * One JSON line: what the run found and did, per controller too, for logs read by machines (the CronJob's).
 */
export function renderRunSummary(plan: Plan, restarted: RestartOutcomes, dryRun: boolean): string {
  // Beside the report, on a terminal: its strings quote the cluster (a webhook's denial, kubectl's errors).
  return `${terminalSafeJson(JSON.stringify(runSummary(plan, restarted, dryRun)))}\n`;
}

/** The RunSummary: the plan's counts, what became of the planned pods, and each controller's outcome. */
export function runSummary(plan: Plan, restarted: RestartOutcomes, dryRun: boolean) {
  const summary = summarize(plan);
  const all = [...restarted.outcomes.values()];
  const count = (kind: PodOutcome["kind"]) => all.filter((o) => o.kind === kind).length;
  const planned = (strategy: RestartMethod) =>
    plan.pods.filter((p) => p.action === "delete" && p.restart?.strategy === strategy).length;
  return {
    kind: "RunSummary",
    resolver: plan.resolver,
    ...(plan.strategy ? { strategy: plan.strategy } : {}),
    dryRun,
    pods: plan.pods.length,
    stale: summary.toRestart + summary.skipped,
    skipped: summary.skipped,
    unknown: summary.unknown,
    current: summary.current,
    optedOut: summary.optedOut,
    finished: summary.finished,
    deleted: count("deleted"),
    evicted: count("evicted"),
    rolledOut: count("rolled"),
    inProgress: count("in-progress"),
    failed: count("failed") + count("not-started"),
    gone: count("gone"),
    replacedSincePlan: count("replaced"),
    notReplaced: restarted.problems.length,
    restarts: { rollout: planned("rollout"), evict: planned("evict"), delete: planned("delete") },
    controllers: controllerOutcomes(restarted, dryRun).map(({ summary }) => summary),
  };
}

export type RunSummary = ReturnType<typeof runSummary>;

/** A controller's entry in the RunSummary, with its planned pods. */
export interface ControllerOutcome {
  summary: ControllerSummary;
  pods: readonly PlanPod[];
}

/**
 * Each restarted controller's summary and pods: rollouts first, then evictions and deletions, each by
 * namespace, kind and name, so that runs alike read alike whatever order their restarts ended in.
 */
export function controllerOutcomes(restarted: RestartOutcomes, dryRun: boolean): ControllerOutcome[] {
  const rollouts = rolloutOutcomes(restarted, dryRun).sort(byWorkload);
  return [...rollouts, ...oneAtATimeOutcomes(restarted, dryRun).sort(byWorkload)];
}

function byWorkload({ summary: a }: ControllerOutcome, { summary: b }: ControllerOutcome): number {
  const key = (s: ControllerSummary) => [s.namespace, s.kind, s.name];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

function rolloutOutcomes(restarted: RestartOutcomes, dryRun: boolean): ControllerOutcome[] {
  return restarted.rollouts.map((report) => ({
    summary: {
      namespace: report.namespace,
      kind: report.controller.kind,
      name: report.controller.name,
      strategy: "rollout",
      pods: report.pods.length,
      ...rolloutSummary(report, leftByRollout(restarted, report), dryRun),
    },
    pods: report.pods,
  }));
}

function oneAtATimeOutcomes(restarted: RestartOutcomes, dryRun: boolean): ControllerOutcome[] {
  const entries: ControllerOutcome[] = [];
  const oneAtATime = [...restarted.outcomes.keys()].filter(
    (pod) => pod.restart && pod.restart.strategy !== "rollout",
  );
  const groups = groupBy(oneAtATime, (pod) => restartGroupKey(pod, pod.restart!));
  // Each pod's first problem, by where it stands among them: a group's is the first of its pods'.
  const problemOf = new Map<PlanPod, { at: number; problem: ReplacementProblem }>();
  restarted.problems.forEach((problem, at) => {
    if (!problemOf.has(problem.pod)) problemOf.set(problem.pod, { at, problem });
  });
  for (const pods of groups.values()) {
    const { restart, namespace } = pods[0]!;
    const outcomes = pods.map((pod) => restarted.outcomes.get(pod)!);
    let first: { at: number; problem: ReplacementProblem } | undefined;
    for (const pod of pods) {
      const found = problemOf.get(pod);
      if (found && (!first || found.at < first.at)) first = found;
    }
    const problem = first?.problem;
    const failed = outcomes.find((o) => o.kind === "failed");
    const notStarted = outcomes.find((o) => o.kind === "not-started");
    const acted = outcomes.some((o) => o.kind === "evicted" || o.kind === "deleted");
    const trouble = failed ?? notStarted;
    let outcome: ControllerSummary["outcome"];
    let reason = trouble && "reason" in trouble ? trouble.reason : problem?.reason;
    // Cut short by the run's stop, as a rollout the run stopped following: what was done, and what not.
    const cut = notStarted && outcomes.every((o) => o.kind !== "not-started" || o.stopped);
    if (acted && cut && !failed && !problem) {
      outcome = "in-progress";
      const done = outcomes.filter((o) => o.kind === "evicted" || o.kind === "deleted").length;
      reason = `${reason}: ${done} of ${pods.length} pods ${pastTense[restart!.strategy]}`;
    } else if (failed || (acted && (notStarted || problem))) outcome = "failed";
    else if (!acted) {
      // Nothing evicted or deleted: stopped before, or every pod already gone or replaced since the plan.
      outcome = "not-started";
      reason ??= outcomes.some((o) => o.kind === "gone") ? "already gone" : "replaced since the plan";
    } else {
      const whys = dryRun ? [] : [...new Set(pods.flatMap((pod) => restarted.unchecked?.get(pod) ?? []))];
      outcome = !dryRun && whys.length === 0 ? "restarted" : "started";
      // As a rollout's: why a restart that went is not known done as planned.
      if (whys.length > 0) reason ??= `not checked (${whys.join("; ")})`;
    }
    entries.push({
      summary: {
        namespace,
        kind: restart!.controller.kind,
        name: restart!.controller.name,
        strategy: restart!.strategy,
        pods: pods.length,
        outcome,
        ...(reason ? { reason } : {}),
      },
      pods,
    });
  }
  return entries;
}

/**
 * A rolled workload's planned pods left for reasons of their own (taken out of it since the plan: the
 * rollout does not replace them), as the evict path's pods not started: `NAME: reason`.
 */
function leftByRollout(restarted: RestartOutcomes, report: RolloutReport): string[] {
  if (report.outcome.kind === "not-started") return [];
  return report.pods.flatMap((pod) => {
    const outcome = restarted.outcomes.get(pod);
    return outcome?.kind === "not-started" ? [`${pod.name}: ${outcome.reason}`] : [];
  });
}

function rolloutSummary(
  report: RolloutReport,
  left: readonly string[],
  dryRun: boolean,
): Pick<ControllerSummary, "outcome" | "reason"> {
  const { outcome } = report;
  // Rolled (patched), and some planned pods left running the old digest, which no rollout replaces: failed,
  // as an evicted workload's would be, naming them beside what else went wrong.
  if (left.length > 0 && outcome.kind !== "not-started" && outcome.kind !== "replaced") {
    const besides =
      outcome.kind === "in-progress" ? outcome.progress : outcome.kind === "failed" ? outcome.reason : "";
    return { outcome: "failed", reason: [besides, ...left].filter(Boolean).join("; ") };
  }
  switch (outcome.kind) {
    case "rolled-out":
      // As an evicted workload's whose replacement was not checked: begun, not known done as planned.
      return outcome.unchecked
        ? { outcome: "started", reason: `not checked for the old digest (${outcome.unchecked})` }
        : { outcome: "restarted" };
    case "started":
      // Not followed: --no-wait (a dry run is only started, as an eviction's is).
      return dryRun ? { outcome: "started" } : { outcome: "started", reason: "not checked (--no-wait)" };
    case "in-progress":
      return { outcome: "in-progress", reason: outcome.progress };
    case "not-started":
      return { outcome: "not-started", reason: outcome.reason };
    case "replaced":
      // As an evicted workload's whose pods were all gone or replaced since the plan.
      return {
        outcome: "not-started",
        reason: outcome.gone.length > 0 ? "already gone" : "replaced since the plan",
      };
    case "failed":
      return { outcome: "failed", reason: outcome.reason };
  }
}
