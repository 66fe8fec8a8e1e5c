/**
 * The evict strategy on an in-memory cluster and a fake clock: one pod at a time per controller, each
 * replacement checked; the Eviction API's refusals — 429 while a budget forbids (retried with doubling
 * backoff until --wait-timeout), 500 with several budgets, 404, 409 — each reported, the rest going on.
 */
import { describe, expect, it } from "vitest";
import { type PlanPod, podsToRestart, staleLeftByWorkload } from "../../../../src/core/plan.js";
import { downUntilReplaced } from "../../../../src/core/restart-strategy.js";
import { holdRestartedInVain } from "../../../../src/core/restarted-for.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { runSummary } from "../../../../src/output/restart-report.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest, oldDigest } from "../../../support/in-memory-cluster.js";
import { decidedPlan, restartLine, runRestart, webTrack } from "../../../support/restart.js";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

/** StatefulSet db: 3 Ready pods, restarted only when deleted (OnDelete), each terminating `graceMs`. */
function statefulDb(graceMs: number) {
  const { clock, cluster } = setup();
  const spec = { kind: "StatefulSet", name: "db", replicas: 3, strategy: "evict" } as const;
  const pods = cluster.addController({ ...spec, updateStrategy: "OnDelete", terminationGraceMs: graceMs });
  return { clock, cluster, pods };
}

