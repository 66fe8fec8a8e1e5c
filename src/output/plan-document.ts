/**
 * The Plan document (apiVersion kubectl-autoupdate/v1): a published contract that other tools read.
 * Fields are listed one by one here so that nothing internal leaks into it by accident. Printed as JSON
 * here, as YAML by plan-document-yaml.ts (which alone loads the yaml library).
 */
import type { Plan, PlanContainer } from "../core/plan.js";

export const planApiVersion = "kubectl-autoupdate/v1";

type PlanPod = Plan["pods"][number];

export function documentHead(plan: Plan) {
  return {
    apiVersion: planApiVersion,
    kind: "Plan",
    resolver: plan.resolver,
    ...(plan.strategy ? { strategy: plan.strategy } : {}),
  };
}

/** A pod's members but its containers, which come last. */
export function podFields(pod: PlanPod) {
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

export function containerDocuments(containers: readonly PlanContainer[]) {
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

/**
 * The pods' texts, in pieces of ~64 KB. Pods that came to the same verdicts share one containers list
 * (decide.ts), whose text is made once; the cache of those texts is emptied when it grows large, so pods
 * that share nothing cost no memory for it.
 */
export function* podPieces(
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
