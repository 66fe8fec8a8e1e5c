/**
 * auto promises budgets, which the API server does not apply to a rollout: a workload is rolled only while
 * the PodDisruptionBudgets selecting its pods allow as many disruptions as its rollout takes pods out of
 * service at once, counting rollouts running beside it. --strategy rollout is the user's choice to roll
 * anyway.
 */
import { describe, expect, it } from "vitest";
import type { DisruptionBudget } from "../../../../src/core/disruption-budget.js";
import { type PlanPod, podsToRestart, type StrategyName } from "../../../../src/core/plan.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { BudgetGate } from "../../../../src/pipeline/restart/budget-gate.js";
import type { RestartOptions } from "../../../../src/pipeline/restart/restart-options.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { type ControllerSpec, InMemoryCluster, newDigest } from "../../../support/in-memory-cluster.js";
import { decidedPlan, runRestart, webTrack } from "../../../support/restart.js";

/** plan, decide and restart the stale pods; the fewest Ready app=web pods seen meanwhile. */
async function run(
  strategy: StrategyName,
  specs: ControllerSpec[],
  setup: (cluster: InMemoryCluster, clock: FakeClock) => void,
  stale = specs.map((spec) => spec.name),
  planReadsBudgets = true,
) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = specs
    .flatMap((spec) => cluster.addController(spec))
    .filter((pod) => stale.includes(pod.restart!.controller.name.replace(/-r\d+$/, "")));
  setup(cluster, clock);
  const plan = await decidedPlan(cluster, pods, strategy, planReadsBudgets);
  const ready = () => specs.reduce((n, spec) => n + cluster.readyPods(spec.name), 0);
  let fewest = ready();
  for (let t = 0; t < 600_000; t += 100)
    clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
  const result = await runRestart(clock, cluster, plan.pods, { strategy, concurrency: 4 });
  return { plan, fewest: Math.min(fewest, ready()), patches: cluster.patches().length, ...result };
}

