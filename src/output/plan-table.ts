/** The plan as kubectl-style tables: the pods that need action, or (wide) every container. */

import type { ChalkInstance } from "chalk";
import { cannotStartReason } from "../core/decide.js";
import { buildTime } from "../core/image-age.js";
import { shortDigest } from "../core/image-id.js";
import type {
  ContainerStatusVerdict,
  NewImage,
  Plan,
  PlanContainer,
  PlanPod,
  PlanSummary,
} from "../core/plan.js";
import { formatAge } from "../util/age.js";
import { counted } from "../util/counted.js";
import { shortRevision } from "./image-move.js";
import { tablePieces } from "./table.js";
import { escapeTerminal } from "./terminal-text.js";

export interface PlanTableOptions {
  wide: boolean;
  /** A NAMESPACE column first, as kubectl shows one when it lists every namespace (-A). */
  namespaceColumn: boolean;
  /** The clock's time, for the new images' ages. */
  now: number;
  noHeaders: boolean;
  chalk: ChalkInstance;
}

const headers = ["pod", "owner", "container", "image", "running", "latest", "action", "reason"];
const wideHeaders = [
  "pod",
  "owner",
  "node",
  "container",
  "image",
  "status",
  "running",
  "latest",
  "new revision",
  // The new image's, since its build: a bare AGE reads as the pod's, as in every kubectl table.
  "new age",
  "action",
  "reason",
];

/**
 * Default: one row per stale container of each pod to restart or skip. Wide: every container. ACTION names
 * how apply restarts the pod (rollout, evict, delete), and REASON why that way.
 */
export function renderPlanTable(plan: Plan, options: PlanTableOptions): Iterable<string> {
  const { chalk, namespaceColumn } = options;
  // Listed anew on each call (tablePieces reads them twice): a table of every pod is never held.
  function* rows(): Generator<string[]> {
    for (const pod of plan.pods) {
      const lead = namespaceColumn ? plain(pod.namespace) : [];
      if (options.wide) {
        for (const c of pod.containers) yield [...lead, ...wideRow(pod, c, chalk, options.now)];
        continue;
      }
      if (pod.action === "none") continue;
      for (const c of pod.containers) if (c.status === "stale") yield [...lead, ...row(pod, c, chalk)];
    }
  }
  const columns = options.wide ? wideHeaders : headers;
  const header = namespaceColumn ? ["namespace", ...columns] : columns;
  return { [Symbol.iterator]: () => tablePieces(header, rows, options.noHeaders) };
}

/**
 * Cells of text from the cluster or a registry (an image reference in another tenant's pod spec, an image's
 * labels, a registry's error), escaped before any colour is added: a control character reaches no terminal
 * and a newline breaks no row.
 */
const plain = (...cells: string[]): string[] => cells.map(escapeTerminal);

function row(pod: PlanPod, c: PlanContainer, chalk: ChalkInstance): string[] {
  return [
    ...plain(
      pod.name,
      ownerText(pod),
      containerName(c),
      c.image,
      shortDigest(c.runningDigest),
      shortDigest(c.latestDigest),
    ),
    actionText(pod, chalk),
    ...plain(podReason(pod)),
  ];
}

function wideRow(pod: PlanPod, c: PlanContainer, chalk: ChalkInstance, now: number): string[] {
  return [
    ...plain(pod.name, ownerText(pod), pod.node, containerName(c), c.image),
    statusText(c.status, chalk),
    ...plain(
      shortDigest(c.runningDigest),
      shortDigest(c.latestDigest),
      c.latestImage?.revision ? shortRevision(c.latestImage.revision) : "",
      c.latestImage ? newImageAge(c.latestImage, now) : "",
    ),
    actionText(pod, chalk),
    ...plain(wideReason(pod, c)),
  ];
}

/**
 * The container's own reason (why it is unknown, a note on its verdict), else the pod's; for a pod that is
 * skipped or restarted, why (or how) first, as the default table says it, then the container's.
 */
function wideReason(pod: PlanPod, c: PlanContainer): string {
  const why = podReason(pod);
  if (pod.action === "none" || !c.reason || !why) return c.reason || why;
  // A pod left for this container's reason quotes it already.
  return why === cannotStartReason(c) ? why : `${why}; ${c.reason}`;
}

/** The new image's age by its build time, kubectl-style; `?` when that time cannot be trusted. */
function newImageAge(image: NewImage, now: number): string {
  const time = buildTime(image.created, now);
  return time.ok ? formatAge(now - time.at) : "?";
}

function ownerText(pod: PlanPod): string {
  return pod.owner ? `${pod.owner.kind}/${pod.owner.name}` : "";
}

function containerName(c: PlanContainer): string {
  return c.init ? `${c.name} (init)` : c.name;
}

function actionText(pod: PlanPod, chalk: ChalkInstance): string {
  if (pod.action === "delete") return chalk.red(pod.restart?.strategy ?? "delete");
  if (pod.action === "skip") return chalk.yellow("skip");
  return "none";
}

function podReason(pod: PlanPod): string {
  return pod.restart?.reason ?? pod.reason;
}

function statusText(status: ContainerStatusVerdict, chalk: ChalkInstance): string {
  switch (status) {
    case "stale":
      return chalk.red(status);
    case "unknown":
      return chalk.yellow(status);
    case "current":
      return chalk.green(status);
    case "pinned":
      return status;
  }
}

/**
 * `4 stale (3 to restart in 2 namespaces, 1 skipped), 2 unknown, 10 current (16 pods checked)`: pods by
 * verdict; every skipped pod is a stale one apply will not restart. A pod that has finished is none of
 * these: it runs nothing.
 */
export function renderSummary(summary: PlanSummary, total: number): string {
  const stale = summary.toRestart + summary.skipped;
  const where = summary.toRestart > 0 ? ` in ${counted(summary.namespacesToRestart, "namespace")}` : "";
  const split = stale > 0 ? ` (${summary.toRestart} to restart${where}, ${summary.skipped} skipped)` : "";
  const optedOut = summary.optedOut > 0 ? `, ${summary.optedOut} opted out` : "";
  const finished = summary.finished > 0 ? `, ${summary.finished} finished` : "";
  return `${stale} stale${split}, ${summary.unknown} unknown, ${summary.current} current${optedOut}${finished} (${counted(total, "pod")} checked)\n`;
}
