/** Everything `plan` prints, as strings: the document or table on stdout, warnings on stderr. */

import { type Plan, summarize } from "../core/plan.js";
import { counted } from "../util/counted.js";
import type { StreamColors } from "./color.js";
import { planJsonPieces, planYamlPieces } from "./plan-document.js";
import { renderPlanTable, renderSummary } from "./plan-table.js";
import { escapeTerminal } from "./terminal-text.js";
import { warningLine } from "./warning.js";

/** How the plan is printed: -o table (default), wide, json or yaml. */
export type PlanFormat = "table" | "wide" | "json" | "yaml";

export interface RenderedPlan {
  /** In pieces, to be written in order: a large Plan document is never one string. */
  stdout: Iterable<string>;
  stderr: string;
}

export interface RenderPlanInput {
  plan: Plan;
  warnings: readonly string[];
  notes: readonly string[];
  format: PlanFormat;
  noHeaders: boolean;
  colors: StreamColors;
  /** The clock's time, for the new images' ages (-o wide). */
  now: number;
  /** Where the pods were listed: the namespace, or null for every namespace (-A). */
  namespace: string | null;
}

export function renderPlan(input: RenderPlanInput): RenderedPlan {
  const { plan, format, colors } = input;
  // Warnings and notes quote registries, image labels and the cluster: escaped for the terminal.
  const stderr = input.warnings.map((w) => warningLine(colors.stderr, w));
  // An opted-out pod is the user's to leave alone (the CronJob's own pod, before its imageID is known).
  const unknown = plan.pods
    .filter((p) => !p.optedOut)
    .flatMap((p) => p.containers)
    .filter((c) => c.status === "unknown").length;
  if (format === "json" || format === "yaml") {
    // A CI gate reading the document passes on unknown containers: said where a log shows it.
    if (unknown > 0)
      stderr.push(`${counted(unknown, "container")} could not be checked; the plan says why\n`);
    const stdout = format === "json" ? planJsonPieces(plan) : planYamlPieces(plan);
    return { stdout, stderr: stderr.join("") };
  }

  const wide = format === "wide";
  for (const line of podWarnings(plan)) stderr.push(warningLine(colors.stderr, line));
  if (unknown > 0 && !wide) {
    stderr.push(`${counted(unknown, "container")} could not be checked; -o wide shows why\n`);
  }
  if (wide) for (const note of input.notes) stderr.push(`${escapeTerminal(note)}\n`);
  if (plan.pods.length === 0) {
    // As kubectl get says it, naming where it looked: a mistyped -n finds nothing too.
    const where = input.namespace === null ? "" : ` in ${input.namespace} namespace.`;
    return { stdout: [], stderr: `${stderr.join("")}No resources found${where}\n` };
  }
  const table = renderPlanTable(plan, {
    wide,
    namespaceColumn: input.namespace === null,
    noHeaders: input.noHeaders,
    chalk: colors.stdout,
    now: input.now,
  });
  if (input.noHeaders) return { stdout: table, stderr: stderr.join("") };
  return { stdout: { [Symbol.iterator]: () => tableThenSummary(table, plan) }, stderr: stderr.join("") };
}

/** Pod names a grouped warning lists before it counts the rest. */
const namesListed = 3;

/**
 * The warnings of the pods to restart, one line per workload and warning: the pods of one template say
 * the same thing (a pull policy, a GitOps owner), and a line per pod would repeat it a replica count of
 * times. A warning of one pod names that pod; of several, the workload, the count and a few names.
 */
function podWarnings(plan: Plan): string[] {
  type Group = { who: string; namespace: string; names: string[]; count: number; warning: string };
  const groups = new Map<string, Group>();
  for (const pod of plan.pods) {
    if (pod.action !== "delete") continue;
    const { namespace, owner } = pod;
    const who = owner ? `${owner.kind} ${namespace}/${owner.name}` : `pod ${namespace}/${pod.name}`;
    for (const warning of pod.warnings) {
      const key = `${who}\u0000${warning}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { who, namespace, names: [pod.name], count: 1, warning });
      else if (++group.count <= namesListed) group.names.push(pod.name);
    }
  }
  return [...groups.values()].map(({ who, namespace, names, count, warning }) => {
    if (count === 1) return `pod ${namespace}/${names[0]}: ${warning}`;
    const more = count > namesListed ? `, ${count - namesListed} more` : "";
    return `${count} pods of ${who} (${names.join(", ")}${more}): ${warning}`;
  });
}

/** The table's pieces, then the summary line, a blank line apart when there is a table. */
function* tableThenSummary(table: Iterable<string>, plan: Plan): Generator<string> {
  let any = false;
  for (const piece of table) {
    any = true;
    yield piece;
  }
  yield `${any ? "\n" : ""}${renderSummary(summarize(plan), plan.pods.length)}`;
}