describe("auto rolls a workload only as far as its budgets allow", () => {
  it("a budget that could never let the rollout go: its pods are evicted within it instead, as the plan says", async () => {
    const eight = webTrack("blue", { replicas: 8, maxSurge: 2, maxUnavailable: 2 });
    const auto = await run("auto", [eight], (cluster) => cluster.setMinAvailableBudget("guard", "web", 7));
    expect(auto.plan.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason:
        "PodDisruptionBudget guard allows at most 1 disruption, and Deployment/blue's rollout takes 2 pods out of service at once: evicted one at a time",
    });
    expect(auto.patches).toBe(0);
    expect(auto.fewest).toBe(7);
    expect(auto.reported.filter((line) => line.endsWith(" evicted"))).toHaveLength(8);
  });

  it("a budget over a current pod only (a StatefulSet's primary) counts too: the rollout would replace it", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const [db0, db1, db2] = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3 });
    cluster.labelPod("db-1", { role: "primary" });
    cluster.setMinAvailableBudget("db-primary", "db", 1, "shop", { role: "primary" });
    // Only db-2 is stale: db-0 and the primary db-1 are on the new image already.
    const current = (pod: PlanPod, labels = pod.labels): PlanPod => ({
      ...pod,
      labels,
      action: "none",
      containers: pod.containers.map((c) => ({ ...c, status: "current", runningDigest: c.latestDigest })),
    });
    const scope = [current(db0!), current(db1!, { ...db1!.labels, role: "primary" }), db2!];
    const plan = await decidedPlan(cluster, scope, "auto");
    expect(plan.pods[2]!.restart).toMatchObject({
      strategy: "evict",
      reason:
        "PodDisruptionBudget db-primary allows no disruption, and StatefulSet/db's rollout takes 1 pod out of service at once: evicted one at a time",
    });
    const { reported } = await runRestart(clock, cluster, podsToRestart(plan));
    expect(reported).toEqual(["db-2 evicted"]);
  });

  it("a patch that may have been made (a Timeout, the workload unread after) keeps its budget share drawn", async () => {
    const blue = webTrack("blue");
    const red = webTrack("red");
    const result = await run("auto", [blue, red], (cluster) => {
      cluster.setMinAvailableBudget("guard", "web", 7);
      // blue's patch is made, but its answer is lost and the workload cannot be read to tell.
      const patch = cluster.patchRestartedAt.bind(cluster);
      cluster.patchRestartedAt = async (kind, namespace, name, ...rest) => {
        const outcome = await patch(kind, namespace, name, ...rest);
        if (name !== "blue" || outcome.kind !== "patched") return outcome;
        return { kind: "failed", reason: "Error from server (Timeout): Timeout", perhapsPatched: true };
      };
    });
    const outcome = result.rollouts.find((r) => r.controller.name === "blue")!.outcome;
    expect(outcome).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("Deployment/blue may be rolling"),
    });
    // red waits for blue's share, which is never released in this run: the budget is not overdrawn.
    expect(result.fewest).toBeGreaterThanOrEqual(7);
    expect(result.reported).toContainEqual(expect.stringMatching(/^Deployment\/red not-started: /));
  });

  it("budgets that cannot be listed (RBAC): evicted, where the API server enforces them; a surge-only rollout rolls", async () => {
    const refused = (cluster: InMemoryCluster) => {
      cluster.budgetsUnreadable = true;
    };
    const auto = await run("auto", [webTrack("blue")], refused);
    expect(auto.plan.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason:
        "its PodDisruptionBudgets could not be read, and Deployment/blue's rollout takes 1 pod out of service at once: evicted one at a time",
    });
    expect(auto.patches).toBe(0);
    expect(auto.reported.filter((line) => line.endsWith(" evicted"))).toHaveLength(4);
    const surging = await run("auto", [webTrack("blue", { maxUnavailable: 0 })], refused);
    expect(surging.plan.pods[0]!.restart?.strategy).toBe("rollout");
    expect(surging.patches).toBe(1);
  });

  it("a budget that wants every pod, now: not rolled at apply, saying why; --strategy rollout rolls it", async () => {
    // The plan read no budget (its list refused, say): apply's own check before the patch holds.
    const guard = (cluster: InMemoryCluster) => cluster.setMinAvailableBudget("guard", "web", 4);
    const auto = await run("auto", [webTrack("blue")], guard, ["blue"], false);
    expect(auto.plan.pods[0]!.restart?.strategy).toBe("rollout");
    expect(auto.patches).toBe(0);
    expect(auto.fewest).toBe(4);
    expect(auto.reported).toContain(
      "Deployment/blue not-started: PodDisruptionBudget guard allows no disruption now: the rollout of Deployment/blue takes 1 pod out of service at once",
    );
    const asked = await run("rollout", [webTrack("blue")], guard);
    expect(asked.patches).toBe(1);
    expect(asked.fewest).toBe(3);
  });

  /** Deployment blue of 8, 2 down at once, under minAvailable 7; its kubelet evicted one pod, which lingers. */
  async function withLingeringPod() {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController(webTrack("blue", { replicas: 8, maxSurge: 2, maxUnavailable: 2 }));
    cluster.setMinAvailableBudget("guard", "web", 7);
    // The budget counts 9 pods, 8 of them Ready.
    cluster.setFailed(pods[7]!.name);
    await clock.advance(5000);
    return { clock, cluster, pods };
  }

  it("under a selector that leaves the ended pod out (--field-selector status.phase=Running): evicted too", async () => {
    const { clock, cluster, pods } = await withLingeringPod();
    const names = new Set(pods.map((p) => p.name));
    const made = Object.keys(cluster.digests("blue")).find((name) => !names.has(name))!;
    const replacement: PlanPod = {
      ...pods[0]!,
      name: made,
      uid: `uid-${made}`,
      action: "none",
      containers: pods[0]!.containers.map((c) => ({ ...c, status: "current", runningDigest: newDigest })),
    };
    const plan = await decidedPlan(cluster, [...pods.slice(0, 7), replacement], "auto", true, true);
    expect(plan.pods[0]!.restart?.strategy).toBe("evict");
    const { reported } = await runRestart(clock, cluster, podsToRestart(plan));
    expect(reported.filter((line) => line.endsWith(" evicted"))).toHaveLength(7);
    expect(cluster.patches()).toHaveLength(0);
  });

  it("an ended pod a minAvailable count counts (evicted, lingering Failed) can never be Ready: evicted", async () => {
    const { clock, cluster, pods } = await withLingeringPod();
    const ended: PlanPod = { ...pods[7]!, ended: true, action: "none" };
    const plan = await decidedPlan(cluster, [...pods.slice(0, 7), ended], "auto");
    expect(plan.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason:
        "PodDisruptionBudget guard allows at most 1 disruption, and Deployment/blue's rollout takes 2 pods out of service at once: evicted one at a time",
    });
    const { reported } = await runRestart(clock, cluster, podsToRestart(plan));
    expect(reported.filter((line) => line.endsWith(" evicted"))).toHaveLength(7);
    expect(cluster.patches()).toHaveLength(0);
  });

  it("a surge-only rollout under a budget wanting more pods than there are is rolled, not evicted", async () => {
    // A chart's minAvailable 2 over one replica: no eviction is ever allowed, and the rollout needs none.
    const one = webTrack("blue", { replicas: 1, maxUnavailable: 0 });
    const result = await run("auto", [one], (cluster) => cluster.setMinAvailableBudget("guard", "web", 2));
    expect(result.plan.pods[0]!.restart).toMatchObject({ strategy: "rollout" });
    expect(result.patches).toBe(1);
    expect(result.fewest).toBe(1);
  });

  it("a rollout that takes no pod out of service (a surge only) needs nothing of its budgets", async () => {
    const surgeOnly = webTrack("blue", { maxUnavailable: 0 });
    const result = await run("auto", [surgeOnly], (cluster) =>
      cluster.setMinAvailableBudget("guard", "web", 4),
    );
    expect(result.patches).toBe(1);
    expect(result.fewest).toBe(4);
  });

  it("waits for a budget shared with a degraded workload, and rolls once it allows", async () => {
    const green = webTrack("green", { replicas: 2 });
    const result = await run(
      "auto",
      [webTrack("blue"), green],
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
    const result = await run("auto", [webTrack("blue"), webTrack("red")], (cluster) =>
      cluster.setMinAvailableBudget("guard", "web", 7),
    );
    expect(result.patches).toBe(2);
    expect(result.fewest).toBe(7);
  });

  it("an eviction beside a rollout under one budget waits for it, as the budget's status may not show it yet", async () => {
    // red uses Recreate: auto evicts its pods; blue is rolled. One budget over both allows one disruption.
    const red = webTrack("red", { replicas: 2, updateStrategy: "Recreate" });
    const result = await run("auto", [webTrack("blue"), red], (cluster) =>
      cluster.setMinAvailableBudget("guard", "web", 5),
    );
    expect(result.plan.pods.map((pod) => pod.restart?.strategy)).toEqual([
      ...Array(4).fill("rollout"),
      "evict",
      "evict",
    ]);
    expect(result.patches).toBe(1);
    expect(result.fewest).toBe(5);
  });

  it("evictions of two workloads beside a rollout under one budget are checked one after another", async () => {
    // blue is rolled one pod at a time (maxSurge 0); red and green use Recreate and are evicted. One budget
    // over all 8 pods keeps 6: the rollout's pod and one eviction at most, never one eviction each at once.
    const track = (name: string) => webTrack(name, { replicas: 2, updateStrategy: "Recreate" });
    const result = await run(
      "auto",
      [webTrack("blue", { maxSurge: 0 }), track("red"), track("green")],
      (cluster) => cluster.setMinAvailableBudget("guard", "web", 6),
    );
    expect(result.plan.pods.map((pod) => pod.restart?.strategy)).toEqual([
      ...Array(4).fill("rollout"),
      ...Array(4).fill("evict"),
    ]);
    expect(result.fewest).toBe(6);
  });

  it("a rollout's draw counts until it ends, not only until its budget's status first shows it", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    // One disruption allowed over blue and red; blue's rollout takes a pod down at each step, and its
    // budget shows the full allowance again between steps (a new pod Ready during minReadySeconds).
    let allowed = 1;
    const { gate, pod } = gateOver(
      async () => [{ name: "guard", selector: { matchLabels: { app: "web" } }, disruptionsAllowed: allowed }],
      clock,
    );
    const rollout = (name: string) => ({
      disruptions: 1,
      by: `the rollout of Deployment/${name}`,
      lasting: true,
    });
    const blue = await gate.waitUntilAllowed(pod("blue-0"), undefined, rollout("blue"));
    for (const step of [0, 1, 2, 3]) {
      clock.at(start + 1000 + step * 14_000, () => (allowed = 0));
      clock.at(start + 5000 + step * 14_000, () => (allowed = 1));
    }
    clock.at(start + 60_000, () => "release" in blue && blue.release());
    let redAt = 0;
    await clock.run(
      gate.waitUntilAllowed(pod("red-0"), undefined, rollout("red")).then(() => (redAt = clock.now())),
    );
    expect(redAt - start).toBeGreaterThanOrEqual(60_000);
  });

  it("a rollout that fails after its draw gives it back: the next workload behind the budget rolls", async () => {
    const result = await run("auto", [webTrack("blue"), webTrack("red")], (cluster) => {
      cluster.setMinAvailableBudget("guard", "web", 7);
      // blue's patch meets a Conflict, and reading blue again fails: blue is left.
      cluster.conflictsOnPatch = 1;
      const getWorkload = cluster.getWorkload.bind(cluster);
      let reads = 0;
      cluster.getWorkload = async (kind, namespace, name) => {
        if (name === "blue" && ++reads === 2)
          throw new ToolFailedError("kubectl get failed: etcdserver: request timed out");
        return getWorkload(kind, namespace, name);
      };
    });
    const rollouts = result.reported.filter((line) => line.startsWith("Deployment/")).sort();
    expect(rollouts[0]).toMatch(/^Deployment\/blue not-started: kubectl get failed/);
    expect(rollouts[1]).toBe("Deployment/red rolled-out 4");
  });
});

