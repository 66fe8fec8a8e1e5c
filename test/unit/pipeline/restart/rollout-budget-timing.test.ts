/**
 * How auto's rollouts and the evictions beside them share a PodDisruptionBudget over time: a rollout still
 * going when apply stops following it, an eviction while a rollout reads its budgets, a workload grown while
 * its rollout waited, a budget over some of a workload's pods only, and what a held rollout is told.
 */
import { describe, expect, it } from "vitest";
import type { DisruptionBudget } from "../../../../src/core/disruption-budget.js";
import { indexOwners } from "../../../../src/core/owners.js";
import type { Plan } from "../../../../src/core/plan.js";
import { decideRestarts, workloadsToRead } from "../../../../src/core/restart-strategy.js";
import { gatherBudgets, gatherWorkloads } from "../../../../src/pipeline/gather.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { type ControllerSpec, InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

describe("draw after timeout", () => {
  // A rollout that apply stops following at --wait-timeout goes on on the server, yet its draw on the budget
  // is given back: the next workload behind the budget is rolled while the first still takes pods down.
  const web0 = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
    kind: "Deployment",
    name,
    replicas: 4,
    maxSurge: 0,
    maxUnavailable: 1,
    podLabels: { app: "web", track: name },
    ...extra,
  });

  it("a rollout still going on the server after --wait-timeout keeps its draw: the next rollout behind the budget waits", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    // blue's new pods take 40 s to be Ready: its rollout of 4 takes ~160 s, beyond --wait-timeout (60 s).
    const specs = [web0("blue", { readyAfterMs: 40_000 }), web0("red")];
    const pods = specs.flatMap((spec) => cluster.addController(spec));
    // One disruption allowed over blue and red; its status does not show the rollout's steps (as between a
    // rollout's steps, or while a new pod is Ready for less than minReadySeconds).
    cluster.setBudget("guard", "web", 1);
    const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
    const scope = { namespace: "shop", allNamespaces: false };
    const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
    const budgets = await gatherBudgets(cluster, scope, "auto", []);
    const plan = decideRestarts(planned, {
      strategy: "auto",
      owners: indexOwners([]),
      ...workloads,
      ...(budgets ? { budgets } : {}),
    });
    expect(plan.pods.every((p) => p.restart?.strategy === "rollout")).toBe(true);

    // Sample how many of blue's and red's pods are out of service at once.
    let mostDown = 0;
    const down = () => 8 - cluster.readyPods("blue") - cluster.readyPods("red");
    for (let t = 0; t < 600_000; t += 100)
      clock.at(clock.now() + t, () => (mostDown = Math.max(mostDown, down())));
    // Several workloads for fewer --concurrency slots: red's turn comes once blue's slot is free.
    const result = await runRestart(clock, cluster, plan.pods, {
      strategy: "auto",
      concurrency: 1,
      waitTimeoutMs: 60_000,
    });
    console.log(
      result.reported.filter((l) => l.startsWith("Deployment/")),
      cluster.patches(),
    );
    // blue was left still rolling on the server.
    expect(
      result.reported.some((l) => l.startsWith("Deployment/blue failed: the rollout did not finish")),
    ).toBe(true);
    // The budget allows one disruption: never two of its pods down at once.
    expect(mostDown).toBeLessThanOrEqual(1);
  });
});

describe("eviction race", () => {
  // A rollout draws on its budget only once its budget list has answered; an eviction beside it asks the gate
  // meanwhile, finds no draw, and goes: the rollout's list, read before the eviction landed, lets it through.
  const web1 = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
    kind: "Deployment",
    name,
    replicas: 4,
    maxSurge: 1,
    maxUnavailable: 1,
    podLabels: { app: "web", track: name },
    ...extra,
  });

  it("an eviction while a rollout's budget list is under way does not take a second pod down", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    // red uses Recreate: auto evicts its pods; blue is rolled. One budget over both allows one disruption.
    const specs = [web1("blue"), web1("red", { replicas: 2, updateStrategy: "Recreate" })];
    const pods = specs.flatMap((spec) => cluster.addController(spec));
    cluster.setMinAvailableBudget("guard", "web", 5);
    const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
    const scope = { namespace: "shop", allNamespaces: false };
    const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
    const budgets = await gatherBudgets(cluster, scope, "auto", []);
    const plan = decideRestarts(planned, {
      strategy: "auto",
      owners: indexOwners([]),
      ...workloads,
      ...(budgets ? { budgets } : {}),
    });
    expect(plan.pods.map((p) => p.restart?.strategy)).toEqual([
      ...Array(4).fill("rollout"),
      "evict",
      "evict",
    ]);

    // A kubectl get takes a moment: the API server answers from the state when the request reached it.
    const list = cluster.listDisruptionBudgets.bind(cluster);
    cluster.listDisruptionBudgets = async (namespace: string): Promise<DisruptionBudget[]> => {
      const answer = await list(namespace);
      await clock.sleep(300, new AbortController().signal);
      return answer;
    };
    let fewest = 6;
    const ready = () => cluster.readyPods("blue") + cluster.readyPods("red");
    for (let t = 0; t < 600_000; t += 50)
      clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", concurrency: 4 });
    console.log(
      result.reported,
      cluster.calls.filter((c) => / patch | evict /.test(c)),
    );
    expect(cluster.patches()).toHaveLength(1);
    // minAvailable 5 of 6: never fewer than 5 Ready.
    expect(fewest).toBeGreaterThanOrEqual(5);
  });
});

