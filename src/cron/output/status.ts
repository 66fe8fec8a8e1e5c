/** cron-status as text: a describe-like block and a table of recent Jobs, or a versioned document. */
import YAML from "yaml";
import { planApiVersion } from "../../output/plan-document.js";
import { renderTable } from "../../output/table.js";
import type { CronStatus } from "../core/jobs.js";

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
    jobs: status.jobs.map((job) => ({
      name: job.name,
      trigger: job.trigger,
      status: job.state,
      reason: job.reason ?? null,
      created: job.created ?? null,
      started: job.started ?? null,
      finished: job.finished ?? null,
    })),
  };
}

/** `cron-status -o json`. */
export function renderCronStatusJson(status: CronStatus): string {
  return `${JSON.stringify(toCronStatusDocument(status), null, 2)}\n`;
}

/** `cron-status -o yaml`. */
export function renderCronStatusYaml(status: CronStatus): string {
  return YAML.stringify(toCronStatusDocument(status), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** kubectl-style short ages: 45s, 12m, 3h20m, 5d. */
function formatAge(fromIso: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 1000));
  return formatSeconds(seconds);
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 || hours >= 8 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

function when(iso: string | null | undefined, now: Date): string {
  return iso ? `${iso} (${formatAge(iso, now)} ago)` : "<none>";
}

function duration(start: string | undefined, end: string | undefined, now: Date): string {
  if (!start) return "";
  const to = end ? Date.parse(end) : now.getTime();
  return formatSeconds(Math.max(0, Math.floor((to - Date.parse(start)) / 1000)));
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
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const block = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join("\n");
  if (status.jobs.length === 0) return `${block}\n\nNo jobs yet.\n`;
  const table = renderTable(
    ["job", "trigger", "status", "started", "duration", "reason"],
    status.jobs.map((job) => [
      job.name,
      job.trigger,
      job.state,
      job.started ? `${formatAge(job.started, now)} ago` : "",
      duration(job.started, job.finished, now),
      job.reason ?? "",
    ]),
    noHeaders,
  );
  return `${block}\n\n${table}`;
}
