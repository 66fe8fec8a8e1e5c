/**
 * How auto's rollouts and the evictions beside them share a PodDisruptionBudget over time: a rollout still
 * going when apply stops following it, an eviction while a rollout reads its budgets (or of a pod the budget
 * lets go), a workload grown while
 * its rollout waited, a budget over some of a workload's pods only, and what a held rollout is told.
 */
import { describe, expect, it } from "vitest";
import type { DisruptionBudget } from "../../../../src/core/disruption-budget.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { type ControllerSpec, InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { decidedPlan, runRestart, webTrack } from "../../../support/restart.js";

/** A cluster of these workloads, their pods (of `stale` only, when given) planned under auto. */
async function setUp(specs: ControllerSpec[], stale?: string) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = specs
    .flatMap((spec) => cluster.addController(spec))
    .filter((pod) => stale === undefined || pod.name.startsWith(stale));
  return { clock, cluster, pods };
}

/** blue, rolled under auto, and red (Recreate), whose 2 pods auto evicts: both app=web. */
const rolledAndEvicted = () =>
  setUp([webTrack("blue"), webTrack("red", { replicas: 2, updateStrategy: "Recreate" })]);

/** The fewest Ready pods of these workloads, sampled every 100 ms of the fake clock. */
function fewestReady(clock: FakeClock, cluster: InMemoryCluster, names: string[]) {
  const ready = () => names.reduce((n, name) => n + cluster.readyPods(name), 0);
  let fewest = ready();
  for (let t = 0; t < 600_000; t += 100)
    clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
  return () => Math.min(fewest, ready());
}

/** A kubectl get takes a moment: the API server answers from the state when the request reached it. */
function slowBudgetLists(clock: FakeClock, cluster: InMemoryCluster): void {
  const list = cluster.listDisruptionBudgets.bind(cluster);
  cluster.listDisruptionBudgets = async (namespace: string): Promise<DisruptionBudget[]> => {
    const answer = await list(namespace);
    await clock.sleep(300, new AbortController().signal);
    return answer;
  };
}

