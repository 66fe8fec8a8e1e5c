/**
 * Workloads a PodDisruptionBudget holds now are restarted last: each holds a --concurrency slot while its
 * budget is waited out, and first in the API's order, as at every run, a few would starve the rest.
 */
import { describe, expect, it } from "vitest";
import type { DisruptionBudget } from "../../../../src/core/disruption-budget.js";
import { blockedLast } from "../../../../src/pipeline/restart/blocked-last.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { planPod } from "../../../support/plan-pods.js";
import { runRestart } from "../../../support/restart.js";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

/** Two workloads in the API's order: "held", whose budget allows no disruption, then "web". */
function heldThenWeb(cluster: InMemoryCluster) {
  cluster.setBudget("guard", "held", 0);
  return [
    ...cluster.addController({ name: "held", replicas: 1, strategy: "evict" }),
    ...cluster.addController({ name: "web", replicas: 1, strategy: "evict" }),
  ];
}

describe("workloads held by a budget go last", () => {
  it("one slot, a held workload listed first: the others are restarted before its wait", async () => {
    const { clock, cluster } = setup();
    const pods = heldThenWeb(cluster);
    const { reported } = await runRestart(clock, cluster, pods, { concurrency: 1, waitTimeoutMs: 5000 });
    expect(cluster.evictions()[0]).toBe("0 evict shop/web-0 → 201");
    expect(reported).toEqual([
      "web-0 evicted",
      "held-0 not-started: PodDisruptionBudget guard allows no disruption now",
    ]);
  });

  it("a rollout its budget holds, under auto (which holds a rollout to its budgets), goes last too", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "held", 0);
    const pods = [
      ...cluster.addController({
        kind: "Deployment",
        name: "held",
        replicas: 3,
        maxSurge: 0,
        maxUnavailable: 1,
        strategy: "rollout",
      }),
      ...cluster.addController({ name: "web", replicas: 1, strategy: "evict" }),
    ];
    const { reported } = await runRestart(clock, cluster, pods, {
      strategy: "auto",
      concurrency: 1,
      waitTimeoutMs: 60_000,
    });
    expect(cluster.evictions()[0]).toBe("0 evict shop/web-0 → 201");
    expect(reported).toEqual([
      "web-0 evicted",
      "Deployment/held not-started: PodDisruptionBudget guard allows no disruption now: the rollout of Deployment/held takes 1 pod out of service at once",
    ]);
  });

  it("a rollout its budget allows fewer disruptions now than it takes at once (1 of 2) goes last too", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "held", 1);
    const controller = {
      kind: "Deployment",
      name: "held",
      replicas: 4,
      maxSurge: 0,
      maxUnavailable: 2,
    } as const;
    const held = cluster
      .addController({ ...controller, strategy: "rollout" })
      .map((pod) => ({ ...pod, restart: { ...pod.restart!, takesDown: 2 } }));
    const pods = [...held, ...cluster.addController({ name: "web", replicas: 1, strategy: "evict" })];
    const { reported } = await runRestart(clock, cluster, pods, {
      strategy: "auto",
      concurrency: 1,
      waitTimeoutMs: 60_000,
    });
    expect(cluster.evictions()[0]).toBe("0 evict shop/web-0 → 201");
    expect(reported[0]).toBe("web-0 evicted");
  });

  it("budgets that cannot be listed leave the order as planned", async () => {
    const { clock, cluster } = setup();
    cluster.budgetsUnreadable = true;
    const pods = heldThenWeb(cluster);
    await runRestart(clock, cluster, pods, { concurrency: 1, waitTimeoutMs: 5000 });
    expect(cluster.evictions()[0]).toBe("0 evict shop/held-0 → 429");
  });

  it("--no-wait holds no slot: nothing is read, nothing reordered", async () => {
    const { clock, cluster } = setup();
    const pods = heldThenWeb(cluster);
    await runRestart(clock, cluster, pods, { concurrency: 1, wait: false });
    expect(cluster.evictions()).toEqual(["0 evict shop/held-0 → 429", "0 evict shop/web-0 → 201"]);
    // The budgets are read only to name the one that refused, after the refusal.
    const first = (text: string) => cluster.calls.findIndex((call) => call.includes(text));
    expect(first(" list budgets ")).toBeGreaterThan(first("evict shop/held-0"));
  });
});

describe("the order's cost", () => {
  it("grows with the pods and the budgets, not their product: only budgets allowing no disruption are matched", async () => {
    const workloads = 200;
    let selectorReads = 0;
    // A budget for each workload, each allowing a disruption: none holds anything.
    const budgets: DisruptionBudget[] = Array.from({ length: workloads }, (_, w) => {
      const selector = { matchLabels: { app: `app${w}` } };
      return {
        name: `pdb${w}`,
        get selector() {
          selectorReads++;
          return selector;
        },
        disruptionsAllowed: 1,
      };
    });
    const groups = Array.from({ length: workloads }, (_, w) =>
      Array.from({ length: 5 }, (_, i) =>
        planPod(`app${w}-${i}`, {
          labels: { app: `app${w}` },
          restart: { strategy: "evict", controller: { kind: "StatefulSet", name: `app${w}` }, reason: "" },
        }),
      ),
    );
    const api = { listDisruptionBudgets: async () => budgets };
    const ordered = await blockedLast(api, groups, {
      concurrency: 4,
      wait: true,
      dryRun: false,
      strategy: "auto",
    });
    expect(ordered).toEqual(groups);
    expect(selectorReads).toBeLessThanOrEqual(2 * (workloads * 5 + workloads));
  });
});