/** A gate over a namespace's budgets as `list` answers them; an eviction that says whether it was sent. */
function gateOver(list: () => Promise<DisruptionBudget[]>, clock = new FakeClock()) {
  const options = {
    dryRun: false,
    wait: true,
    waitTimeoutMs: 120_000,
    pollMs: 1000,
    signal: new AbortController().signal,
    clock,
  };
  const gate = new BudgetGate({ listDisruptionBudgets: list }, options as unknown as RestartOptions);
  const pod = (name: string) => ({ namespace: "shop", name, labels: { app: "web" } }) as never;
  const evict = (name: string) =>
    gate.evictUnlessHeld(
      pod(name),
      { app: "web" },
      () => "ready" as const,
      async () => "sent",
    );
  return { gate, pod, evict };
}

describe("an eviction beside a rollout whose budgets cannot be read", () => {
  const refused = () => new ToolFailedError("kubectl get failed: Error from server (Forbidden)");

  it("a surge-only rollout with its budgets unread holds every eviction in its namespace until it ends", async () => {
    // Its new pods count as healthy in budgets it cannot see until it retires old ones.
    const { gate, pod, evict } = gateOver(async () => {
      throw refused();
    });
    const surge = { disruptions: 0, surges: 1, by: "the rollout of Deployment/blue", lasting: true };
    const rolling = await gate.waitUntilAllowed(pod("blue-0"), undefined, surge);
    expect("release" in rolling).toBe(true);
    expect(await evict("red-0")).toEqual({
      held: "the rollout of Deployment/blue surges in its namespace, whose PodDisruptionBudgets could not be read: its new pods may count as healthy in them until it ends",
    });
    if ("release" in rolling) rolling.release();
    expect(await evict("red-0")).toBe("sent");
  });

  it("a list failing while a rollout draws on them holds the eviction until the next poll", async () => {
    let fails = false;
    const { gate, pod, evict } = gateOver(async () => {
      if (fails) throw new ToolFailedError("kubectl get failed: Error from server (InternalError)");
      return [{ name: "guard", selector: { matchLabels: { app: "web" } }, disruptionsAllowed: 1 }];
    });
    const rollout = { disruptions: 1, by: "the rollout of Deployment/blue", lasting: true };
    expect("release" in (await gate.waitUntilAllowed(pod("blue-0"), undefined, rollout))).toBe(true);
    fails = true;
    expect(await evict("red-0")).toEqual({
      held: "its PodDisruptionBudgets, which a rollout of this run draws on, could not be read: kubectl get failed: Error from server (InternalError)",
    });
  });
});
