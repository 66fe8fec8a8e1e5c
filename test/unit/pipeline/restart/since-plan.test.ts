/**
 * A pod planned to be evicted or deleted one at a time is read again right before it goes: one opted out
 * since the plan, or no longer its controller's (taken out of it, or the controller deleted leaving its
 * pods), is left; gone, nothing would recreate it. One being deleted since (a drain), or ended (its kubelet
 * evicted it), is going already. A workload whose planned pods all run the new digest by then is not rolled.
 */

import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../../src/core/decide.js";
import { indexOwners } from "../../../../src/core/owners.js";
import type { PlanPod } from "../../../../src/core/plan.js";
import type { RolloutReport } from "../../../../src/core/restart-outcomes.js";
import { imageSelection, onlyImages } from "../../../../src/core/select-images.js";
import { goingSincePlan, leftSincePlan, templateChangedFor } from "../../../../src/core/since-plan.js";
import type { Workload } from "../../../../src/core/workload.js";
import { describeRollout } from "../../../../src/output/restart-report.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest } from "../../../support/in-memory-cluster.js";
import { digestOf, makePod, makeReplicaSet } from "../../../support/pods.js";
import { tagAt } from "../../../support/resolutions.js";
import { runRestart } from "../../../support/restart.js";

function web(strategy: "evict" | "delete") {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ name: "web", replicas: 3, strategy });
  const touched = () => (strategy === "evict" ? cluster.evictions() : cluster.deletions());
  return { clock, cluster, pods, touched };
}

const went = (strategy: "evict" | "delete") => (strategy === "evict" ? "evicted" : "deleted");

describe.each(["evict", "delete"] as const)("--strategy %s", (strategy) => {
  it("a pod opted out while its siblings go is left, with the reason", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    // While web-0's replacement is awaited, web-2 is opted out.
    clock.at(clock.now() + 1000, () => cluster.labelPod("web-2", { "kubectl-autoupdate/ignore": "true" }));
    const { reported } = await runRestart(clock, cluster, pods);
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-1"]);
    expect(reported).toEqual([
      `web-0 ${went(strategy)}`,
      `web-1 ${went(strategy)}`,
      "web-2 not-started: opted out since the plan (kubectl-autoupdate/ignore=true)",
    ]);
  });

  it("a pod whose containers restarted onto the new digest since the plan (pulling Always) is not restarted", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    // While web-0's replacement is awaited, web-1 crashes and its kubelet pulls the tag again.
    clock.at(clock.now() + 1000, () => cluster.restartContainers("web-1", newDigest));
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-2"]);
    expect(reported).toContain(
      "web-1 replaced: its containers restarted onto the new image since the plan was made",
    );
    expect(problems).toEqual([]);
  });

  it("so is one whose runtime names its new image by the platform's manifest (CRI-O, an index's tag)", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    const platform = `sha256:${"a".repeat(64)}`;
    const onIndex = pods.map((pod) => ({
      ...pod,
      containers: pod.containers.map((c) => ({ ...c, latestImages: `${platform}+sha256:${"b".repeat(64)}` })),
    }));
    clock.at(clock.now() + 1000, () => cluster.restartContainers("web-1", platform));
    const { reported } = await runRestart(clock, cluster, onIndex);
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-2"]);
    expect(reported).toContain(
      "web-1 replaced: its containers restarted onto the new image since the plan was made",
    );
  });

  it("a pod whose containers restarted onto a digest the plan never saw (the tag moved again) is left", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    const third = `sha256:${"c".repeat(64)}`;
    // While web-0's replacement is awaited, web-1 crashes and its kubelet pulls a tag pushed again since.
    clock.at(clock.now() + 1000, () => cluster.restartContainers("web-1", third));
    const { reported } = await runRestart(clock, cluster, pods);
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-2"]);
    const planned = pods[1]?.containers[0];
    expect(reported).toContain(
      `web-1 not-started: container app restarted onto cccccccccccc since the plan, which judged ${planned?.runningDigest?.slice(7, 19)} against ${planned?.latestDigest?.slice(7, 19)}: the next run judges it`,
    );
  });

  it("a pod its controller let go since the plan is left", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    // While web-0's replacement is awaited, web-1 is taken out of the ReplicaSet, which makes another.
    clock.at(clock.now() + 1000, () => cluster.releasePod("web-1"));
    const { reported } = await runRestart(clock, cluster, pods);
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-2"]);
    expect(reported).toContain(
      "web-1 not-started: no longer owned by ReplicaSet/web since the plan: nothing would recreate it",
    );
  });

  // After the plan a drain takes web-0 (its ReplicaSet makes its successor at once, Ready 3 s later), or node
  // pressure makes its kubelet evict it (Failed, lingering until collected; replaced at once too).
  it.each([
    ["being deleted since the plan (a drain)", "setTerminating"],
    ["its kubelet evicted since the plan (Failed, lingering)", "setFailed"],
  ] as const)("a pod %s is already gone: not restarted, no failure", async (_, change) => {
    const { clock, cluster, pods, touched } = web(strategy);
    cluster[change]("web-0");
    await clock.advance(10_000);
    const { reported, problems } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-1", "shop/web-2"]);
    expect(reported).toEqual(["web-0 gone", `web-1 ${went(strategy)}`, `web-2 ${went(strategy)}`]);
    expect(problems).toEqual([]);
  });

  it("--no-wait too: the pod is read before it goes", async () => {
    const { clock, cluster, pods, touched } = web(strategy);
    cluster.releasePod("web-1");
    await runRestart(clock, cluster, pods, { wait: false });
    expect(touched().map((line) => line.split(" ")[2])).toEqual(["shop/web-0", "shop/web-2"]);
  });
});

