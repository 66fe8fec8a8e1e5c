/**
 * The Eviction API refuses a pod that more than one PodDisruptionBudget selects, so auto's plan skips it —
 * whatever its owner. The budgets were read only with a Deployment, StatefulSet or DaemonSet to restart, so a
 * bare ReplicaSet's pod (an Argo Rollout's, a ReplicationController's) was planned as an eviction apply could
 * only fail, at every run.
 */
import { describe, expect, it } from "vitest";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { DisruptionBudget } from "../../../src/core/disruption-budget.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { planKubectl } from "../../support/plan-kubectl.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const [OLD, NEW] = [digestOf("v1"), digestOf("v2")];

const resolver: Resolver = {
  name: "registry",
  resolveTag: async () => ({ ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } }),
  inspectManifest: async (_ref, digest) => ({
    ok: true,
    isIndex: false,
    config: configOf(digest),
    platform: "linux/amd64",
  }),
  describeImage: async () => ({ ok: false, reason: "not asked" }),
};

const budget = (name: string): DisruptionBudget => ({
  name,
  namespace: "shop",
  selector: { matchLabels: { app: "web" } },
  disruptionsAllowed: 1,
});

/** The plan of one stale pod of ReplicaSet web-7d9c8b, owned by `deployment` or bare, under two budgets. */
async function planOf(deployment: string | null) {
  const pod = makePod({
    name: "web-7d9c8b-x2x9q",
    namespace: "shop",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    labels: { app: "web" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });
  let budgetLists = 0;
  const kubectl = planKubectl([pod], {
    owners: [makeReplicaSet("web-7d9c8b", deployment, "shop")],
    calls: {
      listDisruptionBudgetsIn: async () => {
        budgetLists++;
        return [budget("web-a"), budget("web-b")];
      },
      listWorkloads: async () => [],
    },
  });
  const { plan } = await makePlan(kubectl, async () => resolver, {
    scope: { namespace: "shop", allNamespaces: false },
    strategy: "auto",
    concurrency: 2,
    now: Date.now(),
  });
  const [planned] = plan.pods;
  return { budgetLists, action: planned!.action, reason: planned!.reason };
}

describe("auto: a pod that two PodDisruptionBudgets select", () => {
  it.each([
    ["a Deployment's ReplicaSet", "web"],
    ["a bare ReplicaSet", null],
  ])("of %s is skipped, the budgets listed once", async (_owner, deployment) => {
    expect(await planOf(deployment)).toEqual({
      budgetLists: 1,
      action: "skip",
      reason: expect.stringContaining("more than one PodDisruptionBudget selects it"),
    });
  });
});