describe("one pod at a time per controller", () => {
  it.each(["evict", "delete"] as const)(
    "%s: the ReplicaSets of one Argo Rollout (stable and canary) take turns too, as one workload",
    async (strategy) => {
      const { clock, cluster } = setup();
      const rollout = { kind: "Rollout", name: "web", apiVersion: "argoproj.io/v1alpha1" };
      const replicaSet = (name: string, replicas: number) =>
        cluster
          .addController({
            name,
            replicas,
            strategy,
            podLabels: { app: "web", "rollouts-pod-template-hash": name },
          })
          .map((pod) => ({ ...pod, owner: rollout }));
      const pods = [...replicaSet("web-6d4f", 2), ...replicaSet("web-8c2b", 1)];
      await runRestart(clock, cluster, pods, { strategy });
      const went = [...cluster.evictions(), ...cluster.deletions()].map((call) => Number(call.split(" ")[0]));
      // Each goes once the last one's replacement is Ready (3 s), whichever ReplicaSet it is in.
      expect(went).toEqual([0, 3000, 6000]);
    },
  );

  it("evicts the next pod only once the last one's replacement is Ready", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual([
      "0 evict shop/web-0 → 201",
      "3000 evict shop/web-1 → 201",
      "6000 evict shop/web-2 → 201",
    ]);
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted", "web-2 evicted"]);
    expect(problems).toEqual([]);
    expect(cluster.lowestReady("web")).toBe(2);
  });

  it("its controller's pods are listed once and then watched; where watching is refused, listed at every check", async () => {
    const reads = (cluster: InMemoryCluster) =>
      cluster.calls.filter((c) => / (list|watch) pods /.test(c)).map((c) => c.replace(/ shop .*/, ""));
    const watched = setup();
    await runRestart(
      watched.clock,
      watched.cluster,
      watched.cluster.addController({ name: "web", replicas: 3, strategy: "evict" }),
    );
    expect(reads(watched.cluster)).toEqual(["0 list pods", "0 watch pods"]);

    const polled = setup();
    polled.cluster.watchable = false;
    await runRestart(
      polled.clock,
      polled.cluster,
      polled.cluster.addController({ name: "web", replicas: 3, strategy: "evict" }),
    );
    expect(polled.cluster.evictions()).toEqual(watched.cluster.evictions());
    const lists = reads(polled.cluster).filter((c) => c.endsWith("list pods"));
    // Before each of the 3 pods and at each poll (1 s) until its replacement is Ready (3 s).
    expect(lists.length).toBeGreaterThanOrEqual(3 * 4);
    expect(reads(polled.cluster)).toContain("0 watch pods");
  });

  it("watched, the next pod goes once the last replacement is Ready, not at the next poll", async () => {
    const watched = setup();
    const spec = { name: "web", replicas: 3, strategy: "evict", readyAfterMs: 2500 } as const;
    await runRestart(watched.clock, watched.cluster, watched.cluster.addController(spec));
    expect(watched.cluster.evictions()).toEqual([
      "0 evict shop/web-0 → 201",
      "2500 evict shop/web-1 → 201",
      "5000 evict shop/web-2 → 201",
    ]);
    const polled = setup();
    polled.cluster.watchable = false;
    await runRestart(polled.clock, polled.cluster, polled.cluster.addController(spec));
    expect(polled.cluster.evictions()).toEqual([
      "0 evict shop/web-0 → 201",
      "3000 evict shop/web-1 → 201",
      "6000 evict shop/web-2 → 201",
    ]);
  });

  /** What is reported when web-0's replacement started its node's cached old image: web-1 is spared. */
  const backOnOld =
    "the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent))";
  const sparedAfterWeb0 = ["web-0 evicted", `web-0 problem: ${backOnOld}`, `web-1 not-started: ${backOnOld}`];

  it("a replacement back on the old digest spares the controller's other pods", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
    });
    const record = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(record.reported).toEqual(sparedAfterWeb0);
    // A workload not replaced as planned, whether or not the pod was its last.
    expect(runSummary({ resolver: "registry", pods }, record, false).notReplaced).toBe(1);
  });

  it("a replacement on the old digest another of its pods was found running is back on an old digest too", async () => {
    const { clock, cluster } = setup();
    // Two nodes cached two old digests of the tag (IfNotPresent): the plan found web-1 on the older one.
    const older = `sha256:${"2".repeat(64)}`;
    const [web0, web1] = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      pullPolicy: "IfNotPresent",
      replacementDigest: older,
    });
    const onOlder = { ...web1!, containers: web1!.containers.map((c) => ({ ...c, runningDigest: older })) };
    const record = await runRestart(clock, cluster, [web0!, onOlder]);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(record.reported).toEqual(sparedAfterWeb0);
  });

  it("the last pod's replacement is checked too", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 1,
      strategy: "evict",
      readyAfterMs: Number.POSITIVE_INFINITY,
    });
    const startedAt = clock.now();
    const { reported, problems, restarted } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 5000 });
    expect(reported).toEqual([
      "web-0 evicted",
      "web-0 problem: ReplicaSet/web did not have 1 ready pod within the wait timeout",
    ]);
    expect(problems).toHaveLength(1);
    // Not seen on the old digest: remembered as a restart not checked, for the pods made since it.
    expect(restarted[0]!.replacement).toEqual({
      kind: "problem",
      reason: "ReplicaSet/web did not have 1 ready pod within the wait timeout",
      restartedFor: `app=${oldDigest}>${newDigest}`,
      restartedAt: startedAt,
    });
  });

  it("a replacement back on the old digest and not Ready within the wait is a restart in vain all the same", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
      readyAfterMs: 90_000,
    });
    const { reported, restarted } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    const reason =
      "the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent)), and ReplicaSet/web did not have 2 ready pods within the wait timeout";
    expect(reported).toEqual(["web-0 evicted", `web-0 problem: ${reason}`, `web-1 not-started: ${reason}`]);
    const replacement = restarted[0]!.replacement;
    expect(replacement).toEqual({ kind: "problem", reason, restartedFor: `app=${oldDigest}>${newDigest}` });
    // The next run reads that record from the Event and leaves the other pod.
    const controller = pods[1]!.controller!;
    const remembered = [
      { namespace: "shop", controller, restartedFor: `app=${oldDigest}>${newDigest}`, at: 0 },
    ];
    const next = holdRestartedInVain({ resolver: "registry", pods: [pods[1]!] }, remembered, 60_000);
    expect(next.pods[0]!.action).toBe("skip");
  });

  it("a replacement Ready on a third digest (another old image its node had cached) records what it came back on", async () => {
    const { clock, cluster } = setup();
    const thirdDigest = `sha256:${"2".repeat(64)}`;
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      replacementDigest: thirdDigest,
      pullPolicy: "IfNotPresent",
    });
    const { reported, restarted } = await runRestart(clock, cluster, pods.slice(0, 1));
    // Up: only a plan can tell whether that digest is old or another name of the new image.
    expect(reported).toEqual(["web-0 evicted"]);
    const move = `app=${thirdDigest}>${newDigest}`;
    expect(restarted[0]!.replacement).toEqual({ kind: "up", restartedFor: move });
    // The next run's plan finds the replacement stale on that digest, and the record leaves it: evicted
    // again, it could land on a node with yet another old image, at every run.
    const replacement = {
      ...pods[0]!,
      name: "web-2",
      containers: pods[0]!.containers.map((c) => ({ ...c, runningDigest: thirdDigest })),
    };
    const remembered = [{ namespace: "shop", controller: pods[0]!.controller!, restartedFor: move, at: 0 }];
    const next = holdRestartedInVain(
      { resolver: "registry", pods: [replacement, pods[1]!] },
      remembered,
      60_000,
    );
    expect(next.pods.map((p) => p.action)).toEqual(["skip", "delete"]);
  });

  it("a replacement on the old digest a held pod of its workload runs is back on an old digest: the rest left", async () => {
    const { clock, cluster } = setup();
    // Every new pod starts its node's cached image, the one an earlier run's replacement came back on.
    const [held, b, c] = cluster.addController({
      name: "web",
      replicas: 3,
      strategy: "evict",
      pullPolicy: "IfNotPresent",
      replacementDigest: oldDigest,
    });
    // web-0 runs that digest and is held for it; web-1 and web-2, on an older image still, are planned.
    const older = `sha256:${"4".repeat(64)}`;
    cluster.restartContainers("web-1", older);
    cluster.restartContainers("web-2", older);
    const onOlder = (pod: PlanPod) => ({
      ...pod,
      containers: pod.containers.map((container) => ({ ...container, runningDigest: older })),
    });
    const remembered = [
      {
        namespace: "shop",
        controller: held!.controller!,
        restartedFor: `app=${oldDigest}>${newDigest}`,
        at: 0,
      },
    ];
    const plan = holdRestartedInVain(
      { resolver: "registry", pods: [held!, onOlder(b!), onOlder(c!)] },
      remembered,
      60_000,
    );
    expect(plan.pods.map((p) => p.action)).toEqual(["skip", "delete", "delete"]);

    const { reported } = await runRestart(clock, cluster, podsToRestart(plan), {
      staleLeft: staleLeftByWorkload(plan),
    });
    const why =
      "the replacement of web-1 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent))";
    expect(reported).toEqual(["web-1 evicted", `web-1 problem: ${why}`, `web-2 not-started: ${why}`]);
  });

  it("a replacement seen on the old digest before the run stopped is in vain, not unchecked", async () => {
    const { clock, cluster } = setup();
    // Started at once from the node's cache, Ready only 20 s later: the stop (Ctrl-C, the CronJob's
    // deadline) comes between, and the record must still hold it or the next run restarts it again.
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      pullPolicy: "IfNotPresent",
      replacementDigest: oldDigest,
      readyAfterMs: 20_000,
    });
    const stop = new AbortController();
    clock.at(clock.now() + 10_000, () => stop.abort());
    const { restarted } = await runRestart(clock, cluster, pods, { signal: stop.signal });
    expect(restarted).toHaveLength(1);
    expect(restarted[0]!.replacement).toEqual({
      kind: "problem",
      reason:
        "the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent)) (interrupted)",
      restartedFor: `app=${oldDigest}>${newDigest}`,
    });
  });

  it("a replacement pulled Always on a third digest (a registry mirror's older copy) records it too", async () => {
    const { clock, cluster } = setup();
    const mirrorsCopy = `sha256:${"3".repeat(64)}`;
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      replacementDigest: mirrorsCopy,
      pullPolicy: "Always",
    });
    const { restarted } = await runRestart(clock, cluster, pods.slice(0, 1));
    // Evicted again, each pod would pull the mirror's copy again, at every run. Had the tag itself moved
    // there, the next plan finds the pods current and the record holds nothing.
    expect(restarted[0]!.replacement).toEqual({
      kind: "up",
      restartedFor: `app=${mirrorsCopy}>${newDigest}`,
    });
  });
});

describe("cost", () => {
  it.each(["StatefulSet", "DaemonSet"] as const)(
    "a %s is read once before each pod after the first, its template and counts from one read",
    async (kind) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({
        kind,
        name: "agent",
        replicas: 5,
        strategy: "evict",
        updateStrategy: "OnDelete",
      });
      const { reported } = await runRestart(clock, cluster, pods, { strategy: "evict" });
      expect(reported.filter((line) => line.endsWith(" evicted"))).toHaveLength(5);
      const resource = kind === "StatefulSet" ? "statefulsets.apps" : "daemonsets.apps";
      expect(cluster.calls.filter((c) => c.includes(` get ${resource} shop/agent`))).toHaveLength(5);
    },
  );
});

