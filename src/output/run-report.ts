/**
 * The RunReport (apiVersion kubectl-autoupdate/v1): what `apply --webhook-url` posts once per run — the
 * RunSummary, each restarted controller with its old → new digests and the new image's revision, the run's
 * outcome, and a `text` summing it up for chat webhooks (Slack's incoming webhooks read only `text`).
 * A published contract like the Plan: fields are listed one by one.
 */

import type { NewImage, Plan, PlanPod } from "../core/plan.js";
import { clipped } from "../util/clipped.js";
import { isoSeconds } from "../util/iso-seconds.js";
import { imageMoves } from "./image-move.js";
import { planApiVersion } from "./plan-document.js";
import {
  type ControllerSummary,
  controllerOutcomes,
  type RestartOutcomes,
  type RunSummary,
  renderRestartSummary,
  runSummary,
} from "./restart-report.js";

/** One stale container of a restarted controller's pods: what it ran, and what the tag points to now. */
interface ImageChange {
  container: string;
  image: string;
  oldDigest: string | null;
  newDigest: string | null;
  /** The new image's build time and labels, as in the Plan's `latestImage`. */
  newImage?: NewImage;
}

/** One restarted controller: how, what became of it, its planned pods and what moved in them. */
interface RestartEntry {
  namespace: string;
  kind: string;
  name: string;
  strategy: ControllerSummary["strategy"];
  outcome: ControllerSummary["outcome"];
  reason?: string;
  /** The names of its planned pods. */
  pods: string[];
  images: ImageChange[];
}

export interface RunReport {
  apiVersion: typeof planApiVersion;
  kind: "RunReport";
  /** Unique per run: a receiver can drop a retried delivery it already has. */
  id: string;
  /** When the report was made (the run's end), RFC 3339. */
  time: string;
  outcome: "succeeded" | "failed" | "interrupted";
  /** The run's error, when it failed or was interrupted. */
  error?: string;
  dryRun: boolean;
  /** Null when the run failed before its plan was made. */
  summary: RunSummary | null;
  restarts: RestartEntry[];
  /** The same in a few lines of Slack mrkdwn. */
  text: string;
}

export interface RunReportInput {
  id: string;
  /** The clock's now. */
  now: number;
  dryRun: boolean;
  plan?: Plan;
  restarted?: RestartOutcomes;
  /** Why the run failed; `interrupted` for SIGINT/SIGTERM. */
  error?: { message: string; interrupted: boolean };
}

/** Controllers listed in `text`; the rest are counted. */
const maxTextLines = 20;

export function runReport(input: RunReportInput): RunReport {
  const { plan, restarted, error } = input;
  const controllers = restarted ? controllerOutcomes(restarted, input.dryRun) : [];
  const restarts = controllers.map(
    ({ summary: s, pods }): RestartEntry => ({
      namespace: s.namespace,
      kind: s.kind,
      name: s.name,
      strategy: s.strategy,
      outcome: s.outcome,
      ...(s.reason ? { reason: s.reason } : {}),
      pods: pods.map((p) => p.name),
      images: imageChanges(pods),
    }),
  );
  const report: Omit<RunReport, "text"> = {
    apiVersion: planApiVersion,
    kind: "RunReport",
    id: input.id,
    time: isoSeconds(input.now),
    outcome: error ? (error.interrupted ? "interrupted" : "failed") : "succeeded",
    ...(error ? { error: error.message } : {}),
    dryRun: input.dryRun,
    summary: plan ? runSummary(plan, restarted ?? noRestarts, input.dryRun) : null,
    restarts,
  };
  return { ...report, text: reportText(report, controllers, restarted, input.now) };
}

export function renderRunReport(report: RunReport): string {
  return JSON.stringify(report);
}

const noRestarts: RestartOutcomes = { outcomes: new Map(), problems: [], rollouts: [] };

