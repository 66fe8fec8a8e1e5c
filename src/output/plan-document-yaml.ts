/** The Plan document as YAML (see plan-document.ts), in its own module: the yaml library is large. */
import type { Plan } from "../core/plan.js";
import { containerDocuments, documentHead, podFields, podPieces } from "./plan-document.js";
import { toYaml } from "./yaml.js";

/** The document as toYaml prints it whole, byte for byte, one pod at a time (as planJsonPieces does). */
export function* planYamlPieces(plan: Plan): Generator<string> {
  const head = toYaml(documentHead(plan));
  if (plan.pods.length === 0) {
    yield `${head}pods: []\n`;
    return;
  }
  yield `${head}pods:\n`;
  yield* podPieces(
    plan.pods,
    // The pods sequence's items are at two spaces, their members at four, containers' items at six.
    (containers) =>
      containers.length === 0 ? " []\n" : `\n${indented(toYaml(containerDocuments(containers)), "      ")}`,
    (pod, containers) => {
      const fields = indented(toYaml(podFields(pod)), "    ");
      return `  - ${fields.slice(4)}    containers:${containers}`;
    },
  );
}

/**
 * Each line but an empty one (a block scalar's blank line stays blank when nested) moved right. Lines are
 * what YAML breaks at, "\n" only: a regex's multiline ^ also starts one after U+2028 and U+2029, which a
 * quoted value may hold as they are.
 */
function indented(text: string, by: string): string {
  return text.replace(/(^|\n)(?=[^\n])/g, `$1${by}`);
}
