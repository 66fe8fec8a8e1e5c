/**
 * Under auto, which reads the budgets, a pod two PodDisruptionBudgets select is skipped at the plan: the
 * Eviction API refuses it (500). Not a Pending pod (stuck in its init containers): the Eviction API checks no
 * budget for one, and evicts it.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import type { DisruptionBudget } from "../../../src/core/disruption-budget.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const nginx = "docker.io/library/nginx:latest";
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web", "shop")]);
const resolution: Resolution = {
  tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
  manifests: new Map([singleManifest(OLD), singleManifest(NEW)]),
};
const budget = (name: string): DisruptionBudget => ({
  name,
  namespace: "shop",
  selector: { matchLabels: { app: "web" } },
  disruptionsAllowed: 1,
});

function autoPlan(phase: "Pending" | "Running") {
  const pod = makePod({
    name: "web-7d9c8b-x2x9q",
    namespace: "shop",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    phase,
    labels: { app: "web" },
    containers:
      phase === "Pending"
        ? [
            { name: "migrate", init: true, image: "nginx:latest", runningDigest: OLD },
            { name: "app", image: "nginx:latest" },
          ]
        : [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });
  const decided = decidePlan({
    resolver: "registry",
    pods: [pod],
    owners,
    resolutions: new Map([[nginx, resolution]]),
  });
  return decideRestarts(decided, {
    strategy: "auto",
    workloads: new Map(),
    unreadable: new Map(),
    owners,
    budgets: new Map([["shop", [budget("web-a"), budget("web-b")]]]),
  });
}

describe("auto, two budgets select the pod", () => {
  it("a Running pod is skipped: the Eviction API would answer 500", () => {
    expect(autoPlan("Running").pods[0]).toMatchObject({ action: "skip" });
  });

  it("a Pending pod (stale init container) is still evicted: the Eviction API ignores budgets for it", () => {
    const pod = autoPlan("Pending").pods[0]!;
    expect(pod.containers.some((c) => c.status === "stale")).toBe(true);
    expect([pod.action, pod.restart?.strategy ?? pod.reason]).toEqual(["delete", "evict"]);
  });
});