describe("a rollout", () => {
  it.each([
    ["all", [0, 1, 2], "its planned pods", "", "them"],
    [
      "some, the other on the new digest",
      [1, 2],
      "of its planned pods, %1, %2",
      "the other onto the new image or is",
      "them",
    ],
    [
      "one, the others on the new digest",
      [1],
      "of its planned pods, %1",
      "the others onto the new image or are",
      "it",
    ],
  ])(
    "of a workload whose planned pods restarted onto a digest the plan never saw (%s) is not made",
    async (_, onThird, whose, othersSaid, them) => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(clock);
      const pods = cluster.addController({
        kind: "Deployment",
        name: "web",
        replicas: 3,
        strategy: "rollout",
      });
      for (const [i, pod] of pods.entries()) {
        cluster.restartContainers(pod.name, onThird.includes(i) ? `sha256:${"c".repeat(64)}` : newDigest);
      }
      const rollouts: RolloutReport[] = [];
      await runRestart(clock, cluster, pods, {
        strategy: "auto",
        onRollout: (report) => rollouts.push(report),
      });
      expect(cluster.patches()).toEqual([]);
      const onto = "restarted since the plan onto a digest it never saw (the tag moved again)";
      const others = othersSaid ? `, and ${othersSaid} gone` : "";
      expect(rollouts.map((report) => describeRollout(report, false, new Chalk({ level: 0 })))).toEqual([
        `deployment.apps shop/web not restarted: ${whose.replace(/%(\d)/g, (_, i) => pods[Number(i)]!.name)} ${onto}${others}: the next run judges ${them}`,
      ]);
    },
  );

  it("of a workload whose planned pods all run the new digest since the plan is not made: none is stale now", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    for (const pod of pods) cluster.restartContainers(pod.name, newDigest);
    const rollouts: RolloutReport[] = [];
    const { outcomes } = await runRestart(clock, cluster, pods, {
      strategy: "auto",
      onRollout: (report) => rollouts.push(report),
    });
    expect(cluster.patches()).toEqual([]);
    expect(rollouts.map((report) => describeRollout(report, false, new Chalk({ level: 0 })))).toEqual([
      "deployment.apps shop/web not restarted: its planned pods restarted onto the new image since the plan was made",
    ]);
    expect([...outcomes.values()]).toEqual(
      pods.map(() => ({
        kind: "replaced",
        reason: "its containers restarted onto the new image since the plan was made",
      })),
    );
  });

  it("of a workload whose planned pods ended since the plan (its kubelet evicted them) is not made: they are gone", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    // web-0 failed (lingering until collected, replaced already); the others pulled the tag again.
    cluster.setFailed(pods[0]!.name);
    for (const pod of pods.slice(1)) cluster.restartContainers(pod.name, newDigest);
    await clock.advance(10_000);
    const { outcomes } = await runRestart(clock, cluster, pods, { strategy: "auto" });
    expect(cluster.patches()).toEqual([]);
    expect([...outcomes.values()].map((outcome) => outcome.kind)).toEqual(["gone", "replaced", "replaced"]);
  });

  it("of a workload with one planned pod still stale is made", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    for (const pod of pods.slice(1)) cluster.restartContainers(pod.name, newDigest);
    await runRestart(clock, cluster, pods, { strategy: "auto" });
    expect(cluster.patches()).toHaveLength(1);
  });
});

