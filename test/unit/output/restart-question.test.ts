/** What apply asks before restarting: the stale pods, and the workloads a rollout replaces whole. */
import { describe, expect, it } from "vitest";
import type { PlanPod } from "../../../src/core/plan.js";
import { restartQuestion } from "../../../src/output/restart-question.js";
import { planPod } from "../../support/plan-pods.js";

const by =
  (strategy: "rollout" | "evict", kind: string, name: string) =>
  (pod: string): PlanPod =>
    planPod(pod, { restart: { strategy, controller: { kind, name }, reason: "" } });

describe("restartQuestion", () => {
  it("pods evicted or deleted: their count and namespaces", () => {
    const cache = by("evict", "StatefulSet", "cache");
    expect(restartQuestion([cache("cache-0"), cache("cache-1")], 1)).toBe(
      "Restart 2 pods in 1 namespace? [y/N] ",
    );
  });

  it("a rollout replaces every pod of its workload, current ones too: said, once per workload", () => {
    const web = by("rollout", "Deployment", "web");
    expect(restartQuestion([web("web-a")], 1)).toBe(
      "Restart 1 pod in 1 namespace (rolling out 1 workload: all its pods are replaced)? [y/N] ",
    );
    const api = by("rollout", "Deployment", "api");
    const cache = by("evict", "StatefulSet", "cache");
    expect(restartQuestion([web("web-a"), web("web-b"), api("api-a"), cache("cache-0")], 1)).toBe(
      "Restart 4 pods in 1 namespace (rolling out 2 workloads: all their pods are replaced)? [y/N] ",
    );
  });

  it("a StatefulSet rolled above its partition leaves the pods below it: said so", () => {
    const db = (pod: string): PlanPod =>
      planPod(pod, {
        restart: {
          strategy: "rollout",
          controller: { kind: "StatefulSet", name: "db" },
          reason: "",
          partial: true,
        },
      });
    expect(restartQuestion([db("db-2"), db("db-3")], 1)).toBe(
      "Restart 2 pods in 1 namespace (rolling out 1 workload: all its pods are replaced, but those below a partition)? [y/N] ",
    );
  });
});