describe("429: a budget forbids the disruption", () => {
  it("retries with doubling backoff from the poll interval until the budget allows it", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    clock.at(clock.now() + 4500, () => cluster.setBudget("guard", "web", 1));
    const pods = cluster.addController({ name: "web", replicas: 1, strategy: "evict" });
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual([
      "0 evict shop/web-0 → 429",
      "1000 evict shop/web-0 → 429",
      "3000 evict shop/web-0 → 429",
      "7000 evict shop/web-0 → 201",
    ]);
    expect(reported).toEqual(["web-0 evicted"]);
  });

  it("a pod that stops being Ready while a refusal is waited out keeps the Ready one from going", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    cluster.setBudget("guard", "web", 0);
    clock.at(clock.now() + 1500, () => cluster.setUnready("web-1"));
    clock.at(clock.now() + 2500, () => cluster.setBudget("guard", "web", 1));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 60_000 });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 429", "1000 evict shop/web-0 → 429"]);
    expect(reported).toEqual([
      "web-0 not-started: ReplicaSet/web has 1 pod not Ready (web-1): restarting a Ready one now would leave it shorter",
    ]);
  });

  it("a budget that allows a disruption only while enough pods are Ready paces the evictions itself", async () => {
    const { clock, cluster } = setup();
    cluster.setMinAvailableBudget("guard", "web", 2);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    await runRestart(clock, cluster, pods);
    expect(cluster.lowestReady("web")).toBe(2);
    expect(cluster.evictions().filter((e) => e.endsWith("201"))).toHaveLength(3);
  });

  it("still refused at --wait-timeout: the pod is left, naming the budget; its controller's other pods get one try each", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = [
      ...cluster.addController({ name: "web", replicas: 2, strategy: "evict" }),
      ...cluster.addController({ name: "api", replicas: 1, strategy: "evict" }),
    ];
    const { reported, outcomes } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 30_000 });
    // web, held by its budget, goes after api (blocked-last.ts).
    expect(cluster.evictions()).toEqual([
      "0 evict shop/api-0 → 201",
      "0 evict shop/web-0 → 429",
      "1000 evict shop/web-0 → 429",
      "3000 evict shop/web-0 → 429",
      "7000 evict shop/web-0 → 429",
      "15000 evict shop/web-0 → 429",
      "25000 evict shop/web-0 → 429",
      "30000 evict shop/web-0 → 429",
      "30000 evict shop/web-1 → 429",
    ]);
    const left = "not-started: PodDisruptionBudget guard allows no disruption now";
    expect(reported).toEqual(["api-0 evicted", `web-0 ${left}`, `web-1 ${left}`]);
    expect([...outcomes.values()].map((o) => o.kind).sort()).toEqual([
      "evicted",
      "not-started",
      "not-started",
    ]);
  });

  it("the budget that refused a group's pods is named from one read of the budgets, however many pods it holds", async () => {
    // Beside the read that orders the workloads (blocked-last.ts): two in all.
    const budgetReads = async (replicas: number) => {
      const { clock, cluster } = setup();
      cluster.setBudget("guard", "web", 0);
      const pods = cluster.addController({ name: "web", replicas, strategy: "evict" });
      const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 2000 });
      expect(reported).toHaveLength(replicas);
      for (const line of reported)
        expect(line).toMatch(/ PodDisruptionBudget guard allows no disruption now$/);
      return cluster.calls.filter((call) => call.includes(" list budgets ")).length;
    };
    expect(await budgetReads(2)).toBe(2);
    expect(await budgetReads(20)).toBe(2);
  });

  it("names the budget that selects the pod by its labels now (moved to it since the plan)", async () => {
    const { clock, cluster, pods } = statefulDb(0);
    cluster.setMinAvailableBudget("db-primary", "db", 1, "shop", { role: "primary" });
    cluster.labelPod("db-1", { role: "primary" });
    const { reported } = await runRestart(clock, cluster, [pods[1]!], { waitTimeoutMs: 2000 });
    expect(reported).toEqual(["db-1 not-started: PodDisruptionBudget db-primary allows no disruption now"]);
  });

  it("budgets that cannot be listed: the pod is left with the API server's own words", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    cluster.budgetsUnreadable = true;
    const pods = cluster.addController({ name: "web", replicas: 1, strategy: "evict" });
    const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 2000 });
    expect(reported).toEqual([
      "web-0 not-started: a PodDisruptionBudget allows no disruption now (Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.)",
    ]);
  });

  it.each([
    [2, ["web-0 evicted", "web-1 evicted"], 60_000],
    [
      Number.POSITIVE_INFINITY,
      [
        "web-0 not-started: the API server turned the eviction away as too many requests; run again later: Error from server (TooManyRequests): Too many requests, please try again later.",
        "web-1 not-started: the API server turned the eviction away as too many requests; run again later: Error from server (TooManyRequests): Too many requests, please try again later.",
      ],
      2000,
    ],
  ])(
    "an API server shedding load (429, no budget) %s times is retried as a budget's refusal is, and named as what it is",
    async (refusals, expected, waitTimeoutMs) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
      const shed = "Error from server (TooManyRequests): Too many requests, please try again later.";
      const evict = cluster.evictPod.bind(cluster);
      let left = refusals;
      cluster.evictPod = async (...args) =>
        left-- > 0 ? { kind: "throttled", reason: shed } : evict(...args);
      const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs });
      expect(reported).toEqual(expected);
    },
  );

  it("--no-wait: refused once, left at once", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = cluster.addController({ name: "web", replicas: 1, strategy: "evict" });
    const { reported } = await runRestart(clock, cluster, pods, { wait: false });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 429"]);
    expect(reported).toEqual(["web-0 not-started: PodDisruptionBudget guard allows no disruption now"]);
    expect(clock.elapsed()).toBe(0);
  });

  it("a dry run asks the server (which checks budgets too) and waits for nothing", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = [
      ...cluster.addController({ name: "web", replicas: 1, strategy: "evict" }),
      ...cluster.addController({ name: "api", replicas: 2, strategy: "evict" }),
    ];
    const { reported } = await runRestart(clock, cluster, pods, { dryRun: true });
    expect(cluster.evictions()).toEqual([
      "0 evict shop/web-0 (dry run) → 429",
      "0 evict shop/api-0 (dry run) → 201",
      "0 evict shop/api-1 (dry run) → 201",
    ]);
    // The two controllers go side by side: their reports interleave.
    expect(reported.sort()).toEqual([
      "api-0 evicted",
      "api-1 evicted",
      "web-0 not-started: PodDisruptionBudget guard allows no disruption now",
    ]);
    expect(clock.elapsed()).toBe(0);
    expect(cluster.readyPods("api")).toBe(2);
  });

  it("Ctrl-C during the backoff: nothing new starts", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const abort = new AbortController();
    clock.at(clock.now() + 2500, () => abort.abort());
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    const { reported } = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 429", "1000 evict shop/web-0 → 429"]);
    expect(reported).toEqual(["web-0 not-started: interrupted", "web-1 not-started: interrupted"]);
    expect(clock.elapsed()).toBe(2500);
  });
});

