/**
 * The Plan document (apiVersion kubectl-autoupdate/v1): a published contract that other tools read.
 * Fields are listed one by one here so that nothing internal leaks into it by accident.
 */
import YAML from "yaml";
import type { Plan } from "../core/plan.js";

export const planApiVersion = "kubectl-autoupdate/v1";

function toPlanDocument(plan: Plan) {
  return {
    apiVersion: planApiVersion,
    kind: "Plan",
    resolver: plan.resolver,
    ...(plan.strategy ? { strategy: plan.strategy } : {}),
    pods: plan.pods.map((pod) => ({
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
    })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(toPlanDocument(plan), null, 2)}\n`;
}

export function renderPlanYaml(plan: Plan): string {
  return YAML.stringify(toPlanDocument(plan));
}