describe("leftSincePlan", () => {
  const planned = {
    namespace: "shop",
    name: "web-0",
    uid: "u-0",
    controller: { kind: "ReplicaSet", name: "web", uid: "rs" },
    containers: [{ name: "app", image: "registry.test/web:main" }],
  } as PlanPod;
  const owned = [{ kind: "ReplicaSet", name: "web", uid: "rs", controller: true }];
  const now = (
    uid: string,
    ownerReferences = owned,
    labels: Record<string, string> = {},
    image = "registry.test/web:main",
  ) => ({
    metadata: { name: "web-0", uid, ownerReferences, labels },
    spec: { containers: [{ name: "app", image }] },
  });

  it("gone, or another pod of its name now: nothing to say (the eviction, by UID, finds it gone)", () => {
    expect(leftSincePlan(planned, null)).toBeNull();
    expect(leftSincePlan(planned, now("u-successor", []))).toBeNull();
  });

  it("still its controller's and not opted out: it may go", () => {
    expect(leftSincePlan(planned, now("u-0"))).toBeNull();
  });

  it("being deleted now: going already; its successor of the same name is not", () => {
    const deleting = (uid: string) => ({
      ...now(uid),
      metadata: { ...now(uid).metadata, deletionTimestamp: "2026-11-30T12:00:00Z" },
    });
    expect(goingSincePlan(planned, deleting("u-0"))).toBe(true);
    expect(goingSincePlan(planned, now("u-0"))).toBe(false);
    expect(goingSincePlan(planned, deleting("u-successor"))).toBe(false);
    expect(goingSincePlan(planned, null)).toBe(false);
  });

  it("owned by another controller now, or by none, or opted out: left", () => {
    const other = [{ kind: "ReplicaSet", name: "web", uid: "rs-new", controller: true }];
    expect(leftSincePlan(planned, now("u-0", other))).toMatch(/^no longer owned by ReplicaSet\/web/);
    expect(leftSincePlan(planned, now("u-0", []))).toMatch(/^no longer owned by ReplicaSet\/web/);
    expect(leftSincePlan(planned, now("u-0", owned, { "kubectl-autoupdate/ignore": "true" }))).toBe(
      "opted out since the plan (kubectl-autoupdate/ignore=true)",
    );
  });

  it("its image changed in place since (pinned by digest with kubectl set image): left, not undone", () => {
    const pinned = `registry.test/web@sha256:${"a".repeat(64)}`;
    expect(leftSincePlan(planned, now("u-0", owned, {}, pinned))).toBe(
      `container app's image changed since the plan (registry.test/web:main → ${pinned}): its restart would undo that`,
    );
  });

  it("under --image, a container it left out pinned in place since: left too, not undone", () => {
    const [old, moved, envoy] = [digestOf("app v1"), digestOf("app v2"), digestOf("envoy 1")];
    const listed = makePod({
      name: "web-1",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [
        { name: "app", image: "registry.test/app:main", runningDigest: old, imagePullPolicy: "Always" },
        { name: "envoy", image: "envoyproxy/envoy:v1", runningDigest: envoy },
      ],
    });
    const plan = decidePlan({
      resolver: "registry",
      pods: onlyImages([listed], imageSelection(new Set(["registry.test/app:main"]))),
      owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
      resolutions: new Map([["registry.test/app:main", tagAt(moved, old)]]),
    });
    const selected = plan.pods[0]!;
    expect(selected.action).toBe("delete");
    expect(leftSincePlan(selected, listed)).toBeNull();
    const pinned = structuredClone(listed);
    pinned.spec.containers[1]!.image = `envoyproxy/envoy@${envoy}`;
    expect(leftSincePlan(selected, pinned)).toBe(
      `container envoy's image changed since the plan (envoyproxy/envoy:v1 → envoyproxy/envoy@${envoy}): its restart would undo that`,
    );
  });

  it("in phase Unknown now (its node lost): left, as a plan now would leave it", () => {
    const lost = { ...now("u-0"), status: { phase: "Unknown" } };
    expect(leftSincePlan(planned, lost)).toMatch(/^pod phase Unknown since the plan/);
  });

  describe("on a node that stopped reporting (its phase still Running, as API servers leave it)", () => {
    const withConditions = (ready: string, containersReady: string, gates: Record<string, string> = {}) => {
      const pod = now("u-0");
      return {
        ...pod,
        spec: { ...pod.spec, readinessGates: Object.keys(gates).map((conditionType) => ({ conditionType })) },
        status: {
          phase: "Running",
          conditions: [
            { type: "Ready", status: ready },
            { type: "ContainersReady", status: containersReady },
            ...Object.entries(gates).map(([type, status]) => ({ type, status })),
          ],
        },
      };
    };

    it("Ready False while its containers were last seen ready: the node controller's mark, left", () => {
      expect(leftSincePlan(planned, withConditions("False", "True"))).toMatch(
        /^its node has stopped reporting/,
      );
      expect(leftSincePlan(planned, withConditions("False", "True", { "target-health": "True" }))).toMatch(
        /^its node has stopped reporting/,
      );
    });

    it("not Ready as the kubelet says it (a container, or a readiness gate, not ready): it may go", () => {
      expect(leftSincePlan(planned, withConditions("False", "False"))).toBeNull();
      expect(
        leftSincePlan(planned, withConditions("False", "True", { "target-health": "False" })),
      ).toBeNull();
      expect(leftSincePlan(planned, withConditions("True", "True"))).toBeNull();
    });
  });
});