describe("read again", () => {
  // After waiting for its budget, apply reads the workload again ("the workload may have changed meanwhile"),
  // but keeps the allowance drawn for the old rollout: one that now takes more pods down is patched anyway.
  const web2 = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
    kind: "Deployment",
    name,
    replicas: 4,
    maxSurge: 1,
    maxUnavailable: 1,
    podLabels: { app: "web", track: name },
    ...extra,
  });

  it("a workload whose rollout takes more pods down after the wait than the allowance drawn is not patched", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const specs = [web2("blue"), web2("green", { replicas: 2 })];
    const pods = specs
      .flatMap((spec) => cluster.addController(spec))
      .filter((p) => p.name.startsWith("blue"));
    // guard over blue and green wants 5 of their 6 pods: one disruption, once green's pod is Ready again.
    cluster.setUnready("green-r1-1");
    cluster.setMinAvailableBudget("guard", "web", 5);
    clock.at(clock.now() + 20_000, () => cluster.setReady("green-r1-1"));
    // Meanwhile blue's rollout is made faster (or an autoscaler doubles it under maxUnavailable 25%).
    clock.at(clock.now() + 10_000, () => cluster.edit("blue", { maxUnavailable: 2 }));
    const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
    const scope = { namespace: "shop", allNamespaces: false };
    const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
    const budgets = await gatherBudgets(cluster, scope, "auto", []);
    const plan = decideRestarts(planned, {
      strategy: "auto",
      owners: indexOwners([]),
      ...workloads,
      ...(budgets ? { budgets } : {}),
    });
    expect(plan.pods[0]!.restart?.strategy).toBe("rollout");
    let fewest = 6;
    const ready = () => cluster.readyPods("blue") + cluster.readyPods("green");
    for (let t = 0; t < 300_000; t += 100)
      clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    console.log(result.reported, cluster.patches());
    expect(fewest).toBeGreaterThanOrEqual(5);
  });
});

describe("other pods budget", () => {
  // A rollout replaces every pod of its workload, but auto reads the budgets of its first planned pod only
  // (plan: pods[0].labels; apply: group[0]): a budget selecting another of its pods is bypassed.
  it("a budget over one pod of a StatefulSet (its primary) is honoured by auto though another pod is planned first", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3 });
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
    const planned: Plan = {
      resolver: "registry",
      pods: pods.map(({ restart: _, ...pod }) =>
        pod.name === "db-1" ? { ...pod, labels: { ...pod.labels, role: "primary" } } : pod,
      ),
    };
    const scope = { namespace: "shop", allNamespaces: false };
    const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
    const budgets = await gatherBudgets(cluster, scope, "auto", []);
    const plan = decideRestarts(planned, {
      strategy: "auto",
      owners: indexOwners([]),
      ...workloads,
      ...(budgets ? { budgets } : {}),
    });
    console.log(plan.pods.map((p) => `${p.name} ${p.restart?.strategy}: ${p.restart?.reason}`));
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    console.log(result.reported, cluster.patches());
    // The rollout deletes db-2, db-1 and db-0 in turn: db-1's budget allows no disruption.
    expect(cluster.patches()).toHaveLength(0);
  });
});

describe("message", () => {
  // A rollout held because another rollout of this run holds the budget is told the budget "allows no
  // disruption now", while the budget's status (`kubectl get pdb`) shows it allowing one.
  const web4 = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
    kind: "Deployment",
    name,
    replicas: 4,
    maxSurge: 1,
    maxUnavailable: 1,
    podLabels: { app: "web", track: name },
    ...extra,
  });

  it("a rollout held by another rollout of this run says so, not that the budget allows no disruption", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = [web4("blue"), web4("red")].flatMap((spec) => cluster.addController(spec));
    cluster.setMinAvailableBudget("guard", "web", 7);
    const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
    const scope = { namespace: "shop", allNamespaces: false };
    const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, "auto"), "auto", []);
    const budgets = await gatherBudgets(cluster, scope, "auto", []);
    const plan = decideRestarts(planned, {
      strategy: "auto",
      owners: indexOwners([]),
      ...workloads,
      ...(budgets ? { budgets } : {}),
    });
    const result = await runRestart(clock, cluster, plan.pods, { strategy: "auto", wait: false });
    // What `kubectl get pdb guard` shows as the run reports red.
    const shown = (await cluster.listDisruptionBudgets("shop")).map(
      (b) => `${b.name} ${b.disruptionsAllowed}`,
    );
    console.log(result.reported, shown);
    expect(shown).toEqual(["guard 1"]);
    const red = result.reported.find((l) => l.startsWith("Deployment/red"))!;
    expect(red).toMatch(/^Deployment\/red not-started: /);
    expect(red).not.toMatch(/guard allows no disruption now/);
    expect(red).toMatch(/held by a rollout of this run/);
  });
});
