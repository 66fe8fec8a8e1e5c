/**
 * The Plan document (apiVersion kubectl-autoupdate/v1): a published contract that other tools read.
 * Fields are listed one by one here so that nothing internal leaks into it by accident.
 */
import YAML from "yaml";
import type { Plan } from "../core/plan.js";

export const planApiVersion = "kubectl-autoupdate/v1";

function toPlanDocument(plan: Plan) {
  return { ...documentHead(plan), pods: plan.pods.map(toPodDocument) };
}

function documentHead(plan: Plan) {
  return {
    apiVersion: planApiVersion,
    kind: "Plan",
    resolver: plan.resolver,
    ...(plan.strategy ? { strategy: plan.strategy } : {}),
  };
}

function toPodDocument(pod: Plan["pods"][number]) {
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
    containers: pod.containers.map((c) => ({
      name: c.name,
      init: c.init,
      image: c.image,
      ref: c.ref,
      runningDigest: c.runningDigest,
      latestDigest: c.latestDigest,
      status: c.status,
      reason: c.reason,
      ...(c.latestImage ? { latestImage: { ...c.latestImage } } : {}),
    })),
  };
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
  let batch = "";
  for (let i = 0; i < plan.pods.length; i++) {
    const pod = JSON.stringify(toPodDocument(plan.pods[i]!), null, 2).replaceAll("\n", "\n    ");
    batch += `    ${pod}${i === plan.pods.length - 1 ? "\n" : ",\n"}`;
    if (batch.length >= 64 * 1024) {
      yield batch;
      batch = "";
    }
  }
  yield `${batch}  ]\n}\n`;
}

export function renderPlanYaml(plan: Plan): string {
  return YAML.stringify(toPlanDocument(plan));
}