describe.each(["evict", "delete"] as const)("--strategy %s, after a wait for a budget", (strategy) => {
  it("a pod opted out while its budget is waited out is left, not restarted", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy });
    cluster.setBudget("guard", "web", 0);
    // 20 s into the budget's wait an engineer opts web-0 out to debug it; at 40 s the budget allows one.
    clock.at(clock.now() + 20_000, () => cluster.labelPod("web-0", { "kubectl-autoupdate/ignore": "true" }));
    clock.at(clock.now() + 40_000, () => cluster.setBudget("guard", "web", 1));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
    expect(reported[0]).toMatch(/web-0 not-started: opted out since the plan/);
  });
});

describe.each(["evict", "delete"] as const)(
  "--strategy %s, a template changed since the plan",
  (strategy) => {
    const changed = (name: string, pod: string) =>
      new RegExp(`^${pod} not-started: ${name}'s template changed since ${pod} was made \\(`);
    /** A controller updated OnDelete, its pods Ready on its template. */
    const onDelete = (kind: "StatefulSet" | "DaemonSet", replicas: number) => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(clock);
      const pods = cluster.addController({
        kind,
        name: "db",
        replicas,
        strategy,
        updateStrategy: "OnDelete",
      });
      return { clock, cluster, pods, touched: () => [...cluster.evictions(), ...cluster.deletions()] };
    };

    it.each(["StatefulSet", "DaemonSet"] as const)(
      "%s updated OnDelete: no pod goes, as its replacement would run the change",
      async (kind) => {
        const { clock, cluster, pods, touched } = onDelete(kind, 2);
        // Someone's change, whose rollout OnDelete leaves to whoever deletes the pods.
        await cluster.rollOutElsewhere("db");
        await clock.advance(1000);
        const { reported } = await runRestart(clock, cluster, pods, { strategy });
        expect(touched()).toEqual([]);
        expect(reported).toHaveLength(2);
        for (const line of reported) expect(line).toMatch(changed(`${kind}/db`, line.split(" ")[0]!));
      },
    );

    it("changed while the first replacement is awaited: the pods after it are left", async () => {
      const { clock, cluster, pods } = onDelete("StatefulSet", 3);
      clock.at(clock.now() + 1000, () => void cluster.rollOutElsewhere("db"));
      const { reported } = await runRestart(clock, cluster, pods, { strategy });
      expect(reported[0]).toBe(`${pods[0]!.name} ${went(strategy)}`);
      expect(reported.slice(1)).toEqual([
        expect.stringMatching(changed("StatefulSet/db", pods[1]!.name)),
        expect.stringMatching(changed("StatefulSet/db", pods[2]!.name)),
      ]);
    });

    it("--no-wait too: the controller is read before each pod goes", async () => {
      const { clock, cluster, pods, touched } = onDelete("DaemonSet", 2);
      await cluster.rollOutElsewhere("db");
      const { reported } = await runRestart(clock, cluster, pods, { strategy, wait: false });
      expect(touched()).toEqual([]);
      expect(reported).toHaveLength(2);
    });
  },
);