describe("the other answers", () => {
  it("500, several budgets select the pod: it fails with the budgets named; the rest go on", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("web-a", "web", 1);
    cluster.setBudget("web-b", "web", 1);
    const pods = [
      ...cluster.addController({ name: "web", replicas: 2, strategy: "evict" }),
      ...cluster.addController({ name: "api", replicas: 1, strategy: "evict" }),
    ];
    const { reported } = await runRestart(clock, cluster, pods);
    const reason =
      "failed: more than one PodDisruptionBudget selects it (web-a, web-b), and the Eviction API refuses such pods: leave one budget, or use --strategy delete";
    expect(reported).toEqual(["api-0 evicted", `web-0 ${reason}`, `web-1 ${reason}`]);
    expect(cluster.evictions()).toEqual([
      "0 evict shop/web-0 → 500",
      "0 evict shop/api-0 → 201",
      "0 evict shop/web-1 → 500",
    ]);
  });

  it("under auto the plan, which reads the budgets, skips such pods with that reason: apply would only fail", async () => {
    const { cluster } = setup();
    cluster.setBudget("web-a", "web", 1);
    cluster.setBudget("web-b", "web", 1);
    const pods = [
      ...cluster.addController({ name: "web", replicas: 2, strategy: "evict" }),
      ...cluster.addController({ name: "api", replicas: 1, strategy: "evict" }),
    ];
    const plan = await decidedPlan(cluster, pods, "auto");
    expect(plan.pods.map((p) => [p.name, p.action, p.restart?.strategy ?? p.reason])).toEqual([
      [
        "web-0",
        "skip",
        "more than one PodDisruptionBudget selects it (web-a, web-b), and the Eviction API refuses such pods: leave one budget, or use --strategy delete",
      ],
      [
        "web-1",
        "skip",
        "more than one PodDisruptionBudget selects it (web-a, web-b), and the Eviction API refuses such pods: leave one budget, or use --strategy delete",
      ],
      ["api-0", "delete", "evict"],
    ]);
  });

  it("404: already gone; 409: replaced since the plan (UID precondition)", async () => {
    const { clock, cluster } = setup();
    const [first, second] = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    const pods = [
      { ...first!, name: "web-9" },
      { ...second!, uid: "uid-of-an-older-web-1" },
    ];
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-9 → 404", "0 evict shop/web-1 → 409"]);
    expect(reported).toEqual(["web-9 gone", "web-1 replaced"]);
  });
});

