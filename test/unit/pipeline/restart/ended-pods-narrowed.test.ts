/**
 * A minAvailable count counts the ended pods it selects, which a scope narrowed by a selector may leave out
 * of sight (`--field-selector status.phase=Running` selects every live pod, no ended one): auto then goes
 * by the budget's Ready pods now, and evicts where a rollout would take more pods down than it allows.
 */
import { expect, it } from "vitest";
import { indexOwners } from "../../../../src/core/owners.js";
import type { Plan, PlanPod } from "../../../../src/core/plan.js";
import { decideRestarts, workloadsToRead } from "../../../../src/core/restart-strategy.js";
import { gatherBudgets, gatherWorkloads } from "../../../../src/pipeline/gather.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest } from "../../../support/in-memory-cluster.js";
import { runRestart, webTrack } from "../../../support/restart.js";

it("under --field-selector status.phase=Running, a budget counting a lingering Failed pod still has the workload evicted", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController(webTrack("blue", { replicas: 8, maxSurge: 2, maxUnavailable: 2 }));
  cluster.setMinAvailableBudget("guard", "web", 7);
  // Its kubelet evicted one pod: it lingers Failed, and the ReplicaSet made another (Ready, on the new digest).
  cluster.setFailed(pods[7]!.name);
  await clock.advance(5000);
  const names = new Set(pods.map((p) => p.name));
  const made = Object.keys(cluster.digests("blue")).find((n) => !names.has(n))!;
  const replacement: PlanPod = {
    ...pods[0]!,
    name: made,
    uid: `uid-${made}`,
    action: "none",
    containers: pods[0]!.containers.map((c) => ({ ...c, status: "current", runningDigest: newDigest })),
  };
  const scope = { namespace: "shop", allNamespaces: false };
  const budgets = await gatherBudgets(cluster, scope, "auto", []);
  // The field selector leaves the Failed pod out of the plan; every live pod of blue is in it.
  const inScope = [...pods.slice(0, 7), replacement].map(({ restart: _, ...p }) => p);
  const planned: Plan = { resolver: "registry", pods: inScope };
  const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
  const plan = decideRestarts(planned, {
    strategy: "auto",
    owners: indexOwners([]),
    ...workloads,
    budgets,
    narrowed: true,
  });
  let fewest = cluster.readyPods("blue");
  for (let t = 0; t < 600_000; t += 100)
    clock.at(clock.now() + t, () => (fewest = Math.min(fewest, cluster.readyPods("blue"))));
  const { reported } = await runRestart(
    clock,
    cluster,
    plan.pods.filter((p) => p.action === "delete"),
    {
      strategy: "auto",
    },
  );
  const evicted = reported.filter((line) => line.endsWith(" evicted")).length;
  // The budget (expectedPods 9, one of them never Ready again, minAvailable 7) allows 1 disruption; the
  // rollout takes 2 pods down at once.
  expect({ strategy: plan.pods[0]!.restart?.strategy, evicted, fewestReady: fewest, reported }).toEqual({
    strategy: "evict",
    evicted: 7,
    fewestReady: 7,
    reported: expect.anything(),
  });
});
