/**
 * Under -l or --field-selector the plan judges only the pods it selects, while a workload's rollout replaces
 * all of its pods: under auto a workload with pods outside the selection is evicted pod by pod, as the plan
 * cannot say those others may go (held until the tag moves, by --min-age, on a node the tag dropped).
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import type { Pod } from "../../../src/core/k8s.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { StrategyName } from "../../../src/core/plan.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
const resolution: Resolution = {
  tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
  manifests: new Map([singleManifest(OLD), singleManifest(NEW)]),
};
const pod = (name: string) =>
  makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });

/** The plan of `pods`, selected by -l, and restarts decided with their one workload as given. */
function narrowedPlan(
  strategy: StrategyName,
  pods: Pod[],
  key: string,
  workload: Workload,
  extra: { optedOutElsewhere?: ReadonlyMap<string, readonly string[]> } = {},
) {
  const decided = decidePlan({
    resolver: "registry",
    pods,
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  return decideRestarts(decided, {
    strategy,
    owners,
    workloads: new Map([[key, workload]]),
    unreadable: new Map(),
    narrowed: true,
    ...extra,
  });
}

/** StatefulSet db, partition 2, `updated` of its `replicas` on the update revision, all Ready. */
const partitioned = (replicas: number, updated: number): Workload => ({
  kind: "StatefulSet",
  metadata: { name: "db", namespace: "default", generation: 3 },
  spec: { replicas, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
  status: {
    observedGeneration: 3,
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    currentReplicas: 2,
    updatedReplicas: updated,
    currentRevision: "db-6f7c9",
    updateRevision: "db-8d2e1",
  },
});

const dbPod = (name: string, digest: string) =>
  makePod({
    name,
    owner: { kind: "StatefulSet", name: "db" },
    containers: [{ name: "db", image: "nginx:latest", runningDigest: digest }],
  });

/** The restart of the first pod, with `inScope` of the Deployment's 3 pods selected. */
function restartOf(strategy: StrategyName, inScope: number, narrowed: boolean) {
  const pods = ["web-7d9c8b-a", "web-7d9c8b-b", "web-7d9c8b-c"].slice(0, inScope).map(pod);
  const decided = decidePlan({
    resolver: "registry",
    pods,
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  const plan = decideRestarts(decided, {
    strategy,
    owners,
    workloads: new Map([["default/Deployment/web", settledDeployment("web", "default", 3)]]),
    unreadable: new Map(),
    narrowed,
  });
  return plan.pods[0]!.restart;
}

describe("a workload only part of which a selector chose", () => {
  it("is evicted under auto: its rollout would replace pods the plan did not judge", () => {
    expect(restartOf("auto", 1, true)).toMatchObject({
      strategy: "evict",
      reason:
        "Deployment/web's rollout would also replace its 2 pods outside the selection, which this plan did not judge: evicted one at a time",
    });
  });

  it("is evicted under auto with one pod outside the selection too", () => {
    expect(restartOf("auto", 2, true)).toMatchObject({
      strategy: "evict",
      reason:
        "Deployment/web's rollout would also replace its 1 pod outside the selection, which this plan did not judge: evicted one at a time",
    });
  });

  it("is rolled when the selection holds all its pods, or the scope is whole", () => {
    expect(restartOf("auto", 3, true)?.strategy).toBe("rollout");
    expect(restartOf("auto", 1, false)?.strategy).toBe("rollout");
  });

  it("is rolled under --strategy rollout, as asked: its template is the workload's", () => {
    expect(restartOf("rollout", 1, true)?.strategy).toBe("rollout");
  });

  it("counts a StatefulSet's pods from its partition up: those below it its rollout leaves alone", () => {
    // 3 replicas, partition 2: db-2 is the canary, on the update revision; -l track=canary selects it alone.
    const plan = narrowedPlan("auto", [dbPod("db-2", OLD)], "default/StatefulSet/db", partitioned(3, 1));
    expect(plan.pods[0]!.restart?.strategy).toBe("rollout");
  });

  it("does not count a selected pod below the partition as one its rollout covers", () => {
    // 4 replicas, partition 2: db-0 and db-1 kept back, db-2 and db-3 roll. -l selected db-0 and db-2, so
    // db-3, above the partition and outside the selection, would be rolled unjudged.
    const plan = narrowedPlan(
      "auto",
      [dbPod("db-0", NEW), dbPod("db-2", OLD)],
      "default/StatefulSet/db",
      partitioned(4, 2),
    );
    const db2 = plan.pods.find((p) => p.name === "db-2")!;
    expect(db2.action).toBe("delete");
    expect(db2.restart).toMatchObject({
      strategy: "evict",
      reason:
        "StatefulSet/db's rollout would also replace its 1 pod outside the selection, which this plan did not judge: evicted one at a time",
    });
  });

  it("--strategy rollout: an opted-out pod outside the selection keeps the Deployment from rolling", () => {
    const plan = narrowedPlan(
      "rollout",
      [pod("web-7d9c8b-a")],
      "default/Deployment/web",
      settledDeployment("web", "default", 2),
      { optedOutElsewhere: new Map([["default/Deployment/web", ["web-7d9c8b-b"]]]) },
    );
    expect(plan.pods[0]).toMatchObject({
      action: "skip",
      reason:
        "Deployment/web's rollout would also replace web-7d9c8b-b, opted out with kubectl-autoupdate/ignore=true: use --strategy evict",
    });
  });
});
