/**
 * The Plan document (apiVersion kubectl-autoupdate/v1): a published contract that other tools read.
 * Fields are listed one by one here so that nothing internal leaks into it by accident.
 */
import type { Plan, PlanContainer } from "../core/plan.js";
import { toYaml } from "./yaml.js";

export const planApiVersion = "kubectl-autoupdate/v1";

type PlanPod = Plan["pods"][number];

function documentHead(plan: Plan) {
  return {
    apiVersion: planApiVersion,
    kind: "Plan",
    resolver: plan.resolver,
    ...(plan.strategy ? { strategy: plan.strategy } : {}),
  };
}

/** A pod's members but its containers, which come last. */
function podFields(pod: PlanPod) {
  return {
    namespace: pod.namespace,
    name: pod.name,
    owner: pod.owner ? { kind: pod.owner.kind, name: pod.owner.name } : null,
    action: pod.action,
    reason: pod.reason,
    warnings: [...pod.warnings],
    ...(pod.action === "delete" && pod.restart
      ? {
          restart: {
            strategy: pod.restart.strategy,
            controller: { kind: pod.restart.controller.kind, name: pod.restart.controller.name },
            reason: pod.restart.reason,
          },
        }
      : {}),
  };
}

function containerDocuments(containers: readonly PlanContainer[]) {
  return containers.map((c) => ({
    name: c.name,
    init: c.init,
    image: c.image,
    ref: c.ref,
    runningDigest: c.runningDigest,
    latestDigest: c.latestDigest,
    status: c.status,
    reason: c.reason,
    ...(c.latestImage ? { latestImage: { ...c.latestImage } } : {}),
  }));
}

/**
 * The document as JSON.stringify(document, null, 2) prints it, one pod at a time: 150,000 pods make
 * ~200 MB of text, which is written as it is made instead of being held whole.
 */
export function* planJsonPieces(plan: Plan): Generator<string> {
  const head = JSON.stringify(documentHead(plan), null, 2);
  if (plan.pods.length === 0) {
    yield `${head.slice(0, -2)},\n  "pods": []\n}\n`;
    return;
  }
  yield `${head.slice(0, -2)},\n  "pods": [\n`;
  yield* podPieces(
    plan.pods,
    // The pods array's elements are at four spaces, their members at six, containers' elements at eight.
    (containers) => JSON.stringify(containerDocuments(containers), null, 2).replaceAll("\n", "\n      "),
    (pod, containers, last) => {
      const fields = JSON.stringify(podFields(pod), null, 2).slice(0, -2).replaceAll("\n", "\n    ");
      return `    ${fields},\n      "containers": ${containers}\n    }${last ? "\n" : ",\n"}`;
    },
  );
  yield "  ]\n}\n";
}

/** The document as toYaml prints it whole, byte for byte, one pod at a time (see planJsonPieces). */
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
 * The pods' texts, in pieces of ~64 KB. Pods that came to the same verdicts share one containers list
 * (decide.ts), whose text is made once; the cache of those texts is emptied when it grows large, so pods
 * that share nothing cost no memory for it.
 */
function* podPieces(
  pods: readonly PlanPod[],
  containersText: (containers: readonly PlanContainer[]) => string,
  podText: (pod: PlanPod, containers: string, last: boolean) => string,
): Generator<string> {
  const made = new Map<readonly PlanContainer[], string>();
  let batch = "";
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    let containers = made.get(pod.containers);
    if (containers === undefined) {
      if (made.size >= 10_000) made.clear();
      containers = containersText(pod.containers);
      made.set(pod.containers, containers);
    }
    batch += podText(pod, containers, i === pods.length - 1);
    if (batch.length >= 64 * 1024) {
      yield batch;
      batch = "";
    }
  }
  if (batch !== "") yield batch;
}

/**
 * Each line but an empty one (a block scalar's blank line stays blank when nested) moved right. Lines are
 * what YAML breaks at, "\n" only: a regex's multiline ^ also starts one after U+2028 and U+2029, which a
 * quoted value may hold as they are.
 */
function indented(text: string, by: string): string {
  return text.replace(/(^|\n)(?=[^\n])/g, `$1${by}`);
}
