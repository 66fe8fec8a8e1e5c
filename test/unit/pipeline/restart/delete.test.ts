/**
 * apply's pacing rules, against an in-memory cluster on a fake clock: one pod at a time per controller,
 * controllers side by side, budgets honoured, every replacement checked, Ctrl-C starts nothing new.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../../src/adapters/kubectl-errors.js";
import type { DisruptionBudget } from "../../../../src/core/disruption-budget.js";
import type { PlanPod } from "../../../../src/core/plan.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { BudgetGate } from "../../../../src/pipeline/restart/budget-gate.js";
import type { RestartOptions } from "../../../../src/pipeline/restart/restart-options.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, oldDigest } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

/** The delete strategy: pods deleted one at a time per controller, as the seed's way made safe. */
const run = (
  clock: FakeClock,
  cluster: InMemoryCluster,
  pods: PlanPod[],
  options: Partial<RestartOptions> = {},
) => runRestart(clock, cluster, pods, { strategy: "delete", ...options });

describe("one pod at a time per controller", () => {
  it("deletes the next pod only once the last one's replacement is Ready", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, readyAfterMs: 3000 });
    const { reported, problems } = await run(clock, cluster, pods);
    // A replacement is Ready 3 s after its deletion; the wait polls every second.
    expect(cluster.deletions()).toEqual([
      "0 delete shop/web-0",
      "3000 delete shop/web-1",
      "6000 delete shop/web-2",
    ]);
    expect(reported).toEqual(["web-0 deleted", "web-1 deleted", "web-2 deleted"]);
    expect(problems).toEqual([]);
    expect(cluster.readyPods("web")).toBe(3);
  });

  it("different controllers go side by side", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "web", replicas: 2, readyAfterMs: 2000 }),
      ...cluster.addController({ name: "api", replicas: 2, readyAfterMs: 5000 }),
    ];
    await run(clock, cluster, pods);
    expect(cluster.deletions()).toEqual([
      "0 delete shop/web-0",
      "0 delete shop/api-0",
      "2000 delete shop/web-1",
      "5000 delete shop/api-1",
    ]);
  });

  it("--concurrency bounds how many controllers move at once", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "web", replicas: 1, readyAfterMs: 2000 }),
      ...cluster.addController({ name: "api", replicas: 1, readyAfterMs: 2000 }),
    ];
    await run(clock, cluster, pods, { concurrency: 1 });
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0", "2000 delete shop/api-0"]);
  });

  it("--no-wait deletes one after another without waiting or checking", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, readyAfterMs: Number.POSITIVE_INFINITY });
    const { problems } = await run(clock, cluster, pods, { wait: false });
    expect(cluster.deletions()).toEqual([
      "0 delete shop/web-0",
      "0 delete shop/web-1",
      "0 delete shop/web-2",
    ]);
    expect(problems).toEqual([]);
  });

  it("a dry run waits for nothing: each pod is read, its budgets read, then it is deleted as a dry run", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 1);
    const pods = cluster.addController({ name: "web", replicas: 2 });
    await run(clock, cluster, pods, { dryRun: true });
    expect(cluster.calls).toEqual([
      "0 read pod shop/web-0",
      "0 list budgets shop",
      "0 delete shop/web-0 (dry run)",
      "0 read pod shop/web-1",
      "0 list budgets shop",
      "0 delete shop/web-1 (dry run)",
    ]);
  });

  it("a dry run reports a budget that allows no disruption at once, as the real run would after its wait", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = cluster.addController({ name: "web", replicas: 2 });
    const { reported } = await run(clock, cluster, pods, { dryRun: true });
    expect(cluster.deletions()).toEqual([]);
    expect(reported[0]).toBe("web-0 not-started: PodDisruptionBudget guard allows no disruption now");
    expect(clock.now() - Date.parse("2026-11-30T12:00:00Z")).toBe(0);
  });
});

describe("cost", () => {
  it("kubectl calls taking time, no budget waited for: one read of each pod, as under evict", async () => {
    const { clock, cluster } = setup();
    // Each one-off call takes 50 ms, as a kubectl does.
    const api = cluster as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of ["getObject", "readPod", "listPodsBySelector", "listDisruptionBudgets", "deletePod"]) {
      const call = api[name]!.bind(cluster);
      api[name] = async (...args: unknown[]) => {
        await clock.sleep(50, new AbortController().signal);
        return call(...args);
      };
    }
    const pods = cluster.addController({
      kind: "StatefulSet",
      name: "db",
      replicas: 4,
      updateStrategy: "OnDelete",
    });
    const { reported } = await run(clock, cluster, pods);
    expect(reported).toEqual(["db-0 deleted", "db-1 deleted", "db-2 deleted", "db-3 deleted"]);
    expect(cluster.calls.filter((c) => c.includes(" read pod "))).toHaveLength(4);
  });
});

