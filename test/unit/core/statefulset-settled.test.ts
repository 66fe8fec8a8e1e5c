/**
 * A StatefulSet is rolled only once settled: not while a pod of it is terminating (a drain: still Ready until
 * its containers stop, but on no revision), nor while it is scaled down (the pods beyond the count go by
 * themselves, and a rollout would replace none of them).
 */
import { describe, expect, it } from "vitest";
import { indexOwners } from "../../../src/core/owners.js";
import type { PlanPod } from "../../../src/core/plan.js";
import { decideRestart, decideRestarts } from "../../../src/core/restart-strategy.js";
import { rolloutInProgress, type Workload } from "../../../src/core/workload.js";
import { FakeClock } from "../../support/fake-clock.js";
import { InMemoryCluster } from "../../support/in-memory-cluster.js";
import { planPod } from "../../support/plan-pods.js";
import { decidedPlan, runRestart } from "../../support/restart.js";

/** StatefulSet db of 3 on one revision, with `status` as the API server reports it. */
const db = (partition: number, status: NonNullable<Workload["status"]>, replicas = 3): Workload => ({
  kind: "StatefulSet",
  metadata: { name: "db", namespace: "shop", uid: "uid-db", generation: 4 },
  spec: { replicas, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition } } },
  status: { observedGeneration: 4, currentRevision: "db-7f", updateRevision: "db-7f", ...status },
});
const rolled = (w: Workload, pods: string[]) =>
  decideRestart("auto", { kind: "StatefulSet", name: "db" }, { workload: w, pods });

describe("a StatefulSet with a pod terminating, still Ready", () => {
  // db-0 drained: counted Ready and available, on no revision (the controller counts no terminating
  // pod there).
  const drained = {
    replicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    currentReplicas: 2,
    updatedReplicas: 2,
  };

  it.each([0, 1])(
    "is not settled, whatever its partition (%i): it is not rolled while the pod goes",
    (partition) => {
      expect(rolloutInProgress(db(partition, drained))).not.toBeNull();
      expect(rolled(db(partition, drained), ["db-1", "db-2"])).not.toMatchObject({ strategy: "rollout" });
    },
  );

  it("with the server's status, which leaves out a count of 0 (currentReplicas is omitempty)", () => {
    // A canary of 2, partition 1: db-0 (the one pod on the old revision) drained, db-1 on the new one.
    const canary = {
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 1,
      updateRevision: "db-8a",
    };
    expect(rolloutInProgress(db(1, canary, 2))).toBe(
      "only 1 of 2 pods on revision db-7f or db-8a: one terminating, or kept below the partition on an older revision",
    );
    expect(rolloutInProgress(db(1, canary, 2), 1)).toBe("1 of 2 pods terminating");
  });

  it("with a partition and revisions apart, the pods below it on the current one count too", () => {
    const settled = { ...drained, currentReplicas: 1, updatedReplicas: 2, updateRevision: "db-8a" };
    expect(rolloutInProgress(db(1, settled))).toBeNull();
    expect(rolloutInProgress(db(1, { ...settled, currentReplicas: 0 }), 1)).toBe("1 of 3 pods terminating");
  });
});

describe("a partitioned StatefulSet with a pod kept on an older revision below the partition", () => {
  // A staged rollout begun again with a newer template: db-0 on the current revision, db-1 on the former
  // update revision (below the partition), db-2 on the new one. All Ready: the controller counts db-1 on
  // neither revision, as it would a pod terminating.
  const threeRevisions = db(2, {
    replicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    currentReplicas: 1,
    updatedReplicas: 1,
    updateRevision: "db-9c",
  });

  it("is settled when none of its pods is terminating, and rolled", () => {
    expect(rolloutInProgress(threeRevisions, 0)).toBeNull();
    const facts = { workload: threeRevisions, pods: ["db-2"], terminatingPods: 0 };
    expect(decideRestart("auto", { kind: "StatefulSet", name: "db" }, facts)).toMatchObject({
      kind: "restart",
      strategy: "rollout",
    });
  });

  it("with its pods unseen (a narrowed plan), says it may be either", () => {
    expect(rolloutInProgress(threeRevisions)).toBe(
      "only 2 of 3 pods on revision db-7f or db-9c: one terminating, or kept below the partition on an older revision",
    );
  });

  it("the plan counts its pods terminating where it has them all", () => {
    const sts = { kind: "StatefulSet", name: "db" };
    const pod = (name: string, terminating = false) =>
      planPod(name, {
        owner: sts,
        controller: { ...sts, uid: "uid-db" },
        terminating,
        // db-0 and db-1, below the partition, are current; db-2 is stale.
        action: terminating ? "skip" : name === "db-2" ? "delete" : "none",
      });
    const decide = (pods: PlanPod[], narrowed = false) =>
      decideRestarts(
        { resolver: "registry", pods },
        {
          strategy: "auto",
          workloads: new Map([["shop/StatefulSet/db", threeRevisions]]),
          unreadable: new Map(),
          owners: indexOwners([]),
          narrowed,
        },
      ).pods.find((p) => p.name === "db-2")!;
    expect(decide([pod("db-0"), pod("db-1"), pod("db-2")]).restart?.strategy).toBe("rollout");
    expect(decide([pod("db-0"), pod("db-1", true), pod("db-2")]).reason).toBe(
      "StatefulSet/db is mid-rollout (1 of 3 pods terminating): left alone",
    );
    expect(decide([pod("db-2")], true).reason).toMatch(
      /^StatefulSet\/db is mid-rollout \(only 2 of 3 pods on revision/,
    );
  });
});

describe("a StatefulSet scaled down while its pods are still being removed", () => {
  it("is not settled: a rollout would replace none of the pods the scale-down removes", () => {
    const scaling = {
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      currentReplicas: 1,
      updatedReplicas: 1,
    };
    expect(rolloutInProgress(db(0, scaling, 0))).toBe("scaling down: 2 pods, 0 wanted");
    expect(rolled(db(0, scaling, 0), ["db-0"])).not.toMatchObject({ strategy: "rollout" });
  });

  it("apply neither patches it nor reports the pod the scale-down removes as replaced by a rollout", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({
      kind: "StatefulSet",
      name: "db",
      replicas: 2,
      strategy: "rollout",
      terminationGraceMs: 30_000,
    });
    // db-1 goes first (terminating), db-0 after it.
    cluster.scaleTo("db", 0, 3000);
    const planned = (await decidedPlan(cluster, pods.slice(0, 1), "auto")).pods;
    const { outcomes } = await runRestart(
      clock,
      cluster,
      planned.filter((p) => p.action === "delete"),
    );
    expect(cluster.patches()).toEqual([]);
    expect([...outcomes.values()].map((o) => o.kind)).not.toContain("rolled");
  });
});
