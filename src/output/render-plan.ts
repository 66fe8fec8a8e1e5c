/** Everything `plan` prints, as strings: the document or table on stdout, warnings on stderr. */

import { type Plan, podsToRestart, summarize } from "../core/plan.js";
import { counted } from "../util/counted.js";
import type { StreamColors } from "./color.js";
import type { PlanFormat } from "./plan-format.js";
import type * as PlanTable from "./plan-table.js";
import { escapeTerminal } from "./terminal-text.js";
import { warningLine } from "./warning.js";

interface RenderedPlan {
  /** In pieces, to be written in order: a large Plan document is never one string. */
  stdout: Iterable<string>;
  stderr: string;
}

interface RenderPlanInput {
  plan: Plan;
  warnings: readonly string[];
  notes: readonly string[];
  noHeaders: boolean;
  colors: StreamColors;
  /** The clock's time, for the new images' ages (-o wide). */
  now: number;
  /** Where the pods were listed: the namespace, or null for every namespace (-A). */
  namespace: string | null;
}

export type PlanRenderer = (input: RenderPlanInput) => RenderedPlan;

/**
 * The renderer of one format, loaded with only what that format needs: the yaml library and cli-table3 are
 * a third of the code a plan would load, and a JSON document needs neither.
 */
export async function planRenderer(format: PlanFormat): Promise<PlanRenderer> {
  if (format === "json") {
    const { planJsonPieces } = await import("./plan-document.js");
    return (input) => renderDocument(input, planJsonPieces);
  }
  if (format === "yaml") {
    const { planYamlPieces } = await import("./plan-document-yaml.js");
    return (input) => renderDocument(input, planYamlPieces);
  }
  if (format === "name") return renderNames;
  const table = await import("./plan-table.js");
  return (input) => renderTable(input, format === "wide", table);
}

function renderDocument(input: RenderPlanInput, pieces: (plan: Plan) => Iterable<string>): RenderedPlan {
  const { plan, colors } = input;
  // Warnings and notes quote registries, image labels and the cluster: escaped for the terminal. The pods'
  // own are in the document too, but apply may ask before anyone reads it.
  const stderr = [...input.warnings, ...podWarnings(plan)].map((w) => warningLine(colors.stderr, w));
  // A CI gate reading the document passes on unknown containers: said where a log shows it.
  const unknown = unknownContainers(plan);
  if (unknown > 0) stderr.push(`${counted(unknown, "container")} could not be checked; the plan says why\n`);
  return { stdout: pieces(plan), stderr: stderr.join("") };
}

function renderTable(
  input: RenderPlanInput,
  wide: boolean,
  { renderPlanTable, renderSummary }: typeof PlanTable,
): RenderedPlan {
  const { plan, colors } = input;
  const stderr = input.warnings.map((w) => warningLine(colors.stderr, w));
  for (const line of podWarnings(plan)) stderr.push(warningLine(colors.stderr, line));
  const unknown = unknownContainers(plan);
  if (unknown > 0 && !wide) {
    stderr.push(`${counted(unknown, "container")} could not be checked; -o wide shows why\n`);
  }
  if (wide) for (const note of input.notes) stderr.push(`${escapeTerminal(note)}\n`);
  if (plan.pods.length === 0) {
    // As kubectl get says it, naming where it looked: a mistyped -n finds nothing too.
    const where = input.namespace === null ? "" : ` in ${escapeTerminal(input.namespace)} namespace.`;
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
  const summary = () => renderSummary(summarize(plan), plan.pods.length);
  return { stdout: { [Symbol.iterator]: () => tableThenSummary(table, summary) }, stderr: stderr.join("") };
}

/**
 * `pod/NAME`, a line for each pod apply would restart, as `kubectl get -o name` names pods (without the
 * namespace, under -A too); the warnings as the table gives them.
 */
function renderNames(input: RenderPlanInput): RenderedPlan {
  const { plan, colors } = input;
  const stderr = [...input.warnings, ...podWarnings(plan)].map((w) => warningLine(colors.stderr, w));
  const unknown = unknownContainers(plan);
  if (unknown > 0) stderr.push(`${counted(unknown, "container")} could not be checked; -o wide shows why\n`);
  const names = podsToRestart(plan).map((pod) => `pod/${escapeTerminal(pod.name)}\n`);
  return { stdout: names, stderr: stderr.join("") };
}

/**
 * Containers that could not be checked; an opted-out pod is the user's to leave alone (the CronJob's own),
 * and one that has finished runs nothing (as the closing line counts it).
 */
function unknownContainers(plan: Plan): number {
  return plan.pods
    .filter((p) => !p.optedOut && !p.ended)
    .flatMap((p) => p.containers)
    .filter((c) => c.status === "unknown").length;
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
function* tableThenSummary(table: Iterable<string>, summary: () => string): Generator<string> {
  let any = false;
  for (const piece of table) {
    any = true;
    yield piece;
  }
  yield `${any ? "\n" : ""}${summary()}`;
}