describe("what counts as the replacement being up", () => {
  it("a ReplicationController's pods (its selector a plain map) go one at a time too", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "ReplicationController",
      name: "web",
      replicas: 2,
      strategy: "evict",
    });
    await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "3000 evict shop/web-1 → 201"]);
    expect(cluster.lowestReady("web")).toBe(1);
  });

  it("a pod that was not Ready: its own replacement must be Ready before the next pod goes", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    cluster.setUnready("web-0");
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "3000 evict shop/web-1 → 201"]);
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted"]);
    expect(cluster.lowestReady("web")).toBe(1);
  });

  it.each(["StatefulSet", "DaemonSet"] as const)(
    "a %s pod terminating is one pod short until it is gone: no Ready pod is evicted meanwhile",
    async (kind) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ kind, name: "db", replicas: 3, strategy: "evict" });
      cluster.setTerminating("db-2");
      const { reported } = await runRestart(clock, cluster, pods.slice(0, 2));
      expect(cluster.evictions()).toEqual([]);
      const reason = `${kind}/db has 1 pod not Ready (db-2 terminating): restarting a Ready one now would leave it shorter`;
      expect(reported).toEqual([`db-0 not-started: ${reason}`, `db-1 not-started: ${reason}`]);
    },
  );

  it("a StatefulSet scaled down, its pod beyond the new count terminating: no successor is to come, so it holds nothing", async () => {
    const { clock, cluster, pods } = statefulDb(30_000);
    cluster.scaleTo("db", 2, 100);
    const { reported, problems } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(reported).toEqual(["db-0 evicted", "db-1 evicted"]);
    expect(problems).toEqual([]);
  });

  it.each(["ReplicaSet", "StatefulSet", "DaemonSet"] as const)(
    "a %s with fewer pods than it should have (a quota refused one): no Ready pod goes",
    async (kind) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ kind, name: "db", replicas: 3, podQuota: 2, strategy: "evict" });
      expect(pods.map((p) => p.name)).toEqual(["db-0", "db-1"]);
      const { reported } = await runRestart(clock, cluster, pods);
      expect(cluster.evictions()).toEqual([]);
      const reason = `${kind}/db has 2 of the 3 pods it should have: restarting a Ready one now would leave it shorter`;
      expect(reported).toEqual([`db-0 not-started: ${reason}`, `db-1 not-started: ${reason}`]);
    },
  );

  it("a DaemonSet that runs a pod on a node it no longer schedules to (tainted since): no pod goes, as that one would get no successor", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "DaemonSet", name: "agent", replicas: 3, strategy: "evict" });
    // node-2 no longer wanted: agent-2 keeps running there.
    cluster.edit("agent", { replicas: 2 });
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual([]);
    expect(cluster.readyPods("agent")).toBe(3);
    const reason =
      "DaemonSet/agent runs a pod on a node it no longer schedules to (a NoSchedule taint it does not tolerate: a node not Ready, being removed, or tainted; kubectl describe daemonset shows them as misscheduled), and any of its pods restarted there would get no successor";
    expect(reported).toEqual(pods.map((p) => `${p.name} not-started: ${reason}`));
    // Under --no-wait, which follows no pods, as the DaemonSet read at each pod's turn says (the plan did not
    // see it where it could not list DaemonSets, only get them).
    const again = setup();
    const unseen = again.cluster.addController({
      kind: "DaemonSet",
      name: "agent",
      replicas: 3,
      strategy: "evict",
    });
    again.cluster.edit("agent", { replicas: 2 });
    const noWait = await runRestart(again.clock, again.cluster, unseen, { wait: false });
    expect(again.cluster.evictions()).toEqual([]);
    expect(noWait.reported).toEqual(unseen.map((p) => `${p.name} not-started: ${reason}`));
  });

  /** A Deployment of 4 replicas that a quota holds at 3 pods. */
  const shortDeployment = () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 4,
      podQuota: 3,
      strategy: "evict",
    });
    return { clock, cluster, pods };
  };

  it("a Deployment's ReplicaSet short of pods is named, beside the Deployment's pods not Ready", async () => {
    const { clock, cluster, pods } = shortDeployment();
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(cluster.evictions()).toEqual([]);
    expect(reported).toEqual([
      "web-r1-0 not-started: ReplicaSet/web-r1 has 3 of the 4 pods it should have: restarting a Ready one now would leave it shorter",
    ]);

    cluster.setUnready("web-r1-2");
    const again = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(again.reported).toEqual([
      "web-r1-0 not-started: Deployment/web has 1 pod not Ready (web-r1-2); ReplicaSet/web-r1 has 3 of the 4 pods it should have: restarting a Ready one now would leave it shorter",
    ]);
  });

  it("a Deployment held short by a quota once a rollout began: its new ReplicaSet's pods not made hold the Ready ones", async () => {
    const { clock, cluster, pods } = shortDeployment();
    // A template change: the old ReplicaSet is scaled to the 3 it has, the new one up to the surge, whose
    // pods the quota refuses.
    await cluster.patchRestartedAt(
      "Deployment",
      "shop",
      "web",
      "100",
      { restartedAt: "x", restartedFor: null },
      false,
    );
    await clock.advance(1000);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(cluster.evictions()).toEqual([]);
    expect(reported).toEqual([
      "web-r1-0 not-started: ReplicaSet/web-r2 has 0 of the 2 pods it should have: restarting a Ready one now would leave it shorter",
    ]);
  });

  it("scaled down while a budget is waited out: the replica count is read again before a shortfall holds a pod", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 4, strategy: "evict" });
    cluster.setBudget("guard", "web", 0);
    const start = clock.now();
    // An autoscaler scales the ReplicaSet to 3, which deletes web-3; later the budget allows a disruption.
    clock.at(start + 2000, () => {
      cluster.scaleTo("web", 3, 3000);
      void cluster.deletePod("shop", "web-3", "uid-web-3-3", false);
    });
    clock.at(start + 4000, () => cluster.setBudget("guard", "web", 1));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(reported).toEqual(["web-0 evicted"]);
  });

  it("scaled down while the replacement starts, which the scale-down deletes: the run goes on, the restart unchecked", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 4, strategy: "evict" });
    // web-0's replacement (web-4) would be Ready at 3 s; an autoscaler scales to 3 at 1 s, and the
    // ReplicaSet deletes the pod least worth keeping: that replacement, not Ready yet.
    clock.at(clock.now() + 1000, () => cluster.scaleTo("web", 3, 3000));
    const { reported, problems, restarted } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "1000 evict shop/web-1 → 201"]);
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted"]);
    expect(problems).toEqual([]);
    expect(restarted.map(restartLine)).toEqual([
      "evict web-0 on ReplicaSet/web (uid-web): unchecked (ReplicaSet/web was scaled down meanwhile, to 3 pods, all Ready: web-0 needs no replacement)",
      "evict web-1 on ReplicaSet/web (uid-web): up",
    ]);
  });

  it("a StatefulSet scaled down below the evicted pod's ordinal makes no successor: the run goes on", async () => {
    const { clock, cluster, pods } = statefulDb(5000);
    clock.at(clock.now() + 1000, () => cluster.scaleTo("db", 2, 100));
    const { reported, problems } = await runRestart(clock, cluster, [pods[2]!, pods[0]!]);
    // db-2 is gone at 5 s and no successor comes; the replica count, read at 0 s, is read again at 10 s.
    expect(cluster.evictions()).toEqual(["0 evict shop/db-2 → 201", "10000 evict shop/db-0 → 201"]);
    expect(reported).toEqual(["db-2 evicted", "db-0 evicted"]);
    expect(problems).toEqual([]);
  });

  it("a pod that was not Ready evicted, then its ReplicaSet scaled down to the Ready ones: the run goes on", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 4, strategy: "evict" });
    cluster.setUnready("web-0");
    // Scaled to 3 at 1 s: the ReplicaSet deletes web-0's replacement, still starting.
    clock.at(clock.now() + 1000, () => cluster.scaleTo("web", 3, 3000));
    const { reported, restarted } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted"]);
    expect(restarted.map(restartLine)[0]).toContain("unchecked (ReplicaSet/web was scaled down meanwhile");
  });

  it("a rollout begun during the wait scales the old ReplicaSet down: its new pods starting still hold the next pod", async () => {
    const { clock, cluster } = setup();
    const spec = { kind: "Deployment", name: "web", replicas: 4, maxSurge: 1, maxUnavailable: 1 } as const;
    const pods = cluster.addController({ ...spec, strategy: "evict", readyAfterMs: 20_000 });
    // At 1 s the Deployment is rolled: its controller scales the old ReplicaSet down by its pod not Ready
    // (web-r1-0's replacement), and starts new pods, Ready 20 s later.
    const roll = () =>
      void cluster.patchRestartedAt(
        "Deployment",
        "shop",
        "web",
        "100",
        { restartedAt: "x", restartedFor: null },
        false,
      );
    clock.at(clock.now() + 1000, roll);
    await runRestart(clock, cluster, pods.slice(0, 2));
    // The eviction took one of 4 before the rollout began, which then has its maxUnavailable of 1 taken
    // already: 3 Ready at least, the next eviction only once the new pods are up.
    expect(cluster.lowestReady("web")).toBe(3);
    expect(Number(cluster.evictions()[1]?.split(" ")[0] ?? Infinity)).toBeGreaterThanOrEqual(21_000);
  });

  it("a StatefulSet scaled down mid-run: its pod scaled away, terminating, holds nothing once the count is read again", async () => {
    const { clock, cluster, pods } = statefulDb(30_000);
    // db-0 is gone at 30 s, its successor Ready at 33 s; scaled to 2 at 31 s, db-2 then terminates for 30 s.
    clock.at(clock.now() + 31_000, () => cluster.scaleTo("db", 2, 3000));
    const { reported, problems } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(reported).toEqual(["db-0 evicted", "db-1 evicted"]);
    expect(problems).toEqual([]);
    expect(Number(cluster.evictions()[1]!.split(" ")[0])).toBeLessThan(61_000);
  });

  it("a StatefulSet short of a pod it cannot make, and scaled down: its pod scaled away is not counted as made", async () => {
    const { clock, cluster, pods } = statefulDb(30_000);
    // db-1 is gone and refused (a quota); then the StatefulSet is scaled to 2, and db-2 terminates.
    cluster.edit("db", { podQuota: 2 });
    await clock.run(cluster.deletePod("shop", "db-1", pods[1]!.uid, false));
    await clock.advance(31_000);
    cluster.scaleTo("db", 2, 100);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    // 1 Ready of the 2 it should have: db-0 stays.
    expect(cluster.evictions()).toEqual([]);
    expect(reported).toEqual([
      "db-0 not-started: StatefulSet/db has 1 of the 2 pods it should have: restarting a Ready one now would leave it shorter",
    ]);
  });

  it("scaled down while another workload's pod that its selector finds (a canary's) crash-loops: the run goes on", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 4, strategy: "evict" });
    cluster.addController({ name: "web-canary", replicas: 1, podLabels: { app: "web", track: "canary" } });
    cluster.setUnready("web-canary-0");
    clock.at(clock.now() + 1000, () => cluster.scaleTo("web", 3, 3000));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted"]);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "1000 evict shop/web-1 → 201"]);
  });

  it("scaled up during a wait, a quota refusing the new pods: the next pod's count is read again, and holds it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 4, podQuota: 4, strategy: "evict" });
    clock.at(clock.now() + 1000, () => cluster.scaleTo("web", 6, 3000));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(reported).toEqual([
      "web-0 evicted",
      "web-1 not-started: ReplicaSet/web has 4 of the 6 pods it should have: restarting a Ready one now would leave it shorter",
    ]);
  });

  it("scaled down and back up between two reads of the count: the pod's successor is due, and checked", async () => {
    const { clock, cluster, pods } = statefulDb(28_000);
    cluster.watchable = false;
    // Lists show a new pod 0.3 s late: db-2 is seen gone before its successor, made at once at 28 s.
    cluster.listLagMs = 300;
    clock.at(clock.now() + 1000, () => cluster.scaleTo("db", 2, 3000));
    clock.at(clock.now() + 25_000, () => cluster.scaleTo("db", 3, 3000));
    const { reported, restarted } = await runRestart(clock, cluster, [pods[2]!, pods[0]!]);
    expect(restarted.map(restartLine)[0]).toBe("evict db-2 on StatefulSet/db (uid-db): up");
    expect(reported).toEqual(["db-2 evicted", "db-0 evicted"]);
  });

  it("a Deployment's other ReplicaSets unread at a later pod (a failed list): their shortfall read before still holds", async () => {
    const { clock, cluster } = setup();
    const spec = { kind: "Deployment", name: "web", replicas: 4, maxSurge: 1, maxUnavailable: 0 } as const;
    const pods = cluster.addController({ ...spec, strategy: "evict", podQuota: 4 });
    // A rollout whose surge pod the quota refuses: web-r2 should have 1 pod, and has none.
    const roll = { restartedAt: "x", restartedFor: null };
    await clock.run(cluster.patchRestartedAt("Deployment", "shop", "web", "100", roll, false));
    await clock.advance(1000);
    cluster.failReplicaSetList(2);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(cluster.evictions()).toEqual([]);
    const held =
      "ReplicaSet/web-r2 has 0 of the 1 pod it should have: restarting a Ready one now would leave it shorter";
    expect(reported).toEqual([`web-r1-0 not-started: ${held}`, `web-r1-1 not-started: ${held}`]);
  });

  it("a ReplicaSet's pod terminating is not counted short: a ReplicaSet makes its successor at once, counted until Ready", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    cluster.setTerminating("web-2");
    const starting = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(starting.reported).toEqual([
      "web-0 not-started: ReplicaSet/web has 1 pod not Ready (web-3): restarting a Ready one now would leave it shorter",
    ]);
    await clock.advance(3000);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(reported).toEqual(["web-0 evicted"]);
  });

  it("a ReplicaSet's pod terminating whose successor a quota refuses (it still counts the pod) holds the Ready ones", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, podQuota: 3, strategy: "evict" });
    cluster.setTerminating("web-2");
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(cluster.evictions()).toEqual([]);
    expect(reported).toEqual([
      "web-0 not-started: ReplicaSet/web has 2 of the 3 pods it should have: restarting a Ready one now would leave it shorter",
    ]);
  });

  it("a pod an autoscaler adds meanwhile does not stand in for the replacement: the next pod waits for it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    // The replacement of web-0 is Ready at 3 s; a pod added at 0.5 s is Ready at 0.6 s.
    clock.at(clock.now() + 500, () => cluster.scaleTo("web", 3, 100));
    await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "3000 evict shop/web-1 → 201"]);
  });

  it.each(["StatefulSet", "DaemonSet"] as const)(
    "a %s pod added while the evicted one terminates does not stand in for its successor, made once it is gone",
    async (kind) => {
      const { clock, cluster } = setup();
      const spec = { kind, name: "db", replicas: 2, strategy: "evict", updateStrategy: "OnDelete" } as const;
      const pods = cluster.addController({ ...spec, terminationGraceMs: 30_000 });
      // db-0 terminates for 30 s; a pod added at 1 s (a scale-up, a node that joined) is Ready at 1.1 s.
      clock.at(clock.now() + 1000, () => cluster.scaleTo("db", 3, 100));
      const { reported, problems } = await runRestart(clock, cluster, pods);
      // db-0's successor is made at 30 s and Ready 0.1 s later (the scale-up's pace): only then may db-1 go.
      expect(cluster.evictions()).toEqual(["0 evict shop/db-0 → 201", "30100 evict shop/db-1 → 201"]);
      expect(reported).toEqual(["db-0 evicted", "db-1 evicted"]);
      expect(problems).toEqual([]);
    },
  );

  it("a StatefulSet's successor that never comes up is waited for until the timeout, whatever else is Ready", async () => {
    const { clock, cluster } = setup();
    const spec = { kind: "StatefulSet", name: "db", replicas: 2, strategy: "evict" } as const;
    const pods = cluster.addController({
      ...spec,
      updateStrategy: "OnDelete",
      terminationGraceMs: 10 * 60_000,
    });
    clock.at(clock.now() + 1000, () => cluster.scaleTo("db", 3, 100));
    const { reported, problems } = await runRestart(clock, cluster, pods.slice(0, 1));
    const reason = "StatefulSet/db had no Ready successor of db-0 within the wait timeout";
    expect(reported).toEqual(["db-0 evicted", `db-0 problem: ${reason}`]);
    expect(problems.map((p) => `${p.pod.name}: ${p.reason}`)).toEqual([`db-0: ${reason}`]);
  });

  it("another pod of the controller not Ready (a bad image from the last run, say): no Ready pod goes", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    cluster.setUnready("web-2");
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2));
    expect(cluster.evictions()).toEqual([]);
    const reason =
      "ReplicaSet/web has 1 pod not Ready (web-2): restarting a Ready one now would leave it shorter";
    expect(reported).toEqual([`web-0 not-started: ${reason}`, `web-1 not-started: ${reason}`]);
    expect(cluster.lowestReady("web")).toBe(2);
  });

  it.each(["evict", "delete"] as const)(
    "%s: a Deployment already short in another ReplicaSet (a rollout whose new pods never come up): no Ready pod goes",
    async (strategy) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 4, strategy });
      // Someone's rollout of a template whose pods never become Ready: one old pod gone, new ones waiting.
      cluster.edit("web", { readyAfterMs: Number.POSITIVE_INFINITY });
      await cluster.rollOutElsewhere("web");
      await clock.advance(1000);
      expect(cluster.readyPods("web")).toBe(3);
      const still = new Set(
        (await cluster.listPodsBySelector("shop", "app=web")).map((p) => p.metadata.name),
      );
      const { reported } = await runRestart(
        clock,
        cluster,
        pods.filter((p) => still.has(p.name)),
        { strategy },
      );
      expect([...cluster.evictions(), ...cluster.deletions()]).toEqual([]);
      expect(reported[0]).toMatch(/^web-r1-\S+ not-started: Deployment\/web has 2 pods not Ready \(web-r2-/);
      expect(cluster.lowestReady("web")).toBe(3);
    },
  );

  it.each(["evict", "delete"] as const)(
    "%s: a planned pod deleted by someone since the plan, its successor not Ready yet: gone, not a failure",
    async (strategy) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({ name: "api", replicas: 1, strategy });
      await cluster.deletePod("shop", "api-0", pods[0]!.uid, false);
      const { reported } = await runRestart(clock, cluster, pods, { strategy });
      expect(reported).toEqual(["api-0 gone"]);
    },
  );

  it.each(["evict", "delete"] as const)(
    "%s: a Ready pod held only by a later stale pod not Ready goes after it, not in a later run",
    async (strategy) => {
      const { clock, cluster } = setup();
      const spec = {
        kind: "StatefulSet",
        name: "db",
        replicas: 3,
        strategy,
        updateStrategy: "OnDelete",
      } as const;
      const pods = cluster.addController(spec);
      cluster.setUnready("db-2");
      const { reported, problems } = await runRestart(clock, cluster, pods);
      const went = strategy === "evict" ? "evicted" : "deleted";
      expect(reported).toEqual([`db-2 ${went}`, `db-0 ${went}`, `db-1 ${went}`]);
      expect(problems).toEqual([]);
      expect(cluster.lowestReady("db")).toBe(2);
    },
  );

  it("a Ready pod held by a sibling not Ready and by a shortfall (a quota) is left; the sibling still goes", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 3, podQuota: 2, strategy: "evict" });
    cluster.setUnready("web-1");
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-1 → 201"]);
    expect(reported).toEqual([
      "web-0 not-started: ReplicaSet/web has 1 pod not Ready (web-1) and 2 of the 3 pods it should have: restarting a Ready one now would leave it shorter",
      "web-1 evicted",
    ]);
  });

  it("a pod that was not Ready, replaced on the old digest: the problem is found", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 1,
      strategy: "evict",
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
    });
    cluster.setUnready("web-0");
    const { problems } = await runRestart(clock, cluster, pods);
    expect(problems.map((p) => p.reason)).toEqual([
      "the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent))",
    ]);
  });

  it("a controller whose pods cannot be counted: one pod goes, the others wait for another run", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    cluster.getObject = async () => null;
    const { reported, restarted } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(reported).toEqual([
      "web-0 evicted",
      "web-1 not-started: the replacement of web-0 could not be waited for: its controller's pods could not be counted",
    ]);
    expect(restarted.map((r) => r.replacement)).toEqual([
      {
        kind: "unchecked",
        why: "its controller's pods could not be counted",
        restartedFor: `app=${oldDigest}>${newDigest}`,
        restartedAt: Date.parse("2026-11-30T12:00:00Z"),
      },
    ]);
  });

  it("a list that fails while waiting is asked again at the next poll", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    const list = cluster.listPodsBySelector.bind(cluster);
    let calls = 0;
    cluster.listPodsBySelector = async (namespace, selector) => {
      if (++calls === 2) throw new ToolFailedError("kubectl get failed: etcdserver: request timed out");
      return list(namespace, selector);
    };
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201", "3000 evict shop/web-1 → 201"]);
    expect(reported).toEqual(["web-0 evicted", "web-1 evicted"]);
    expect(problems).toEqual([]);
  });

  it("a list that keeps failing: the wait ends with kubectl's error", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 1, strategy: "evict" });
    const list = cluster.listPodsBySelector.bind(cluster);
    let calls = 0;
    cluster.listPodsBySelector = async (namespace, selector) => {
      if (++calls > 1) throw new ToolFailedError("kubectl get failed: etcdserver: request timed out");
      return list(namespace, selector);
    };
    const { problems } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 5000 });
    expect(problems.map((p) => p.reason)).toEqual([
      "ReplicaSet/web's pods could not be listed within the wait timeout: kubectl get failed: etcdserver: request timed out",
    ]);
  });
});