describe("every replacement is checked", () => {
  it("a replacement not Ready within the wait timeout spares the controller's other pods", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, readyAfterMs: Number.POSITIVE_INFINITY });
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 10_000 });
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0"]);
    const reason = "ReplicaSet/web did not have 3 ready pods within the wait timeout";
    expect(reported).toEqual([
      "web-0 deleted",
      `web-0 problem: ${reason}`,
      `web-1 not-started: ${reason}`,
      `web-2 not-started: ${reason}`,
    ]);
    expect(clock.elapsed()).toBe(10_000);
  });

  it("one that never comes up: what its kubelet says of its containers is told (ImagePullBackOff)", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 3,
      readyAfterMs: Number.POSITIVE_INFINITY,
      waitingReason: "ImagePullBackOff",
    });
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 10_000 });
    expect(reported[1]).toBe(
      "web-0 problem: ReplicaSet/web did not have 3 ready pods within the wait timeout (web-3's app ImagePullBackOff)",
    );
  });

  it("a replacement back on the old digest spares the rest: the node started its cached image", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
    });
    const { reported } = await run(clock, cluster, pods);
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0"]);
    const reason =
      "the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent))";
    expect(reported).toEqual(["web-0 deleted", `web-0 problem: ${reason}`, `web-1 not-started: ${reason}`]);
  });

  it("the last (or only) pod's replacement is checked too, and a failure is reported as for the others", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 1, readyAfterMs: Number.POSITIVE_INFINITY });
    const { reported, problems } = await run(clock, cluster, pods, { waitTimeoutMs: 5000 });
    expect(reported).toEqual([
      "web-0 deleted",
      "web-0 problem: ReplicaSet/web did not have 1 ready pod within the wait timeout",
    ]);
    expect(problems).toHaveLength(1);
  });
});

