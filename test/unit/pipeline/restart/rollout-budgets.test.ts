/**
 * auto promises budgets, which the API server does not apply to a rollout: a workload is rolled only while
 * the PodDisruptionBudgets selecting its pods allow as many disruptions as its rollout takes pods out of
 * service at once, counting rollouts running beside it. --strategy rollout is the user's choice to roll
 * anyway.
 */
import { describe, expect, it } from "vitest";
import { indexOwners } from "../../../../src/core/owners.js";
import type { Plan, StrategyName } from "../../../../src/core/plan.js";
import { decideRestarts, workloadsToRead } from "../../../../src/core/restart-strategy.js";
import { gatherWorkloads } from "../../../../src/pipeline/gather.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { type ControllerSpec, InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

/** plan, decide and restart the stale pods; the fewest Ready app=web pods seen meanwhile. */
async function run(
  strategy: StrategyName,
  specs: ControllerSpec[],
  setup: (cluster: InMemoryCluster, clock: FakeClock) => void,
  stale = specs.map((spec) => spec.name),
) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = specs
    .flatMap((spec) => cluster.addController(spec))
    .filter((pod) => stale.includes(pod.restart!.controller.name.replace(/-r\d+$/, "")));
  setup(cluster, clock);
  const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
  const scope = { namespace: "shop", allNamespaces: false };
  const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, strategy), strategy, []);
  const plan = decideRestarts(planned, { strategy, owners: indexOwners([]), ...workloads });
  const ready = () => specs.reduce((n, spec) => n + cluster.readyPods(spec.name), 0);
  let fewest = ready();
  for (let t = 0; t < 600_000; t += 100)
    clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
  const result = await runRestart(clock, cluster, plan.pods, { strategy, concurrency: 4 });
  return { plan, fewest: Math.min(fewest, ready()), patches: cluster.patches().length, ...result };
}

const web = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
  kind: "Deployment",
  name,
  replicas: 4,
  maxSurge: 1,
  maxUnavailable: 1,
  podLabels: { app: "web", track: name },
  ...extra,
});

describe("auto rolls a workload only as far as its budgets allow", () => {
  it("a budget that wants every pod: not rolled, saying why; --strategy rollout rolls it", async () => {
    const guard = (cluster: InMemoryCluster) => cluster.setMinAvailableBudget("guard", "web", 4);
    const auto = await run("auto", [web("blue")], guard);
    expect(auto.plan.pods[0]!.restart?.strategy).toBe("rollout");
    expect(auto.patches).toBe(0);
    expect(auto.fewest).toBe(4);
    expect(auto.reported).toContain(
      "Deployment/blue not-started: PodDisruptionBudget guard allows no disruption now: the rollout of Deployment/blue takes 1 pod out of service at once",
    );
    const asked = await run("rollout", [web("blue")], guard);
    expect(asked.patches).toBe(1);
    expect(asked.fewest).toBe(3);
  });

  it("a rollout that takes no pod out of service (a surge only) needs nothing of its budgets", async () => {
    const surgeOnly = web("blue", { maxUnavailable: 0 });
    const result = await run("auto", [surgeOnly], (cluster) =>
      cluster.setMinAvailableBudget("guard", "web", 4),
    );
    expect(result.patches).toBe(1);
    expect(result.fewest).toBe(4);
  });

  it("waits for a budget shared with a degraded workload, and rolls once it allows", async () => {
    const green = web("green", { replicas: 2 });
    const result = await run(
      "auto",
      [web("blue"), green],
      (cluster, clock) => {
        cluster.setUnready("green-r1-1");
        cluster.setMinAvailableBudget("guard", "web", 5);
        clock.at(clock.now() + 20_000, () => cluster.setReady("green-r1-1"));
      },
      ["blue"],
    );
    expect(result.fewest).toBeGreaterThanOrEqual(5);
    expect(result.patches).toBe(1);
  });

  it("two workloads behind one budget are rolled one after the other, not side by side", async () => {
    const result = await run("auto", [web("blue"), web("red")], (cluster) =>
      cluster.setMinAvailableBudget("guard", "web", 7),
    );
    expect(result.patches).toBe(2);
    expect(result.fewest).toBe(7);
  });
});
