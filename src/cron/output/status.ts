/** cron-status as text: a describe-like block and a table of recent Jobs, or a versioned document. */
import { planApiVersion } from "../../output/plan-document.js";
import { renderTable } from "../../output/table.js";
import { escapeTerminal } from "../../output/terminal-text.js";
import { toYaml } from "../../output/yaml.js";
import { ageSince, formatAge } from "../../util/age.js";
import type { CronStatus } from "../core/status.js";

/** The document of `cron-status -o json|yaml`. */
export function toCronStatusDocument(status: CronStatus) {
  return {
    apiVersion: planApiVersion,
    kind: "CronStatus",
    name: status.name,
    namespace: status.namespace,
    schedule: status.schedule,
    timeZone: status.timeZone,
    suspended: status.suspended,
    scope: { ...status.scope },
    resolver: status.resolver,
    image: status.image,
    lastScheduleTime: status.lastScheduleTime,
    lastSuccessfulTime: status.lastSuccessfulTime,
    active: [...status.active],
    // Not known and none alike: the warning on stderr tells them apart.
    lastWarning: status.lastWarning === "unknown" ? null : status.lastWarning,
    jobs: status.jobs.map((job) => ({
      name: job.name,
      trigger: job.trigger,
      status: job.state,
      reason: job.reason ?? null,
      result: job.result ?? null,
      created: job.created ?? null,
      started: job.started ?? null,
      finished: job.finished ?? null,
    })),
    // Not known and not kept alike: the warning on stderr tells them apart.
    held: Array.isArray(status.held)
      ? status.held.map((h) => ({ ...h, restartedFor: [...h.restartedFor] }))
      : null,
  };
}

/** `cron-status -o json`. */
export function renderCronStatusJson(status: CronStatus): string {
  return `${JSON.stringify(toCronStatusDocument(status), null, 2)}\n`;
}

/** `cron-status -o yaml`. */
export function renderCronStatusYaml(status: CronStatus): string {
  return toYaml(toCronStatusDocument(status));
}

function when(iso: string | null | undefined, now: Date): string {
  return iso ? `${iso} (${ageSince(iso, now)} ago)` : "<none>";
}

function duration(start: string | undefined, end: string | undefined, now: Date): string {
  if (!start) return "";
  const to = end ? Date.parse(end) : now.getTime();
  return formatAge(to - Date.parse(start));
}

/** How many held controllers the block names; `-o yaml|json` lists them all. */
const heldShown = 3;

/**
 * The controllers whose pods the runs hold since one was restarted in vain, newest first:
 * `ReplicaSet shop/web-7d9c8b (recorded 3h ago), … and 2 more`.
 */
function held(controllers: Exclude<CronStatus["held"], null>, now: Date): string {
  if (controllers === "unknown") return "<unknown>";
  if (controllers.length === 0) return "<none>";
  const named = controllers
    .slice(0, heldShown)
    .map((h) => `${h.kind} ${h.namespace}/${h.name} (recorded ${ageSince(h.recorded, now)} ago)`);
  const more = controllers.length - heldShown;
  return `${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

/** `FailedCreate (4m ago): Error creating job: …`. */
function lastWarningText(warning: CronStatus["lastWarning"], now: Date): string {
  if (warning === "unknown") return "<unknown>";
  if (warning === null) return "<none>";
  const age = warning.time ? ` (${ageSince(warning.time, now)} ago)` : "";
  return `${warning.reason || "<unknown reason>"}${age}${warning.message ? `: ${warning.message}` : ""}`;
}

/** The human view; `now` makes the ages (the command passes the clock in). */
export function renderCronStatusTable(status: CronStatus, now: Date, noHeaders = false): string {
  const scope = status.scope.allNamespaces
    ? "all namespaces"
    : `namespace ${status.scope.namespace ?? status.namespace}`;
  const rows: [string, string][] = [
    ["Name", status.name],
    ["Namespace", status.namespace],
    ["Schedule", status.schedule],
    ["Time zone", status.timeZone ?? "<none> (the controller manager's, usually UTC)"],
    ["Suspended", status.suspended ? "true" : "false"],
    ["Scope", status.scope.selector ? `${scope}, pods matching ${status.scope.selector}` : scope],
    ["Resolver", status.resolver ?? "<unknown>"],
    ["Image", status.image ?? "<unknown>"],
    ["Last schedule", when(status.lastScheduleTime, now)],
    ["Last success", when(status.lastSuccessfulTime, now)],
    ["Active", status.active.length > 0 ? status.active.join(", ") : "<none>"],
    ["Last warning", lastWarningText(status.lastWarning, now)],
    // No row for an install that keeps no record (--strategy rollout, or installed by a version without one).
    ...(status.held === null ? [] : [["Held", held(status.held, now)] as [string, string]]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  // The values and the Jobs' results are the cluster's text (a run's termination message, a Job's reason).
  const block = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${escapeTerminal(v)}`.trimEnd()).join("\n");
  if (status.jobs.length === 0) {
    // Each Job is removed a day after it finished (ttlSecondsAfterFinished): a weekly run's often are.
    const none = status.lastScheduleTime
      ? "No jobs: each is removed a day after it finished."
      : "No jobs yet.";
    return `${block}\n\n${none}\n`;
  }
  const table = renderTable(
    ["job", "trigger", "status", "started", "duration", "result"],
    status.jobs.map((job) =>
      [
        job.name,
        job.trigger,
        job.state,
        job.started ? `${ageSince(job.started, now)} ago` : "",
        duration(job.started, job.finished, now),
        // What the run said; the Job's own reason when it said nothing (e.g. stopped at its deadline).
        job.result ?? job.reason ?? "",
      ].map(escapeTerminal),
    ),
    noHeaders,
  );
  return `${block}\n\n${table}`;
}