describe("PodDisruptionBudgets", () => {
  it("waits while a budget allows no disruption, then goes on", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    clock.at(clock.now() + 4500, () => cluster.setBudget("guard", "web", 1));
    const pods = cluster.addController({ name: "web", replicas: 1, readyAfterMs: 1000 });
    await run(clock, cluster, pods);
    // Polled every second: allowed at 4.5 s, seen at 5 s.
    expect(cluster.deletions()).toEqual(["5000 delete shop/web-0"]);
  });

  it("leaves the pod, naming the budget, when it still blocks at the wait timeout; the others are asked once each", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = cluster.addController({ name: "web", replicas: 2 });
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 30_000 });
    expect(cluster.deletions()).toEqual([]);
    const reason = "PodDisruptionBudget guard allows no disruption now";
    expect(reported).toEqual([`web-0 not-started: ${reason}`, `web-1 not-started: ${reason}`]);
    expect(clock.elapsed()).toBe(30_000);
  });

  it("a budget over one pod only (a StatefulSet's primary) leaves that pod; the others, which it does not select, go", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3 });
    // db-0 carries the primary's label; the only budget selects it alone and allows nothing.
    cluster.labelPod("db-0", { role: "primary" });
    cluster.setMinAvailableBudget("db-primary", "db", 1, "shop", { role: "primary" });
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 10_000 });
    expect(reported).toEqual([
      "db-0 not-started: PodDisruptionBudget db-primary allows no disruption now",
      "db-1 deleted",
      "db-2 deleted",
    ]);
  });

  it("selects its budgets by the pod's labels now: an operator moved the primary's label to it since the plan", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3 });
    cluster.setMinAvailableBudget("db-primary", "db", 1, "shop", { role: "primary" });
    cluster.labelPod("db-1", { role: "primary" });
    const { reported } = await run(clock, cluster, [pods[1]!], { waitTimeoutMs: 10_000 });
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual(["db-1 not-started: PodDisruptionBudget db-primary allows no disruption now"]);
  });

  it("reads the pod's labels again after a wait for its budget: moved to it meanwhile, they hold it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3 });
    // Every pod's budget allows nothing until 5 s; meanwhile a switchover makes db-1 the primary.
    cluster.setBudget("all", "db", 0);
    cluster.setMinAvailableBudget("db-primary", "db", 1, "shop", { role: "primary" });
    clock.at(clock.now() + 4000, () => cluster.labelPod("db-1", { role: "primary" }));
    clock.at(clock.now() + 5000, () => cluster.setBudget("all", "db", 1));
    const { reported } = await run(clock, cluster, [pods[1]!], { waitTimeoutMs: 10_000 });
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual(["db-1 not-started: PodDisruptionBudget db-primary allows no disruption now"]);
  });

  it("a ReplicaSet that started being deleted while its budget was waited for: its pod is left", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "db", replicas: 2, strategy: "delete" });
    // The budget allows no disruption until 5 s; by then an orphaning delete holds the ReplicaSet.
    cluster.setBudget("guard", "db", 0);
    clock.at(clock.now() + 5000, () => {
      cluster.setDeleting("db");
      cluster.setBudget("guard", "db", 1);
    });
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 60_000 });
    expect(reported).toEqual([
      "db-0 not-started: ReplicaSet/db is being deleted since the plan: it would not bring the pod back",
    ]);
    expect(cluster.deletions()).toEqual([]);
  });

  it("with --no-wait a blocking budget is not waited for", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = cluster.addController({ name: "web", replicas: 1 });
    const { reported } = await run(clock, cluster, pods, { wait: false });
    expect(reported).toEqual(["web-0 not-started: PodDisruptionBudget guard allows no disruption now"]);
    expect(clock.elapsed()).toBe(0);
  });

  it("with --no-wait a deletion counts against its budget for the rest of the run, while its status lags", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 1);
    const pods = cluster.addController({ name: "web", replicas: 3, readyAfterMs: Number.POSITIVE_INFINITY });
    const { reported } = await run(clock, cluster, pods, { wait: false });
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0"]);
    const reason =
      "PodDisruptionBudget guard allows no disruption now, counting this run's own restarts under it";
    expect(reported).toEqual([
      "web-0 deleted",
      `web-1 not-started: ${reason}`,
      `web-2 not-started: ${reason}`,
    ]);
  });

  it("the controller short of pods (a quota refused one): no Ready pod is deleted", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, podQuota: 2 });
    const { reported } = await run(clock, cluster, pods);
    expect(cluster.deletions()).toEqual([]);
    const reason =
      "ReplicaSet/web has 2 of the 3 pods it should have: restarting a Ready one now would leave it shorter";
    expect(reported).toEqual([`web-0 not-started: ${reason}`, `web-1 not-started: ${reason}`]);
  });

  it("another pod of the controller not Ready: no Ready pod is deleted", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2 });
    cluster.setUnready("web-1");
    const { reported } = await run(clock, cluster, pods.slice(0, 1));
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual([
      "web-0 not-started: ReplicaSet/web has 1 pod not Ready (web-1): restarting a Ready one now would leave it shorter",
    ]);
  });

  it("a crash-looping stale pod that alone zeroes a healthy budget goes, as the Eviction API lets it; the Ready ones wait for its replacement", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3 });
    // maxUnavailable 1 of 3: web-2 not Ready leaves 2 Ready of the 2 wanted, so 0 disruptions allowed.
    cluster.setMinAvailableBudget("guard", "web", 2);
    cluster.setUnready("web-2");
    const { reported } = await run(clock, cluster, [pods[2]!, pods[0]!, pods[1]!]);
    expect(cluster.deletions().map((d) => d.replace(/^\d+ /, ""))).toEqual([
      "delete shop/web-2",
      "delete shop/web-0",
      "delete shop/web-1",
    ]);
    expect(reported.filter((line) => line.includes("not-started"))).toEqual([]);
    expect(cluster.lowestReady("web")).toBe(2);
  });

  it("a stale pod still Pending goes whatever its budget allows, as the Eviction API lets it: it takes no Ready pod away", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3 });
    // minAvailable 3 of 3: no disruption ever, and web-2, stuck in its init containers, is why it is at 0.
    cluster.setMinAvailableBudget("guard", "web", 3);
    cluster.setPending("web-2");
    const { reported } = await run(clock, cluster, [pods[2]!]);
    expect(reported).toEqual(["web-2 deleted"]);
    expect(cluster.deletions()).toEqual(["0 delete shop/web-2"]);
  });

  it("a pod still not Ready goes once its budget has its Ready pods again, not only if it had them at the first look", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3 });
    // web-1 restarts on its own (a liveness probe) and is back Ready at 3 s: guard is healthy from then.
    cluster.setMinAvailableBudget("guard", "web", 2);
    cluster.setUnready("web-2");
    cluster.setUnready("web-1");
    clock.at(clock.now() + 3000, () => cluster.setReady("web-1"));
    const { reported } = await run(clock, cluster, [pods[2]!], { waitTimeoutMs: 30_000 });
    expect(reported).toEqual(["web-2 deleted"]);
    expect(cluster.deletions()).toEqual(["3000 delete shop/web-2"]);
  });

  /**
   * Budgets that let a pod not Ready go always (AlwaysAllow); their list, and a read of a pod, take 200 ms,
   * as a kubectl call does.
   */
  function slowAlwaysAllow(clock: FakeClock): InMemoryCluster {
    const slow = () => clock.sleep(200, new AbortController().signal);
    return new (class extends InMemoryCluster {
      override async listDisruptionBudgets(namespace: string): Promise<DisruptionBudget[]> {
        await slow();
        const budgets = await super.listDisruptionBudgets(namespace);
        return budgets.map((b) => ({ ...b, unhealthyPodEvictionPolicy: "AlwaysAllow" }));
      }
      override async readPod(namespace: string, name: string) {
        await slow();
        return super.readPod(namespace, name);
      }
    })(clock);
  }

  it("a pod let through as not Ready, and Ready by its deletion, is asked for again: held while Ready", async () => {
    const { clock } = setup();
    const cluster = slowAlwaysAllow(clock);
    const pods = cluster.addController({ name: "web", replicas: 3 });
    // minAvailable 3 of 3: no disruption of a Ready pod, ever; a pod not Ready goes (AlwaysAllow).
    cluster.setMinAvailableBudget("guard", "web", 3);
    cluster.setUnready("web-2");
    // Ready again after the budgets let it through as not Ready, before its deletion, and from then on.
    clock.at(clock.now() + 300, () => cluster.setReady("web-2"));
    const { reported } = await run(clock, cluster, [pods[2]!], { waitTimeoutMs: 5000 });
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual(["web-2 not-started: PodDisruptionBudget guard allows no disruption now"]);
  });

  it("a crash-looping pod Ready for a moment at the read before its deletion goes once it is not Ready again", async () => {
    const { clock } = setup();
    const cluster = slowAlwaysAllow(clock);
    const pods = cluster.addController({ name: "web", replicas: 3 });
    cluster.setMinAvailableBudget("guard", "web", 3);
    cluster.setUnready("web-2");
    // Let through as not Ready at 600 ms; Ready at 700 ms (the read before the deletion sees it so); at 2 s
    // its container crashes again.
    clock.at(clock.now() + 700, () => cluster.setReady("web-2"));
    clock.at(clock.now() + 2000, () => cluster.setUnready("web-2"));
    const { reported } = await run(clock, cluster, [pods[2]!], { waitTimeoutMs: 30_000 });
    expect(reported[0]).toBe("web-2 deleted");
    expect(Number(cluster.deletions()[0]?.split(" ")[0])).toBeLessThan(5000);
  });

  it.each([
    ["--no-wait", { wait: false }],
    ["--dry-run", { dryRun: true }],
  ] as const)(
    "%s, kubectl calls taking time: a crash-looping pod goes after a few reads, not in a loop of them",
    async (_, options) => {
      const { clock } = setup();
      const stop = new AbortController();
      const cluster = slowAlwaysAllow(clock);
      const pods = cluster.addController({ name: "web", replicas: 3 });
      cluster.setMinAvailableBudget("guard", "web", 2);
      cluster.setUnready("web-2");
      // A loop of reads is cut after a minute, as a Ctrl-C would.
      clock.at(clock.now() + 60_000, () => stop.abort());
      const { reported } = await run(clock, cluster, [pods[2]!], { ...options, signal: stop.signal });
      expect(reported).toEqual(["web-2 deleted"]);
    },
  );

  describe("where the controller's pods are not followed, the pod's own readiness counts", () => {
    const crashLooping = () => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ name: "web", replicas: 3 });
      cluster.setMinAvailableBudget("guard", "web", 2);
      cluster.setUnready("web-2");
      return { clock, cluster, pod: pods[2]! };
    };
    it("a dry run previews the deletion the real run makes", async () => {
      const { clock, cluster, pod } = crashLooping();
      expect((await run(clock, cluster, [pod], { dryRun: true })).reported).toEqual(["web-2 deleted"]);
    });
    it("--no-wait deletes it as a waiting run does", async () => {
      const { clock, cluster, pod } = crashLooping();
      expect((await run(clock, cluster, [pod], { wait: false })).reported).toEqual(["web-2 deleted"]);
    });
  });

  it("a pod not Ready under a budget short of Ready pods waits like any other", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3 });
    cluster.setMinAvailableBudget("guard", "web", 3);
    cluster.setUnready("web-2");
    const { reported } = await run(clock, cluster, [pods[2]!], { waitTimeoutMs: 10_000 });
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual(["web-2 not-started: PodDisruptionBudget guard allows no disruption now"]);
  });

  it("budgets that cannot be read leave the pods at once: a deletion would bypass them unseen", async () => {
    const { clock, cluster } = setup();
    cluster.budgetsUnreadable = true;
    const pods = cluster.addController({ name: "web", replicas: 2, readyAfterMs: 1000 });
    const { reported } = await run(clock, cluster, pods);
    expect(cluster.deletions()).toEqual([]);
    const reason =
      "its PodDisruptionBudgets could not be read, and a deletion would bypass them (under --strategy evict the API server enforces them): kubectl get failed: Error from server (Forbidden): poddisruptionbudgets.policy is forbidden";
    expect(reported).toEqual([`web-0 not-started: ${reason}`, `web-1 not-started: ${reason}`]);
    expect(clock.elapsed()).toBe(0);
  });

  it("budgets unreadable because the cluster is out of reach stop the run, as under evict and rollout", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "a", replicas: 1 }),
      ...cluster.addController({ name: "b", replicas: 1 }),
      ...cluster.addController({ name: "c", replicas: 1 }),
    ];
    const lost = new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
    let reads = 0;
    cluster.listDisruptionBudgets = async () => {
      reads++;
      throw lost;
    };
    const { stoppedBy, reported } = await run(clock, cluster, pods, { concurrency: 1 });
    expect(stoppedBy).toBe(lost);
    expect(reported).toEqual([
      "a-0 not-started: stopped on losing access to the cluster",
      "b-0 not-started: stopped on losing access to the cluster",
      "c-0 not-started: stopped on losing access to the cluster",
    ]);
    // Each call to an unreachable server may take a --request-timeout: asked once, not once per workload.
    expect(reads).toBe(1);
  });
});