describe("one workload, one pod at a time", () => {
  it("a Deployment's stale pods in two ReplicaSets (caught mid-rollout) are not evicted side by side", async () => {
    const { clock, cluster } = setup();
    const deployment = { kind: "Deployment", name: "web" };
    const ofDeployment = (pod: PlanPod): PlanPod => ({
      ...pod,
      owner: deployment,
      restart: { ...pod.restart!, controller: deployment },
    });
    const pods = [
      ...cluster.addController({ name: "web-old", replicas: 1, strategy: "evict" }),
      ...cluster.addController({ name: "web-new", replicas: 1, strategy: "evict" }),
    ].map(ofDeployment);
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual(["0 evict shop/web-old-0 → 201", "3000 evict shop/web-new-0 → 201"]);
    expect(reported).toEqual(["web-old-0 evicted", "web-new-0 evicted"]);
  });
});

describe("Ctrl-C while the next pod's controller is read", () => {
  it("starts no eviction after it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    const abort = new AbortController();
    const list = cluster.listPodsBySelector.bind(cluster);
    let at3s = 0;
    cluster.listPodsBySelector = async (namespace, selector) => {
      // At 3 s the wait's last poll finds web-0's replacement Ready; the next list is web-1's snapshot,
      // and Ctrl-C arrives while it runs.
      if (clock.elapsed() >= 3000 && ++at3s === 2) abort.abort();
      return list(namespace, selector);
    };
    const { reported } = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(reported).toEqual(["web-0 evicted", "web-1 not-started: interrupted"]);
  });
});

