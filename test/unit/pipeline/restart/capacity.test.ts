/**
 * The fast form of the e2e capacity proof: a Deployment's Ready pods, sampled at every change of the
 * in-memory cluster, through the whole plan → decide → restart path. Under auto a one-replica Deployment
 * with maxSurge 1, maxUnavailable 0 never has 0 Ready pods; under delete the dip is seen, so the sampler
 * does see dips. A workload whose rollout would stop every pod is evicted under auto, within its budget.
 */
import { describe, expect, it } from "vitest";
import { indexOwners } from "../../../../src/core/owners.js";
import type { Plan, StrategyName } from "../../../../src/core/plan.js";
import { decideRestarts, workloadsToRead } from "../../../../src/core/restart-strategy.js";
import { gatherWorkloads } from "../../../../src/pipeline/gather.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { type ControllerSpec, InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

async function restartUnder(
  strategy: StrategyName,
  replicas: number,
  spec: Partial<ControllerSpec> = {},
  budget?: number,
) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({
    kind: "Deployment",
    name: "web",
    replicas,
    maxSurge: 1,
    maxUnavailable: 0,
    ...spec,
  });
  if (budget !== undefined) cluster.setBudget("guard", spec.name ?? "web", budget);
  // The plan as decidePlan leaves it: pods to restart, how not yet decided.
  const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
  const warnings: string[] = [];
  const toRead = workloadsToRead(planned, strategy);
  const workloads = await gatherWorkloads(
    cluster,
    { namespace: "shop", allNamespaces: false },
    toRead,
    strategy,
    warnings,
  );
  const plan = decideRestarts(planned, { strategy, owners: indexOwners([]), ...workloads });
  const result = await runRestart(clock, cluster, plan.pods, { strategy });
  return { cluster, plan, result, warnings, ms: clock.elapsed() };
}

describe("capacity through the restart", () => {
  it("auto: a 1-replica maxSurge 1 / maxUnavailable 0 Deployment is rolled and never has 0 Ready pods", async () => {
    const { cluster, plan, result } = await restartUnder("auto", 1);
    expect(plan.pods.map((p) => p.restart?.strategy)).toEqual(["rollout"]);
    expect(result.reported).toEqual(["Deployment/web rolled-out 1"]);
    expect(cluster.lowestReady("web")).toBe(1);
    expect(cluster.calls.filter((c) => c.includes("list Deployments"))).toEqual(["0 list Deployments shop"]);
  });

  it("delete: the same Deployment dips to 0 Ready until its replacement is up (the sampler sees dips)", async () => {
    const { cluster, plan, result } = await restartUnder("delete", 1);
    expect(plan.pods.map((p) => p.restart?.strategy)).toEqual(["delete"]);
    expect(result.reported).toHaveLength(1);
    expect(cluster.lowestReady("web")).toBe(0);
    // --strategy delete reads no workload.
    expect(cluster.calls.some((c) => c.includes("list Deployments"))).toBe(false);
  });

  it.each<[StrategyName, number]>([
    ["auto", 3],
    ["rollout", 3],
    ["evict", 2],
    ["delete", 2],
  ])("3 replicas under %s: at least %i Ready throughout", async (strategy, lowest) => {
    const { cluster } = await restartUnder(strategy, 3);
    expect(cluster.lowestReady("web")).toBe(lowest);
  });

  it.each<[string, Partial<ControllerSpec>, number]>([
    ["a Deployment with maxSurge 0, maxUnavailable 3 of 3", { maxSurge: 0, maxUnavailable: 3 }, 3],
    ["a one-replica StatefulSet", { kind: "StatefulSet", name: "db" }, 1],
  ])(
    "auto: %s would stop every pod if rolled: evicted, its budget allowing none keeps them all",
    async (_, spec, replicas) => {
      const { cluster, plan, result } = await restartUnder("auto", replicas, spec, 0);
      expect(plan.pods.map((p) => p.restart?.strategy)).toEqual(Array(replicas).fill("evict"));
      expect(cluster.patches()).toEqual([]);
      expect(result.reported.join("\n")).toContain("PodDisruptionBudget guard allows no disruption now");
      expect(cluster.lowestReady(spec.name ?? "web")).toBe(replicas);
    },
  );

  it("rollout: the same Deployment is rolled as asked, and every pod stops at once", async () => {
    const { cluster, plan } = await restartUnder("rollout", 3, { maxSurge: 0, maxUnavailable: 3 }, 0);
    expect(plan.pods[0]!.warnings.at(-1)).toBe(
      "Deployment/web's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 3 of 3 replicas)",
    );
    expect(cluster.lowestReady("web")).toBe(0);
  });
});