function imageChanges(pods: readonly PlanPod[]): ImageChange[] {
  const seen = new Map<string, ImageChange>();
  for (const pod of pods) {
    for (const c of pod.containers) {
      if (c.status !== "stale") continue;
      const key = `${c.name} ${c.image} ${c.runningDigest} ${c.latestDigest}`;
      if (seen.has(key)) continue;
      seen.set(key, {
        container: c.name,
        image: c.image,
        oldDigest: c.runningDigest,
        newDigest: c.latestDigest,
        ...(c.latestImage ? { newImage: { ...c.latestImage } } : {}),
      });
    }
  }
  return [...seen.values()];
}

/**
 * `kubectl-autoupdate apply: 2 replaced by rollout (of 2 planned)`, then a bullet per controller:
 * `• Deployment shop/web (rollout) restarted: web:main 0e02c92 → c7ede51 (revision 9f8e7d1, built 12m ago)`.
 */
function reportText(
  report: Omit<RunReport, "text">,
  controllers: ReturnType<typeof controllerOutcomes>,
  restarted: RestartOutcomes | undefined,
  now: number,
): string {
  const counts = restarted
    ? renderRestartSummary(restarted.outcomes, restarted.problems.length, report.dryRun).trimEnd()
    : "";
  // The error cut, the counts kept; each piece escaped before it is measured.
  const head =
    report.outcome === "succeeded"
      ? escapeMrkdwn(`kubectl-autoupdate apply: ${counts}`)
      : [
          clippedMrkdwn(
            escapeMrkdwn(
              `kubectl-autoupdate apply ${report.outcome === "interrupted" ? "was interrupted" : "failed"}: ${oneLine(report.error ?? "")}`,
            ),
            maxHeadLength,
          ),
          ...(counts ? [escapeMrkdwn(counts)] : []),
        ].join("\n");
  // What went wrong first, then what is still under way, then what restarted: the bullets that fit may not
  // reach the end.
  const worstFirst = [...controllers].sort((a, b) => rank(a.summary.outcome) - rank(b.summary.outcome));
  const bullets: string[] = [];
  let length = head.length;
  for (const { summary: s, pods } of worstFirst) {
    const moves = imageMoves(pods, now).join(", ");
    const why = s.reason ? `: ${s.reason}` : "";
    const line = `• ${s.kind} ${s.namespace}/${s.name} (${s.strategy}) ${s.outcome}${why} — ${moves}`;
    const bullet = clippedMrkdwn(escapeMrkdwn(oneLine(line)), maxBulletLength);
    if (bullets.length === maxTextLines || length + bullet.length + 1 > maxTextLength) break;
    bullets.push(bullet);
    length += bullet.length + 1;
  }
  if (controllers.length > bullets.length) bullets.push(`… and ${controllers.length - bullets.length} more`);
  return [head, ...bullets].join("\n");
}

/** A chat message's text stays under Slack's 4,000 characters (Rocket.Chat refuses more than 5,000). */
const maxTextLength = 3500;
/** The most one bullet, or the run's error, takes: a long one leaves room for the others. */
const maxBulletLength = 400;
const maxHeadLength = 1000;

const outcomeRanks: Record<string, number> = { failed: 0, "not-started": 0, "in-progress": 1, started: 1 };
function rank(outcome: string): number {
  return outcomeRanks[outcome] ?? 2;
}

/**
 * On one line: text quoting the cluster may hold line breaks, which would read as bullets of their own; a
 * chat may break a line at any of Unicode's line terminators, not only at \n.
 */
function oneLine(text: string): string {
  return text.replace(/\s*[\n\r\v\f\x85\u2028\u2029][\s\x85]*/g, " ");
}

/** Escaped text clipped as util/clipped.ts clips it, an entity (`&amp;`) not split either. */
function clippedMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const entity = text.lastIndexOf("&", max - 1);
  const split = entity >= 0 && entity > max - 6 && !text.slice(entity, max - 1).includes(";");
  return clipped(text, split ? entity + 1 : max);
}

/** Slack reads `&`, `<` and `>` as markup: they are escaped, as its formatting rules ask. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