describe("a controller being deleted since the plan (a finalizer holds it)", () => {
  it.each([
    ["StatefulSet", "evict"],
    ["StatefulSet", "delete"],
    ["ReplicaSet", "evict"],
    ["ReplicaSet", "delete"],
  ] as const)("%s, --strategy %s: its pods are left, not restarted into nothing", async (kind, strategy) => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind,
      name: "db",
      replicas: 2,
      strategy,
      updateStrategy: "OnDelete",
    });
    cluster.setDeleting("db");
    const { reported } = await runRestart(clock, cluster, pods, { strategy });
    expect([...cluster.evictions(), ...cluster.deletions()]).toEqual([]);
    const why = `${kind}/db is being deleted since the plan: it would not bring the pod back`;
    expect(reported).toEqual(pods.map((pod) => `${pod.name} not-started: ${why}`));
  });

  it("--no-wait: a StatefulSet's deletion is seen where its template is read", async () => {
    const { clock, cluster, pods } = statefulDb(0);
    cluster.setDeleting("db");
    const { reported } = await runRestart(clock, cluster, pods, { strategy: "evict", wait: false });
    expect(cluster.evictions()).toEqual([]);
    const why = "StatefulSet/db is being deleted since the plan: it would not bring the pod back";
    expect(reported).toEqual(pods.map((pod) => `${pod.name} not-started: ${why}`));
  });
});