describe("templateChangedFor", () => {
  const pod = (name: string, labels: Record<string, string>) => ({
    metadata: { name, labels },
    spec: { containers: [] },
  });
  const statefulSet = (
    status: Workload["status"],
    updateStrategy: NonNullable<Workload["spec"]["updateStrategy"]> = { type: "OnDelete" },
    generation = 2,
  ): Workload => ({
    kind: "StatefulSet",
    metadata: { name: "db", generation },
    spec: { replicas: 3, updateStrategy, ordinals: { start: 1 } },
    status: { observedGeneration: 2, ...status },
  });
  const onRevision = (name: string, revision: string) => pod(name, { "controller-revision-hash": revision });

  it("a StatefulSet's pod on its update revision may go; one on an earlier revision is left", () => {
    const sts = statefulSet({ currentRevision: "db-a", updateRevision: "db-b" });
    expect(templateChangedFor(onRevision("db-1", "db-b"), sts)).toBeNull();
    expect(templateChangedFor(onRevision("db-1", "db-a"), sts)).toBe(
      "StatefulSet/db's template changed since db-1 was made (revision db-a, now db-b): its replacement would run that change too",
    );
  });

  it("below a rolling update's partition (counted from the first ordinal) a pod is remade on the current revision", () => {
    const partitioned = { type: "RollingUpdate", rollingUpdate: { partition: 2 } };
    const sts = statefulSet({ currentRevision: "db-a", updateRevision: "db-b" }, partitioned);
    // Ordinals 1 and 2 are below the partition (2 from the first ordinal, 1); 3 is not.
    expect(templateChangedFor(onRevision("db-2", "db-a"), sts)).toBeNull();
    expect(templateChangedFor(onRevision("db-3", "db-a"), sts)).toMatch(/revision db-a, now db-b/);
    expect(templateChangedFor(onRevision("db-1", "db-b"), sts)).toMatch(/revision db-b, now db-a/);
  });

  it("a change its controller has not seen yet: what a replacement would run is not known, left", () => {
    const sts = statefulSet({ currentRevision: "db-a", updateRevision: "db-a" }, undefined, 3);
    expect(templateChangedFor(onRevision("db-1", "db-a"), sts)).toMatch(
      /^StatefulSet\/db changed and its controller has not caught up yet/,
    );
  });

  it("a DaemonSet's pod of an earlier template generation is left; revisions or labels unsaid hold nothing", () => {
    const daemonSet = (generation: string | undefined): Workload => ({
      kind: "DaemonSet",
      metadata: {
        name: "agent",
        ...(generation ? { annotations: { "deprecated.daemonset.template.generation": generation } } : {}),
      },
      spec: {},
    });
    const made = pod("agent-x", { "pod-template-generation": "3" });
    expect(templateChangedFor(made, daemonSet("3"))).toBeNull();
    // A change undone: the annotation moved on, but the controller counts every pod on its template.
    const reverted = { ...daemonSet("5"), metadata: { ...daemonSet("5").metadata, generation: 5 } };
    const counts = { observedGeneration: 5, desiredNumberScheduled: 3, updatedNumberScheduled: 3 };
    expect(templateChangedFor(made, { ...reverted, status: counts })).toBeNull();
    expect(
      templateChangedFor(made, { ...reverted, status: { ...counts, updatedNumberScheduled: 2 } }),
    ).toMatch(/generation 3, now 5/);
    expect(templateChangedFor(made, { ...reverted, status: { ...counts, observedGeneration: 4 } })).toMatch(
      /generation 3, now 5/,
    );
    expect(templateChangedFor(made, daemonSet("4"))).toMatch(/generation 3, now 4/);
    expect(templateChangedFor(made, daemonSet(undefined))).toBeNull();
    expect(templateChangedFor(pod("agent-x", {}), daemonSet("4"))).toBeNull();
    expect(templateChangedFor(pod("db-1", {}), statefulSet({ updateRevision: "db-b" }))).toBeNull();
  });
});