describe("auto's rollouts and their budgets over time", () => {
  it("a rollout still going on the server after --wait-timeout keeps its draw: the next one behind the budget waits", async () => {
    // blue's new pods take 40 s to be Ready: its rollout of 4 takes ~160 s, beyond --wait-timeout (60 s).
    const { clock, cluster, pods } = await setUp([
      webTrack("blue", { maxSurge: 0, readyAfterMs: 40_000 }),
      webTrack("red", { maxSurge: 0 }),
    ]);
    // One disruption allowed, by a status that does not show the rollout's steps.
    cluster.setBudget("guard", "web", 1);
    const plan = await decidedPlan(cluster, pods, "auto");
    const fewest = fewestReady(clock, cluster, ["blue", "red"]);
    const result = await runRestart(clock, cluster, plan.pods, {
      strategy: "auto",
      concurrency: 1,
      waitTimeoutMs: 60_000,
    });
    expect(
      result.reported.some((l) => l.startsWith("Deployment/blue failed: the rollout did not finish")),
    ).toBe(true);
    expect(8 - fewest()).toBeLessThanOrEqual(1);
  });

  it("an eviction while a rollout's budget list is under way does not take a second pod down", async () => {
    // red uses Recreate: auto evicts its pods; blue is rolled. One budget over both allows one disruption.
    const { clock, cluster, pods } = await rolledAndEvicted();
    cluster.setMinAvailableBudget("guard", "web", 5);
    const plan = await decidedPlan(cluster, pods, "auto");
    slowBudgetLists(clock, cluster);
    const fewest = fewestReady(clock, cluster, ["blue", "red"]);
    await runRestart(clock, cluster, plan.pods, { strategy: "auto", concurrency: 4 });
    expect(cluster.patches()).toHaveLength(1);
    expect(fewest()).toBeGreaterThanOrEqual(5);
  });

  it("a rollout's budget list answered before an eviction beside it lands does not take a second pod down", async () => {
    const { clock, cluster, pods } = await rolledAndEvicted();
    cluster.setMinAvailableBudget("guard", "web", 5);
    const plan = await decidedPlan(cluster, pods, "auto");
    // Each kubectl takes a moment to reach the API server, and its answer a moment to come back: red's first
    // eviction is on its way while blue's budget list is answered.
    const never = new AbortController().signal;
    const evict = cluster.evictPod.bind(cluster);
    cluster.evictPod = async (...args) => {
      await clock.sleep(250, never);
      return evict(...args);
    };
    const list = cluster.listDisruptionBudgets.bind(cluster);
    cluster.listDisruptionBudgets = async (namespace) => {
      await clock.sleep(50, never);
      const answer = await list(namespace);
      await clock.sleep(300, never);
      return answer;
    };
    const get = cluster.getWorkload.bind(cluster);
    cluster.getWorkload = async (...args) => {
      await clock.sleep(100, never);
      return get(...args);
    };
    const fewest = fewestReady(clock, cluster, ["blue", "red"]);
    await runRestart(clock, cluster, plan.pods, { strategy: "auto", concurrency: 4 });
    expect(cluster.patches()).toHaveLength(1);
    expect(fewest()).toBeGreaterThanOrEqual(5);
  });

  it("an eviction beside a surge-only rollout under its budget waits for it: the surge raises the allowance", async () => {
    // blue surges (maxSurge 1, maxUnavailable 0) and keeps each old pod until its new one has been Ready for
    // minReadySeconds (10 s): meanwhile the budget counts one Ready pod more. red (Recreate) is evicted.
    const { clock, cluster, pods } = await setUp([
      webTrack("blue", { replicas: 2, maxSurge: 1, maxUnavailable: 0 }),
      webTrack("red", { replicas: 2, updateStrategy: "Recreate", readyAfterMs: 30_000 }),
    ]);
    const inner = cluster as unknown as { reconcile(c: { spec: { name: string } }): void };
    const reconcile = inner.reconcile.bind(cluster);
    inner.reconcile = (c) =>
      c.spec.name === "blue" ? clock.at(clock.now() + 10_000, () => reconcile(c)) : reconcile(c);
    // Every one of the 4 pods must stay Ready.
    cluster.setMinAvailableBudget("guard", "web", 4);
    const plan = await decidedPlan(cluster, pods, "auto");
    expect(plan.pods.map((p) => p.restart?.strategy)).toEqual(["rollout", "rollout", "evict", "evict"]);
    const fewest = fewestReady(clock, cluster, ["blue", "red"]);
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", waitTimeoutMs: 60_000 });
    expect(fewest()).toBeGreaterThanOrEqual(4);
    expect(result.reported).toContain("Deployment/blue rolled-out 2");
    // red's pods are refused while blue's rollout holds the budget, then by the budget itself.
    expect(cluster.evictions().filter((e) => !e.endsWith("→ 429"))).toEqual([]);
  });

  it("a surging rollout under no budget costs the evictions beside it no budget list each", async () => {
    async function budgetLists(evicted: number, wait: boolean) {
      const { clock, cluster, pods } = await setUp([
        webTrack("blue", { replicas: 2, maxSurge: 1, maxUnavailable: 0, readyAfterMs: 120_000 }),
        {
          kind: "StatefulSet",
          name: "db",
          replicas: evicted,
          updateStrategy: "OnDelete",
          readyAfterMs: 1000,
        },
      ]);
      const plan = await decidedPlan(cluster, pods, "auto");
      await runRestart(clock, cluster, plan.pods, { strategy: "auto", wait, waitTimeoutMs: 300_000 });
      expect(cluster.evictions().filter((e) => e.endsWith("201"))).toHaveLength(evicted);
      return cluster.calls.filter((c) => c.includes(" list budgets ")).length;
    }
    for (const wait of [false, true]) expect(await budgetLists(20, wait)).toBe(await budgetLists(10, wait));
  });

  it("a dry run draws nothing: an eviction beside a rollout reading its budgets is not held", async () => {
    const { clock, cluster, pods } = await rolledAndEvicted();
    cluster.setMinAvailableBudget("guard", "web", 4);
    const plan = await decidedPlan(cluster, pods, "auto");
    slowBudgetLists(clock, cluster);
    const result = await runRestart(clock, cluster, plan.pods, {
      strategy: "auto",
      concurrency: 4,
      dryRun: true,
    });
    expect(result.reported.filter((line) => line.includes("not-started"))).toEqual([]);
    expect(result.reported).toEqual(expect.arrayContaining(["red-r1-0 evicted", "red-r1-1 evicted"]));
  });

  it("--no-wait: an eviction that no budget governs is not held by a rollout reading its budgets", async () => {
    // red uses Recreate: auto evicts its pods; blue is rolled. No budget at all.
    const { clock, cluster, pods } = await rolledAndEvicted();
    const plan = await decidedPlan(cluster, pods, "auto");
    slowBudgetLists(clock, cluster);
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", wait: false });
    expect(result.reported.filter((line) => line.startsWith("red-"))).toEqual([
      "red-r1-0 evicted",
      "red-r1-1 evicted",
    ]);
  });

  it("a not-Ready pod its budget lets go is evicted beside a rollout drawing on that budget", async () => {
    // blue's rollout outlasts --wait-timeout; red-1, of a bare ReplicaSet under the same budget, crash-loops.
    const { clock, cluster, pods } = await setUp([webTrack("blue", { maxSurge: 0, readyAfterMs: 40_000 })]);
    const red = cluster.addController({ name: "red", replicas: 2, podLabels: { app: "web", track: "red" } });
    cluster.setUnready("red-1");
    // 5 Ready of the 4 wanted: the API server lets a not-Ready pod go, whatever this run's rollout draws.
    cluster.setMinAvailableBudget("guard", "web", 4);
    const stale = [...pods, ...red.filter((pod) => pod.name === "red-1")];
    const plan = await decidedPlan(cluster, stale, "auto");
    expect(plan.pods.map((pod) => pod.restart?.strategy)).toEqual([...Array(4).fill("rollout"), "evict"]);
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", waitTimeoutMs: 60_000 });
    expect(result.reported).toContain("red-1 evicted");
  });

  it("a workload whose rollout takes more pods down after the wait than the allowance drawn asks again", async () => {
    const { clock, cluster, pods } = await setUp(
      [webTrack("blue"), webTrack("green", { replicas: 2 })],
      "blue",
    );
    // guard over blue and green wants 5 of their 6 pods: one disruption, once green's pod is Ready again.
    cluster.setUnready("green-r1-1");
    cluster.setMinAvailableBudget("guard", "web", 5);
    clock.at(clock.now() + 20_000, () => cluster.setReady("green-r1-1"));
    // Meanwhile blue's rollout is made to take two pods down at once.
    clock.at(clock.now() + 10_000, () => cluster.edit("blue", { maxUnavailable: 2 }));
    const plan = await decidedPlan(cluster, pods, "auto");
    expect(plan.pods[0]!.restart?.strategy).toBe("rollout");
    const fewest = fewestReady(clock, cluster, ["blue", "green"]);
    await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    expect(fewest()).toBeGreaterThanOrEqual(5);
  });

  it("a budget over one pod of a StatefulSet (its primary) is honoured, though another pod is planned first", async () => {
    const { clock, cluster, pods } = await setUp([{ kind: "StatefulSet", name: "db", replicas: 3 }]);
    // Patroni labels the primary; a budget keeps it from any voluntary disruption.
    cluster.labelPod("db-1", { role: "primary" });
    const primary: DisruptionBudget = {
      name: "db-primary",
      namespace: "shop",
      selector: { matchLabels: { app: "db", role: "primary" } },
      disruptionsAllowed: 0,
      currentHealthy: 1,
      desiredHealthy: 1,
      expectedPods: 1,
    };
    cluster.listDisruptionBudgets = async () => [primary];
    cluster.listDisruptionBudgetsIn = async () => [primary];
    const labelled = pods.map((pod) =>
      pod.name === "db-1" ? { ...pod, labels: { ...pod.labels, role: "primary" } } : pod,
    );
    const plan = await decidedPlan(cluster, labelled, "auto");
    await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    // The rollout would delete db-2, db-1 and db-0 in turn: db-1's budget allows no disruption.
    expect(cluster.patches()).toHaveLength(0);
  });

  it("a rollout held by another rollout of this run says so, not that the budget allows no disruption", async () => {
    const { clock, cluster, pods } = await setUp([webTrack("blue"), webTrack("red")]);
    cluster.setMinAvailableBudget("guard", "web", 7);
    const plan = await decidedPlan(cluster, pods, "auto");
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", wait: false });
    // What `kubectl get pdb guard` shows as the run reports red.
    const shown = (await cluster.listDisruptionBudgets("shop")).map(
      (b) => `${b.name} ${b.disruptionsAllowed}`,
    );
    expect(shown).toEqual(["guard 1"]);
    const red = result.reported.find((l) => l.startsWith("Deployment/red"))!;
    expect(red).toMatch(
      /^Deployment\/red not-started: PodDisruptionBudget guard is held by a rollout of this run/,
    );
  });
});