describe("Ctrl-C", () => {
  it("starts no new deletion and reports the rest as interrupted", async () => {
    const { clock, cluster } = setup();
    const controller = new AbortController();
    clock.at(clock.now() + 1500, () => controller.abort());
    const pods = cluster.addController({ name: "web", replicas: 3, readyAfterMs: 3000 });
    const { reported, problems } = await run(clock, cluster, pods, { signal: controller.signal });
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0"]);
    expect(reported).toEqual([
      "web-0 deleted",
      "web-1 not-started: interrupted",
      "web-2 not-started: interrupted",
    ]);
    expect(problems).toEqual([]);
    expect(clock.elapsed()).toBe(1500);
  });

  it("while the budgets are read (a terminal's Ctrl-C reaches that kubectl too): the pods say interrupted", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2 });
    const controller = new AbortController();
    cluster.listDisruptionBudgets = async () => {
      controller.abort();
      throw new ToolFailedError("kubectl get failed: timed out or interrupted");
    };
    const { reported } = await run(clock, cluster, pods, { signal: controller.signal });
    expect(cluster.deletions()).toEqual([]);
    expect(reported).toEqual(["web-0 not-started: interrupted", "web-1 not-started: interrupted"]);
  });
});

describe("a budget over several controllers", () => {
  it("counts this run's own deletions until their replacements are up", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "web", replicas: 1 }),
      ...cluster.addController({ name: "canary", replicas: 1 }),
    ];
    // minAvailable 1 over both: one of the two may be down at a time. Its status is recounted only
    // after a second, as the disruption controller's is some time after a deletion.
    const selector = { matchExpressions: [{ key: "app", operator: "In", values: ["web", "canary"] }] };
    const allowed = (at: number) =>
      at < 1000 ? 1 : cluster.readyPods("web") + cluster.readyPods("canary") - 1;
    let countedAt = 0;
    cluster.listDisruptionBudgets = async () => {
      if (clock.elapsed() - countedAt >= 1000) countedAt = clock.elapsed();
      return [{ name: "tier", selector, disruptionsAllowed: Math.max(0, allowed(countedAt)) }];
    };
    const { reported } = await run(clock, cluster, pods);
    // Until the status is recounted (1 s), web-0's deletion is counted by this run; then the status
    // shows it; canary-0 goes once web-0's replacement is Ready (3 s).
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0", "3000 delete shop/canary-0"]);
    expect(reported).toEqual(["web-0 deleted", "canary-0 deleted"]);
  });

  it("a deletion that may have reached the server (no answer, the pod not read after) still counts", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "a", replicas: 2, podLabels: { app: "web", t: "a" } }),
      ...cluster.addController({ name: "b", replicas: 2, podLabels: { app: "web", t: "b" } }),
    ];
    // One disruption allowed, by a status that has not caught up with this run's deletions.
    cluster.setBudget("guard", "web", 1);
    // a-0's DELETE goes through; kubectl's answer is lost and the pod could not be read back.
    const deletePod = cluster.deletePod.bind(cluster);
    cluster.deletePod = async (namespace, name, uid, dryRun) => {
      const outcome = await deletePod(namespace, name, uid, dryRun);
      if (name !== "a-0") return outcome;
      return { kind: "failed", reason: "Error from server (Timeout): …", perhapsDone: true };
    };
    const ready = () => cluster.readyPods("a") + cluster.readyPods("b");
    let fewest = ready();
    for (let t = 0; t < 60_000; t += 100)
      clock.at(clock.now() + t, () => (fewest = Math.min(fewest, ready())));
    await run(clock, cluster, [pods[0]!, pods[2]!], { concurrency: 2 });
    expect(Math.min(fewest, ready())).toBe(3);
  });

  it("a deletion counts until its replacement is up, though the status shows it: a status lags both", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "web", replicas: 1, readyAfterMs: Number.POSITIVE_INFINITY }),
      ...cluster.addController({ name: "canary", replicas: 1 }),
      ...cluster.addController({ name: "api", replicas: 1 }),
    ];
    // minAvailable 1 of the three, recounted at once: two may be down at a time.
    const selector = { matchExpressions: [{ key: "app", operator: "In", values: ["web", "canary", "api"] }] };
    cluster.listDisruptionBudgets = async () => {
      const ready = ["web", "canary", "api"].reduce((n, app) => n + cluster.readyPods(app), 0);
      return [{ name: "tier", selector, disruptionsAllowed: Math.max(0, ready - 1) }];
    };
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 10_000 });
    const [web, canary, api] = ["web", "canary", "api"].map((app) =>
      cluster.deletions().find((d) => d.includes(`shop/${app}-0`)),
    );
    expect([web, canary]).toEqual(["0 delete shop/web-0", "0 delete shop/canary-0"]);
    // web-0's replacement never comes up: its deletion holds its share of the budget for its whole wait, as
    // long as api-0's. api-0 goes only once that wait is over, when the status counts web's missing pod itself.
    const webOver = reported.indexOf(
      "web-0 problem: ReplicaSet/web did not have 1 ready pod within the wait timeout",
    );
    expect(webOver).toBeGreaterThan(-1);
    expect(api).toBe("10000 delete shop/api-0");
    expect(reported.indexOf("api-0 deleted")).toBeGreaterThan(webOver);
  });

  it("a deletion whose replacement cannot be waited for counts until the wait it would have had is over", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "web", replicas: 1 }),
      ...cluster.addController({ name: "canary", replicas: 1 }),
    ];
    // web's pods cannot be counted (its controller unreadable, as a kind this tool does not follow).
    const getObject = cluster.getObject.bind(cluster);
    cluster.getObject = async <T>(resource: string, name: string, namespace: string) =>
      name === "web" ? null : getObject<T>(resource, name, namespace);
    // minAvailable 1 over both, its status recounted only every 20 s: it shows web-0's deletion late.
    const selector = { matchExpressions: [{ key: "app", operator: "In", values: ["web", "canary"] }] };
    let countedAt = 0;
    let allowed = 1;
    cluster.listDisruptionBudgets = async () => {
      if (clock.elapsed() - countedAt >= 20_000) {
        countedAt = clock.elapsed();
        allowed = Math.max(0, cluster.readyPods("web") + cluster.readyPods("canary") - 1);
      }
      return [{ name: "tier", selector, disruptionsAllowed: allowed }];
    };
    // Each DELETE answered after 200 ms: canary-0 starts waiting before web-0's draw is held from its answer.
    const deletePod = cluster.deletePod.bind(cluster);
    cluster.deletePod = async (...args: Parameters<typeof deletePod>) => {
      await clock.sleep(200, new AbortController().signal);
      return deletePod(...args);
    };
    const { reported } = await run(clock, cluster, pods, { waitTimeoutMs: 10_000 });
    // Nothing here sees web-0's replacement come up (at 3 s): its deletion counts for the 10 s its wait would
    // have lasted (to 10.2 s), after which the status alone counts it, as it counts one whose replacement
    // never came. canary-0's own wait, from 0, does not outlast it: it is left for the next run, as behind a
    // replacement that never comes up, and told why.
    expect(cluster.deletions()).toEqual(["200 delete shop/web-0"]);
    expect(reported).toEqual([
      "web-0 deleted",
      "canary-0 not-started: PodDisruptionBudget tier allows no disruption now, counting this run's own restarts under it",
    ]);
  });

  it("a budget held only by such a deletion, once asked without a wait, says so", async () => {
    const { gate, clock } = gateOver(() => 1, { wait: true, waitTimeoutMs: 10_000 });
    const allowed = await gate.waitUntilAllowed(pod("a-0"));
    if (!("release" in allowed)) throw new Error("a-0 not let through");
    allowed.landed?.();
    allowed.releaseAt?.(clock.now() + 10_000);
    expect(await gate.waitUntilAllowed(pod("b-0"), undefined, { mayWait: false })).toEqual({
      reason:
        "PodDisruptionBudget shared allows no disruption now, counting this run's own restarts under it",
      blocked: true,
    });
    // Released once that time is past: the status alone counts it from then on.
    await clock.advance(10_000);
    expect(await gate.waitUntilAllowed(pod("b-0"), undefined, { mayWait: false })).toHaveProperty("release");
  });

  /** A gate over one budget, shared, over tier=web, whose status allows what `allowed` says at each read. */
  function gateOver(allowed: () => number, options: Partial<RestartOptions> = {}) {
    const api = {
      async listDisruptionBudgets(): Promise<DisruptionBudget[]> {
        const selector = { matchLabels: { tier: "web" } };
        return [{ name: "shared", selector, disruptionsAllowed: allowed() }];
      },
    };
    const clock = new FakeClock();
    const signal = new AbortController().signal;
    const all = { dryRun: false, wait: false, pollMs: 1000, signal, clock, ...options };
    return { gate: new BudgetGate(api, all as unknown as RestartOptions), clock };
  }

  /** gateOver, each pod let through deleted at once: its deletion answered before the next list is sent. */
  function sharedBudget(allowed: () => number, options: Partial<RestartOptions> = {}) {
    const { gate, clock } = gateOver(allowed, options);
    const ask = gate.waitUntilAllowed.bind(gate);
    gate.waitUntilAllowed = async (...args) => {
      const allowed = await ask(...args);
      if ("release" in allowed) allowed.landed?.();
      return allowed;
    };
    return { gate, clock };
  }
  const pod = (name: string) => ({ namespace: "shop", name, labels: { tier: "web" } }) as unknown as PlanPod;
  /** Blocked by this run's own deletions, where the budget's status alone would let one more through. */
  const blocked = {
    reason: "PodDisruptionBudget shared allows no disruption now, counting this run's own restarts under it",
    blocked: true,
  };
  /** Blocked by the budget's status itself. */
  const blockedByStatus = { reason: "PodDisruptionBudget shared allows no disruption now", blocked: true };

  it("a status that shows one of two deletions lets no third through, however often it is read", async () => {
    // 2 at the first two deletions (the status lags), then 1: it shows one of the two, read again and again.
    const statuses = [2, 2];
    const { gate } = sharedBudget(() => statuses.shift() ?? 1);
    // Held, not released: as under --wait until each replacement is up.
    expect(await gate.waitUntilAllowed(pod("a-0"))).toHaveProperty("release");
    expect(await gate.waitUntilAllowed(pod("b-0"))).toHaveProperty("release");
    expect(await gate.waitUntilAllowed(pod("c-0"))).toEqual(blocked);
    // The same drop is not counted for b-0 at a second read.
    expect(await gate.waitUntilAllowed(pod("d-0"))).toEqual(blocked);
  });

  it("under --wait, the polls that read the unchanged status again let no third through either", async () => {
    let allowed = 2;
    const { gate, clock } = sharedBudget(() => allowed, { wait: true, waitTimeoutMs: 3000 });
    expect(await gate.waitUntilAllowed(pod("a-0"), undefined, { mayWait: false })).toHaveProperty("release");
    expect(await gate.waitUntilAllowed(pod("b-0"), undefined, { mayWait: false })).toHaveProperty("release");
    allowed = 1;
    expect(await clock.run(gate.waitUntilAllowed(pod("c-0")))).toEqual(blocked);
  });

  it("--no-wait: a deletion shown once its predecessor's replacement is back counts as shown too", async () => {
    // Draws are never released under --no-wait: a shown one whose replacement is back must not hide the next.
    let allowed = 1;
    const { gate } = sharedBudget(() => allowed);
    expect(await gate.waitUntilAllowed(pod("a-0"))).toHaveProperty("release");
    allowed = 0; // a-0's deletion shows
    expect(await gate.waitUntilAllowed(pod("b-0"))).toEqual(blockedByStatus);
    allowed = 1; // a-0's replacement is Ready
    expect(await gate.waitUntilAllowed(pod("b-0"))).toHaveProperty("release");
    allowed = 0; // b-0's deletion shows
    expect(await gate.waitUntilAllowed(pod("c-0"))).toEqual(blockedByStatus);
    allowed = 1; // b-0's replacement is Ready: none of this run's deletions is unshown
    expect(await gate.waitUntilAllowed(pod("c-0"))).toHaveProperty("release");
  });

  /** A shared budget whose list answers `allowed` as it is when asked, handing the answer back at `answer()`. */
  function slowRead(allowed: () => number) {
    let answer: () => void = () => {};
    const { gate } = sharedBudget(allowed);
    const api = (gate as unknown as { api: { listDisruptionBudgets(): Promise<DisruptionBudget[]> } }).api;
    const listed = api.listDisruptionBudgets.bind(api);
    let holdNext = false;
    api.listDisruptionBudgets = async () => {
      const budgets = await listed();
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => (answer = resolve));
      }
      return budgets;
    };
    return { gate, holdNextRead: () => (holdNext = true), answer: () => answer() };
  }
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it("a read sent before a deletion and answered after another read showed it still counts it", async () => {
    let allowed = 1;
    const { gate, holdNextRead, answer } = slowRead(() => allowed);
    holdNextRead();
    const late = gate.waitUntilAllowed(pod("c-0"));
    await settled();
    expect(await gate.waitUntilAllowed(pod("a-0"))).toHaveProperty("release");
    allowed = 0; // a-0's deletion shows, to the read sent after it
    expect(await gate.waitUntilAllowed(pod("b-0"))).toEqual(blockedByStatus);
    answer(); // c-0's answer: 1 allowed, from before a-0 went
    expect(await late).toEqual(blocked);
  });

  it("a deletion let through by a late read is not taken as shown by a drop that shows those before it", async () => {
    let allowed = 3;
    const { gate, holdNextRead, answer } = slowRead(() => allowed);
    holdNextRead();
    const late = gate.waitUntilAllowed(pod("c-0"));
    await settled();
    expect(await gate.waitUntilAllowed(pod("a-0"))).toHaveProperty("release");
    allowed = 2; // a-0 shows
    expect(await gate.waitUntilAllowed(pod("b-0"))).toHaveProperty("release");
    // c-0's answer (3, from before a-0 and b-0) lets it go: 3 less those two is 1.
    answer();
    expect(await late).toHaveProperty("release");
    allowed = 1; // b-0 shows too, c-0 not yet: a, b and c are down, as 3 allowed
    expect(await gate.waitUntilAllowed(pod("d-0"))).toEqual(blocked);
  });

  it("under --wait, a drop in a lagging status is not taken for a later deletion: it may be an earlier one's", async () => {
    let allowed = 1;
    const { gate } = gateOver(() => allowed, { wait: true, waitTimeoutMs: 0 });
    const ask = (name: string) => gate.waitUntilAllowed(pod(name), undefined, { mayWait: false });
    // e-0 goes and its replacement is up before the status shows either: its draw is released.
    const e = await ask("e-0");
    if (!("release" in e)) throw new Error("let through");
    e.landed?.();
    e.release();
    // d-0 goes on the status that still shows neither.
    const d = await ask("d-0");
    expect(d).toHaveProperty("release");
    if ("release" in d) d.landed?.();
    // The status shows e-0's deletion (0), then its replacement (1): d-0's deletion is in neither.
    allowed = 0;
    expect(await ask("c-0")).toMatchObject({ blocked: true });
    allowed = 1;
    expect(await ask("c-0")).toMatchObject({ blocked: true });
  });

  it("--no-wait: a drop one list shows is not taken as shown by a list sent before that answer came", async () => {
    const answers: ((allowed: number) => void)[] = [];
    const api = {
      listDisruptionBudgets: () =>
        new Promise<DisruptionBudget[]>((resolve) =>
          answers.push((allowed) =>
            resolve([
              { name: "shared", selector: { matchLabels: { tier: "web" } }, disruptionsAllowed: allowed },
            ]),
          ),
        ),
    };
    const clock = new FakeClock();
    const options = { dryRun: false, wait: false, pollMs: 1000, signal: new AbortController().signal, clock };
    const gate = new BudgetGate(api, options as unknown as RestartOptions);
    const a = gate.waitUntilAllowed(pod("a-0"));
    await settled();
    answers.shift()!(1);
    const allowedA = await a;
    if ("release" in allowedA) allowedA.landed?.();
    // b-0 and c-0 ask side by side. b-0's list, served after a-0 shows (0), is answered first; c-0's, served
    // before (its kubectl reached the API server first), is answered last and still allows 1.
    const b = gate.waitUntilAllowed(pod("b-0"));
    await settled();
    const c = gate.waitUntilAllowed(pod("c-0"));
    await settled();
    const [answerB, answerC] = [answers.shift()!, answers.shift()!];
    answerB(0);
    expect(await b).toEqual(blockedByStatus);
    answerC(1);
    expect(await c).toEqual(blocked);
  });

  it("a deletion let through but not yet sent is not taken as shown by a drop that is another's", async () => {
    let allowed = 2;
    const { gate } = gateOver(() => allowed);
    const a = await gate.waitUntilAllowed(pod("a-0"));
    const b = await gate.waitUntilAllowed(pod("b-0"));
    if (!("release" in a && "release" in b)) throw new Error("both let through");
    // b-0 is deleted first, and the status shows it; a-0's DELETE is not sent yet.
    b.landed?.();
    allowed = 1;
    expect(await gate.waitUntilAllowed(pod("c-0"))).toEqual(blocked);
    // b-0's replacement is up: its draw released, the status back to 2. a-0 goes now, not shown yet.
    b.release();
    allowed = 2;
    a.landed?.();
    expect(await gate.waitUntilAllowed(pod("c-0"))).toHaveProperty("release");
    expect(await gate.waitUntilAllowed(pod("d-0"))).toEqual(blocked);
  });

  it("--no-wait: a Pending pod's deletion draws nothing, as the Eviction API counts it", async () => {
    // One disruption allowed, before and after: the Pending pod was not healthy.
    const { gate } = sharedBudget(() => 1);
    expect(await gate.waitUntilAllowed(pod("web-pending"), () => "pending")).toHaveProperty("release");
    expect(await gate.waitUntilAllowed(pod("web-ready"), () => "ready")).toHaveProperty("release");
  });
});

describe("a stop while the budgets are read before a deletion", () => {
  it("deletes nothing after it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2 });
    cluster.setBudget("guard", "web", 1);
    const stop = new AbortController();
    const list = cluster.listDisruptionBudgets.bind(cluster);
    cluster.listDisruptionBudgets = async (namespace) => {
      // web-1's turn: SIGTERM comes while kubectl lists the budgets.
      if (cluster.deletions().length === 1) stop.abort(new Error("received SIGTERM"));
      return list(namespace);
    };
    const { reported } = await run(clock, cluster, pods, { signal: stop.signal });
    expect(cluster.deletions()).toEqual(["0 delete shop/web-0"]);
    expect(reported).toEqual(["web-0 deleted", "web-1 not-started: interrupted"]);
  });
});