describe("a stop while an eviction beside a rollout reads its budgets", () => {
  it("evicts nothing after it", async () => {
    const { clock, cluster } = setup();
    // blue is rolled under auto, red (Recreate) evicted a pod at a time; one budget over both.
    const specs = [webTrack("blue"), webTrack("red", { replicas: 2, updateStrategy: "Recreate" })];
    const pods = specs.flatMap((spec) => cluster.addController(spec));
    cluster.setBudget("guard", "web", 3);
    const plan = await decidedPlan(cluster, pods, "auto");
    const stop = new AbortController();
    const list = cluster.listDisruptionBudgets.bind(cluster);
    cluster.listDisruptionBudgets = async (namespace) => {
      const budgets = await list(namespace);
      // red-r1-1's turn: SIGTERM comes while kubectl lists the budgets.
      if (cluster.evictions().length === 1) stop.abort(new Error("received SIGTERM"));
      return budgets;
    };
    const { reported } = await runRestart(clock, cluster, plan.pods, { signal: stop.signal });
    expect(cluster.evictions()).toHaveLength(1);
    expect(reported).toContain("red-r1-1 not-started: interrupted");
  });
});

describe("a group the run stopped after its first eviction", () => {
  it("is in progress, saying how many of its pods went, not failed as a refusal would be", async () => {
    const { clock, cluster } = setup();
    const abort = new AbortController();
    // web-0 is evicted at once; its replacement is Ready only at 3 s.
    clock.at(clock.now() + 1500, () => abort.abort());
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    const result = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(result.reported).toEqual([
      "web-0 evicted",
      "web-1 not-started: interrupted",
      "web-2 not-started: interrupted",
    ]);
    const [controller] = runSummary({ resolver: "registry", pods }, result, false).controllers;
    expect(controller).toMatchObject({ outcome: "in-progress", reason: "interrupted: 1 of 3 pods evicted" });
  });

  it("a pod left for its own sake (a budget waited out) keeps the group failed", async () => {
    const { clock, cluster } = setup();
    const abort = new AbortController();
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict" });
    const result = await runRestart(clock, cluster, pods, { signal: abort.signal });
    const outcomes = new Map(result.outcomes);
    outcomes.set(pods[1]!, { kind: "not-started", reason: "refused by budget web" });
    outcomes.set(pods[2]!, { kind: "not-started", reason: "interrupted", stopped: true });
    const [controller] = runSummary(
      { resolver: "registry", pods },
      { ...result, outcomes },
      false,
    ).controllers;
    expect(controller).toMatchObject({ outcome: "failed", reason: "refused by budget web" });
  });

  it("a pod left for its own sake while a Ctrl-C arrives is not one the stop left", async () => {
    const { clock, cluster } = setup();
    const abort = new AbortController();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    cluster.getObject = async () => null;
    const evict = cluster.evictPod.bind(cluster);
    cluster.evictPod = async (...args) => {
      const outcome = await evict(...args);
      abort.abort();
      return outcome;
    };
    const result = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(result.outcomes.get(pods[1]!)).toEqual({
      kind: "not-started",
      reason: "the replacement of web-0 could not be waited for: its controller's pods could not be counted",
    });
    const [controller] = runSummary({ resolver: "registry", pods }, result, false).controllers;
    expect(controller).toMatchObject({ outcome: "failed" });
  });
});

describe.each(["evict", "delete"] as const)(
  "--strategy %s: scaled to one replica since the plan",
  (strategy) => {
    it("its only pod is left, as the plan did not warn it would be down; one planned at one goes", async () => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(clock);
      // Planned at three replicas, no warning; an autoscaler then takes web to one (web-1 and web-2 go).
      const pods = cluster.addController({ name: "web", replicas: 3, strategy });
      cluster.scaleTo("web", 1, 3000);
      const { reported } = await runRestart(clock, cluster, pods);
      // The scaled-away ones, still there as they terminate, are left too: none goes.
      const left =
        "not-started: changed since the plan: ReplicaSet/web has one replica now: it is down until its replacement is Ready; left for the next run";
      expect(reported).toEqual([`web-0 ${left}`, `web-1 ${left}`, `web-2 ${left}`]);
      expect(cluster.lowestReady("web")).toBe(1);
      // Planned at one replica, the plan said so: it goes.
      const single = new InMemoryCluster(clock);
      const only = single.addController({ name: "db", replicas: 1, strategy });
      expect((await runRestart(clock, single, only)).reported[0]).toMatch(/^db-0 (evicted|deleted)$/);
    });

    it("a count the plan did not read (a ReplicationController's): the pods it listed stand for it", async () => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(clock);
      const legacy = cluster.addController({
        kind: "ReplicationController",
        name: "legacy",
        replicas: 1,
        strategy,
      });
      // The plan's own decision, which reads no ReplicationController's count: its one pod listed warns.
      const plan = await decidedPlan(cluster, legacy, strategy);
      expect(plan.pods[0]).toMatchObject({
        warnings: [`ReplicationController/legacy has one pod running: ${downUntilReplaced}`],
        restart: { strategy },
      });
      // The pods it listed stand for the count: one.
      expect(plan.pods[0]!.restart).toMatchObject({ replicas: 1 });
      const { reported } = await runRestart(clock, cluster, plan.pods, { strategy });
      expect(reported[0]).toMatch(/^legacy-0 (evicted|deleted)$/);
    });

    it("a StatefulSet it could get but not list, planned at three and down to one since: left", async () => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(clock);
      const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3, strategy });
      cluster.listWorkloads = async () => {
        throw new ToolFailedError(
          "kubectl get failed: Error from server (Forbidden): statefulsets.apps is forbidden",
        );
      };
      const plan = await decidedPlan(cluster, pods, strategy, false);
      expect(plan.pods.flatMap((p) => p.warnings)).toEqual([]);
      cluster.scaleTo("db", 1, 3000);
      const { reported } = await runRestart(clock, cluster, plan.pods, { strategy });
      expect(reported[0]).toMatch(
        /^db-0 not-started: changed since the plan: StatefulSet\/db has one replica now/,
      );
      expect(cluster.lowestReady("db")).toBe(1);
    });
  },
);
