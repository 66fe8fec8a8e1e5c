/**
 * How apply restarts each controller's stale pods (core/restart-strategy.ts): every controller kind and
 * update strategy, paused, partitioned, mid-rollout, GitOps-managed, under each --strategy.
 */
import { describe, expect, it } from "vitest";
import { indexOwners, type OwnerIndex } from "../../../src/core/owners.js";
import type { ControllerRef, Plan, PlanPod, StrategyName } from "../../../src/core/plan.js";
import {
  type ControllerFacts,
  decideRestart,
  decideRestarts,
  workloadsToRead,
} from "../../../src/core/restart-strategy.js";
import type { Workload, WorkloadKind } from "../../../src/core/workload.js";
import { makeReplicaSet } from "../../support/pods.js";

/** A settled workload as the API server returns it (defaults filled in), changed by `patch`. */
function workload(
  kind: WorkloadKind,
  patch: {
    spec?: Partial<Workload["spec"]>;
    status?: Partial<NonNullable<Workload["status"]>>;
    metadata?: Partial<Workload["metadata"]>;
  } = {},
): Workload {
  const base: Record<WorkloadKind, Workload> = {
    Deployment: {
      kind,
      metadata: { name: "web", namespace: "shop", generation: 4, resourceVersion: "900" },
      spec: {
        replicas: 3,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      },
      status: {
        observedGeneration: 4,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
      },
    },
    StatefulSet: {
      kind,
      metadata: { name: "db", namespace: "shop", generation: 2 },
      spec: { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } },
      status: {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        currentRevision: "db-7f",
        updateRevision: "db-7f",
      },
    },
    DaemonSet: {
      kind,
      metadata: { name: "agent", namespace: "shop", generation: 1 },
      spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } },
      status: {
        observedGeneration: 1,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: 2,
      },
    },
  };
  const w = base[kind];
  return {
    ...w,
    metadata: { ...w.metadata, ...patch.metadata },
    spec: { ...w.spec, ...patch.spec },
    status: { ...w.status, ...patch.status },
  };
}

/** No ReplicaSet listed while gathering. */
const noOwners = indexOwners([]);
const names: Record<WorkloadKind, string> = { Deployment: "web", StatefulSet: "db", DaemonSet: "agent" };
const facts = (w: Workload | undefined, pods: string[] = ["x-0"], unreadable?: string): ControllerFacts => ({
  workload: w,
  pods,
  unreadable,
});
const target = (kind: string, name = names[kind as WorkloadKind] ?? "web-7d9c8b") => ({ kind, name });

/** The decision as one line: `rollout: …`, `evict: …`, `skip: …`, with warnings after ` ! `. */
function decide(strategy: StrategyName, kind: string, f: ControllerFacts): string {
  const d = decideRestart(strategy, target(kind), f);
  if (d.kind === "skip") return `skip: ${d.reason}`;
  return [`${d.strategy}: ${d.reason}`, ...d.warnings].join(" ! ");
}

const paused = workload("Deployment", { spec: { paused: true } });
const recreate = workload("Deployment", { spec: { strategy: { type: "Recreate" } } });
const onDeleteSts = workload("StatefulSet", { spec: { updateStrategy: { type: "OnDelete" } } });
const onDeleteDs = workload("DaemonSet", { spec: { updateStrategy: { type: "OnDelete" } } });
const partitioned = workload("StatefulSet", {
  spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
});
/** Pods db-1, db-2, db-3: partition 2 counts from db-1, so only db-3 rolls. */
const partitionedFromOne = workload("StatefulSet", {
  spec: {
    ordinals: { start: 1 },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
  },
});
const argo = workload("Deployment", {
  metadata: { annotations: { "argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web" } },
});
const midRollout = workload("Deployment", { status: { updatedReplicas: 1 } });
/** RollingUpdate that stops every pod at once, as Recreate does. */
const allUnavailable = workload("Deployment", {
  spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "100%" } } },
});
/** With a ReadWriteOnce volume, say: its one pod goes before the new one starts. */
const surgeless = workload("Deployment", {
  spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } },
});
const singleSts = workload("StatefulSet", {
  spec: { replicas: 1 },
  status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
});
const oneNodeDs = workload("DaemonSet", {
  status: { desiredNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1 },
});
const allNodesAtOnce = workload("DaemonSet", {
  spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "100%" } } },
});
/** The Grafana operator's Grafana controls its Deployment: it writes the template back to its own. */
const operated = workload("Deployment", {
  metadata: {
    ownerReferences: [
      {
        apiVersion: "grafana.integreatly.org/v1beta1",
        kind: "Grafana",
        name: "web",
        uid: "7c0f4a52-1d7e-4b6a-9f3e-2a8d5c6b1e90",
        controller: true,
      },
    ],
  },
});

describe("the decision per controller: every kind and update strategy, under each --strategy", () => {
  it.each<[string, StrategyName, string, ControllerFacts, string]>([
    // auto: a rollout only where the controller rolls without losing capacity
    [
      "RollingUpdate Deployment",
      "auto",
      "Deployment",
      facts(workload("Deployment")),
      "rollout: rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25%",
    ],
    [
      "RollingUpdate StatefulSet",
      "auto",
      "StatefulSet",
      facts(workload("StatefulSet"), ["db-0", "db-2"]),
      "rollout: rolling update of StatefulSet/db's 3 pods, one at a time from the highest ordinal",
    ],
    [
      "RollingUpdate DaemonSet",
      "auto",
      "DaemonSet",
      facts(workload("DaemonSet")),
      "rollout: rolling update of DaemonSet/agent's pods on 2 nodes, maxSurge 0, maxUnavailable 1",
    ],
    [
      "bare ReplicaSet",
      "auto",
      "ReplicaSet",
      facts(undefined),
      "evict: ReplicaSet/web-7d9c8b has no rollout: evicted one at a time",
    ],
    [
      "ReplicationController",
      "auto",
      "ReplicationController",
      facts(undefined),
      "evict: ReplicationController/web-7d9c8b has no rollout: evicted one at a time",
    ],
    [
      "Recreate Deployment",
      "auto",
      "Deployment",
      facts(recreate),
      "evict: Deployment/web uses Recreate (a rollout stops every pod at once): evicted one at a time",
    ],
    [
      "RollingUpdate Deployment with maxSurge 0 and maxUnavailable 100%",
      "auto",
      "Deployment",
      facts(allUnavailable),
      "evict: Deployment/web's rollout stops every pod at once (maxSurge 0, maxUnavailable 100% of 3 replicas): evicted one at a time",
    ],
    [
      "one-replica StatefulSet (its rollout deletes the pod first)",
      "auto",
      "StatefulSet",
      facts(singleSts, ["db-0"]),
      "evict: StatefulSet/db's rollout stops every pod at once (its one replica is deleted before its replacement is made): evicted one at a time ! StatefulSet/db has one replica: it is down until its replacement is Ready",
    ],
    [
      "StatefulSet with maxUnavailable 1, as newer API servers fill in: one at a time",
      "auto",
      "StatefulSet",
      facts(
        workload("StatefulSet", {
          spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } } },
        }),
      ),
      "rollout: rolling update of StatefulSet/db's 3 pods, one at a time from the highest ordinal",
    ],
    [
      "StatefulSet with maxUnavailable 2 of 3",
      "auto",
      "StatefulSet",
      facts(
        workload("StatefulSet", {
          spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 2 } } },
        }),
      ),
      "rollout: rolling update of StatefulSet/db's 3 pods, maxUnavailable 2 from the highest ordinal",
    ],
    [
      "DaemonSet with maxUnavailable 100% of its nodes",
      "auto",
      "DaemonSet",
      facts(allNodesAtOnce),
      "evict: DaemonSet/agent's rollout stops every pod at once (maxSurge 0, maxUnavailable 100% of 2 nodes): evicted one at a time",
    ],
    [
      "DaemonSet on one node (its rollout deletes the pod there first)",
      "auto",
      "DaemonSet",
      facts(oneNodeDs),
      "evict: DaemonSet/agent's rollout stops every pod at once (maxSurge 0, maxUnavailable 1 of 1 node): evicted one at a time ! DaemonSet/agent runs on one node: it is down until its replacement is Ready",
    ],
    [
      "DaemonSet on one node that surges (its new pod starts first)",
      "auto",
      "DaemonSet",
      facts(
        workload("DaemonSet", {
          spec: {
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          },
          status: { desiredNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1 },
        }),
      ),
      "rollout: rolling update of DaemonSet/agent's pods on 1 node, maxSurge 1, maxUnavailable 0",
    ],
    [
      "paused Deployment",
      "auto",
      "Deployment",
      facts(paused),
      "evict: Deployment/web is paused: evicted one at a time",
    ],
    [
      "OnDelete StatefulSet",
      "auto",
      "StatefulSet",
      facts(onDeleteSts),
      "evict: StatefulSet/db updates OnDelete: evicted one at a time",
    ],
    [
      "OnDelete DaemonSet",
      "auto",
      "DaemonSet",
      facts(onDeleteDs),
      "evict: DaemonSet/agent updates OnDelete: evicted one at a time",
    ],
    [
      "a partition holding stale pods",
      "auto",
      "StatefulSet",
      facts(partitioned, ["db-0", "db-2"]),
      "evict: StatefulSet/db's partition 2 keeps db-0 from rolling: evicted one at a time",
    ],
    [
      "a partition above every stale pod",
      "auto",
      "StatefulSet",
      facts(partitioned, ["db-2"]),
      "rollout: rolling update of StatefulSet/db's pods from ordinal 2, one at a time from the highest ordinal",
    ],
    [
      "a DaemonSet running pods on nodes it no longer schedules to (its rollout deletes them, making none)",
      "auto",
      "DaemonSet",
      facts(workload("DaemonSet", { status: { numberMisscheduled: 2 } })),
      "skip: DaemonSet/agent runs pods on 2 nodes it no longer schedules to (a NoSchedule taint it does not tolerate: a node not Ready, being removed, or tainted; kubectl describe daemonset shows them as misscheduled), and any of its pods restarted there would get no successor",
    ],
    [
      "pods left alone below a partition, which its rollout does not replace either",
      "auto",
      "StatefulSet",
      {
        ...facts(partitioned, ["db-2"]),
        optedOut: ["db-0"],
        noImageToRun: ["db-1"],
        heldByTemplate: ["db-0"],
        heldByMinAge: ["db-1"],
      },
      "rollout: rolling update of StatefulSet/db's pods from ordinal 2, one at a time from the highest ordinal",
    ],
    [
      "a pod held by --min-age at the partition, which its rollout would replace",
      "auto",
      "StatefulSet",
      { ...facts(partitioned, ["db-3"]), heldByMinAge: ["db-1", "db-2"] },
      "evict: StatefulSet/db's rollout would also replace db-2, held by --min-age: evicted one at a time",
    ],
    [
      "a partition counted from ordinals.start, holding a pod whose ordinal is the partition",
      "auto",
      "StatefulSet",
      facts(partitionedFromOne, ["db-2", "db-3"]),
      "evict: StatefulSet/db's partition 2 keeps db-2 from rolling: evicted one at a time",
    ],
    [
      "a partition counted from ordinals.start, above every stale pod",
      "auto",
      "StatefulSet",
      facts(partitionedFromOne, ["db-3"]),
      "rollout: rolling update of StatefulSet/db's pods from ordinal 3, one at a time from the highest ordinal",
    ],
    [
      "Argo CD's tracking annotation",
      "auto",
      "Deployment",
      facts(argo),
      "evict: Deployment/web is managed by Argo CD (annotation argocd.argoproj.io/tracking-id): evicted one at a time rather than patched",
    ],
    [
      "an operator's controller reference",
      "auto",
      "Deployment",
      facts(operated),
      "evict: Deployment/web is managed by Grafana/web (its template is the operator's): evicted one at a time rather than patched",
    ],
    [
      "mid-rollout",
      "auto",
      "Deployment",
      facts(midRollout),
      "skip: Deployment/web is mid-rollout (1 of 3 updated, 3 available): left alone",
    ],
    [
      "not found (deleted since the pods were listed)",
      "auto",
      "Deployment",
      facts(undefined),
      "evict: Deployment/web was not found: evicted one at a time",
    ],
    [
      "its kind could not be listed",
      "auto",
      "Deployment",
      facts(undefined, ["x"], "forbidden"),
      "evict: Deployment/web could not be read: evicted one at a time",
    ],
    // rollout: asked for; where it cannot do what was asked, a skip that says what to do
    [
      "RollingUpdate Deployment",
      "rollout",
      "Deployment",
      facts(workload("Deployment")),
      "rollout: rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25%",
    ],
    [
      "paused Deployment",
      "rollout",
      "Deployment",
      facts(paused),
      "skip: Deployment/web is paused: `kubectl rollout resume` it, or use --strategy evict",
    ],
    [
      "OnDelete StatefulSet",
      "rollout",
      "StatefulSet",
      facts(onDeleteSts),
      "skip: StatefulSet/db updates OnDelete: a rollout replaces no pod; use --strategy evict",
    ],
    [
      "a partition holding stale pods",
      "rollout",
      "StatefulSet",
      facts(partitioned, ["db-1"]),
      "skip: StatefulSet/db's partition 2 keeps db-1 from rolling: lower the partition, or use --strategy evict",
    ],
    [
      "bare ReplicaSet",
      "rollout",
      "ReplicaSet",
      facts(undefined),
      "skip: ReplicaSet/web-7d9c8b has no rollout: use --strategy evict",
    ],
    [
      "Recreate Deployment",
      "rollout",
      "Deployment",
      facts(recreate),
      "rollout: Recreate rollout of Deployment/web: all 3 pods stop before any new one starts ! Deployment/web uses the Recreate strategy: its rollout stops every pod before the new ones start",
    ],
    [
      "RollingUpdate Deployment with maxSurge 0 and maxUnavailable 100%",
      "rollout",
      "Deployment",
      facts(allUnavailable),
      "rollout: rolling update of Deployment/web's 3 pods, maxSurge 0, maxUnavailable 100% ! Deployment/web's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 100% of 3 replicas)",
    ],
    [
      "one-replica StatefulSet",
      "rollout",
      "StatefulSet",
      facts(singleSts, ["db-0"]),
      "rollout: rolling update of StatefulSet/db's 1 pod, one at a time from the highest ordinal ! StatefulSet/db's rollout stops every pod before the new ones are Ready (its one replica is deleted before its replacement is made)",
    ],
    [
      "Argo CD's tracking annotation",
      "rollout",
      "Deployment",
      facts(argo),
      "rollout: rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25% ! Deployment/web is managed by Argo CD (annotation argocd.argoproj.io/tracking-id): it may report drift or revert the restartedAt and restarted-for annotations",
    ],
    [
      "an operator's controller reference",
      "rollout",
      "Deployment",
      facts(operated),
      "rollout: rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25% ! Deployment/web is managed by Grafana/web: its operator may write the template back, rolling the pods again and dropping the restarted-for record",
    ],
    [
      "mid-rollout",
      "rollout",
      "Deployment",
      facts(midRollout),
      "skip: Deployment/web is mid-rollout (1 of 3 updated, 3 available): left alone",
    ],
    [
      "not found",
      "rollout",
      "Deployment",
      facts(undefined),
      "skip: Deployment/web was not found: not rolled",
    ],
    // evict and delete: every pod one at a time, whatever the controller's state
    [
      "mid-rollout",
      "evict",
      "Deployment",
      facts(midRollout),
      "evict: --strategy evict: evicted one at a time, the API server enforces budgets",
    ],
    [
      "RollingUpdate DaemonSet",
      "evict",
      "DaemonSet",
      facts(workload("DaemonSet")),
      "evict: --strategy evict: evicted one at a time, the API server enforces budgets",
    ],
    [
      "paused Deployment",
      "delete",
      "Deployment",
      facts(paused),
      "delete: --strategy delete: deleted one at a time, budgets checked before each",
    ],
    [
      "bare ReplicaSet",
      "delete",
      "ReplicaSet",
      facts(undefined),
      "delete: --strategy delete: deleted one at a time, budgets checked before each",
    ],
  ])("%s under %s", (_, strategy, kind, f, expected) => {
    expect(decide(strategy, kind, f)).toBe(expected);
  });

  it("a rollout above a partition is marked partial, for apply's question; one without a partition is not", () => {
    const decided = (w: Workload) => decideRestart("auto", target("StatefulSet"), facts(w, ["db-2"]));
    expect(decided(partitioned)).toMatchObject({ kind: "restart", strategy: "rollout", partial: true });
    expect(decided(workload("StatefulSet"))).not.toHaveProperty("partial");
  });

  it.each([
    [
      "Argo CD's instance label",
      { labels: { "argocd.argoproj.io/instance": "shop" } },
      "Argo CD (label argocd.argoproj.io/instance)",
    ],
    [
      "Flux's kustomize label",
      { labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } },
      "Flux (label kustomize.toolkit.fluxcd.io/name)",
    ],
    [
      "Flux's helm label",
      { labels: { "helm.toolkit.fluxcd.io/name": "web" } },
      "Flux (label helm.toolkit.fluxcd.io/name)",
    ],
  ])("%s marks a GitOps-managed workload: evicted under auto", (_, metadata, tool) => {
    expect(decide("auto", "Deployment", facts(workload("Deployment", { metadata })))).toBe(
      `evict: Deployment/web is managed by ${tool}: evicted one at a time rather than patched`,
    );
  });

  it("an OnDelete StatefulSet whose pods are all updated is settled, though its currentRevision lags", () => {
    // The StatefulSet controller leaves currentRevision behind under OnDelete (kubernetes/kubernetes#73492).
    const caughtUp = workload("StatefulSet", {
      spec: { updateStrategy: { type: "OnDelete" } },
      status: { currentRevision: "db-7f", updateRevision: "db-8a" },
    });
    expect(decide("auto", "StatefulSet", facts(caughtUp))).toBe(
      "evict: StatefulSet/db updates OnDelete: evicted one at a time",
    );
  });

  it("a partitioned StatefulSet once rolled (pods below the partition on the old revision for good) is not mid-rollout", () => {
    // Rolled from ordinal 2 up: db-2 on db-8a, db-0 and db-1 held on db-7f, as rolloutStatus calls done.
    const rolled = workload("StatefulSet", {
      spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
      status: { updatedReplicas: 1, currentReplicas: 2, currentRevision: "db-7f", updateRevision: "db-8a" },
    });
    expect(decide("auto", "StatefulSet", facts(rolled, ["db-2"]))).toMatch(/^rollout: /);
    expect(decide("auto", "StatefulSet", facts(rolled, ["db-0", "db-2"]))).toBe(
      "evict: StatefulSet/db's partition 2 keeps db-0 from rolling: evicted one at a time",
    );
    // Still short of the pods it lets roll: mid-rollout.
    const rolling = workload("StatefulSet", {
      spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } },
      status: { updatedReplicas: 1, currentRevision: "db-7f", updateRevision: "db-8a" },
    });
    expect(decide("auto", "StatefulSet", facts(rolling, ["db-2"]))).toBe(
      "skip: StatefulSet/db is mid-rollout (1 of 2 on revision db-8a, 3 ready): left alone",
    );
  });

  it("a workload being deleted (a finalizer holds it) is skipped, whatever --strategy: it would not bring its pods back", () => {
    const deleting = workload("StatefulSet", { metadata: { deletionTimestamp: "2026-11-20T10:00:00Z" } });
    for (const strategy of ["auto", "rollout", "evict", "delete"] as const) {
      expect(decide(strategy, "StatefulSet", facts(deleting))).toBe(
        "skip: StatefulSet/db is being deleted: it would not bring the pods back",
      );
    }
  });

  it("an OnDelete StatefulSet with a pod not available is evicted, not left as mid-rollout: it has no rollout", () => {
    const crashLooping = workload("StatefulSet", {
      spec: { replicas: 3, updateStrategy: { type: "OnDelete" } },
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
    });
    expect(decide("auto", "StatefulSet", facts(crashLooping))).toBe(
      "evict: StatefulSet/db updates OnDelete: evicted one at a time",
    );
  });

  it("so is an OnDelete DaemonSet with a pod not available; one whose template its pods have not caught up with is left", () => {
    const onDelete = (status: Workload["status"]) =>
      workload("DaemonSet", { spec: { updateStrategy: { type: "OnDelete" } }, status });
    const crashLooping = onDelete({
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 2,
    });
    expect(decide("auto", "DaemonSet", facts(crashLooping))).toMatch(
      /^evict: DaemonSet\/agent updates OnDelete: evicted one at a time/,
    );
    const behind = onDelete({ desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 });
    expect(decide("auto", "DaemonSet", facts(behind))).toBe(
      "skip: DaemonSet/agent is mid-rollout (2 of 3 updated, 3 available): left alone",
    );
  });

  it("the only replica evicted (GitOps, Recreate, maxSurge 0, paused) says the workload is down meanwhile; rolled, it does not", () => {
    const single = (w: Workload) => ({ ...w, spec: { ...w.spec, replicas: 1 } });
    const down = "Deployment/web has one replica: it is down until its replacement is Ready";
    for (const w of [argo, recreate, surgeless, paused]) {
      expect(
        decide("auto", "Deployment", facts(single(w)))
          .split(" ! ")
          .slice(1),
      ).toEqual([down]);
      expect(decide("auto", "Deployment", facts(w))).not.toContain("one replica");
    }
    expect(decide("auto", "Deployment", facts(single(workload("Deployment"))))).not.toContain("one replica");
  });

  it("a bare ReplicaSet of one replica, its count as listed while gathering, says it is down meanwhile", () => {
    const down = "ReplicaSet/web-7d9c8b has one replica: it is down until its replacement is Ready";
    expect(decide("auto", "ReplicaSet", { ...facts(undefined), replicas: 1 })).toBe(
      `evict: ReplicaSet/web-7d9c8b has no rollout: evicted one at a time ! ${down}`,
    );
    expect(decide("auto", "ReplicaSet", { ...facts(undefined), replicas: 3 })).not.toContain("one replica");
    // Its count unknown (a ReplicationController's is not read): nothing said.
    expect(decide("auto", "ReplicationController", facts(undefined))).not.toContain("one replica");
  });

  it("Helm's generic app.kubernetes.io/instance label proves no GitOps tool: rolled", () => {
    const helm = workload("Deployment", {
      metadata: { labels: { "app.kubernetes.io/instance": "web", "app.kubernetes.io/managed-by": "Helm" } },
    });
    expect(decide("auto", "Deployment", facts(helm))).toMatch(/^rollout: /);
  });

  it("an owner reference that is not the controller's (garbage collection only) manages nothing: rolled", () => {
    const collected = workload("Deployment", {
      metadata: {
        ownerReferences: [{ ...operated.metadata.ownerReferences![0]!, controller: false }],
      },
    });
    expect(decide("auto", "Deployment", facts(collected))).toMatch(/^rollout: /);
  });

  it.each<[string, Workload, string]>([
    [
      "a change its controller has not seen",
      workload("Deployment", { metadata: { generation: 5 } }),
      "its controller has not yet seen its latest change",
    ],
    [
      "old pods still running",
      workload("Deployment", { status: { replicas: 4 } }),
      "1 old pod still running",
    ],
    [
      "too few available",
      workload("Deployment", { status: { availableReplicas: 2 } }),
      "3 of 3 updated, 2 available",
    ],
    [
      "StatefulSet revisions apart",
      workload("StatefulSet", { status: { updatedReplicas: 1, updateRevision: "db-8a" } }),
      "1 of 3 on revision db-8a, 3 ready",
    ],
    [
      "OnDelete StatefulSet with pods not yet deleted",
      workload("StatefulSet", {
        spec: { updateStrategy: { type: "OnDelete" } },
        status: { updatedReplicas: 2, updateRevision: "db-8a" },
      }),
      "2 of 3 on revision db-8a, 3 ready",
    ],
    [
      "StatefulSet with a pod not Ready (under Parallel its controller would delete a Ready one first)",
      workload("StatefulSet", { status: { readyReplicas: 2 } }),
      "3 of 3 on revision db-7f, 2 ready",
    ],
    [
      "StatefulSet with a pod not available, as a server that reports availableReplicas counts",
      workload("StatefulSet", { status: { availableReplicas: 2 } }),
      "3 of 3 on revision db-7f, 2 available",
    ],
    [
      "DaemonSet not yet updated everywhere",
      workload("DaemonSet", { status: { updatedNumberScheduled: 1 } }),
      "1 of 2 updated, 2 available",
    ],
    [
      "paused mid-rollout (someone's change waits)",
      workload("Deployment", { spec: { paused: true }, status: { updatedReplicas: 0 } }),
      "0 of 3 updated, 3 available",
    ],
  ])("mid-rollout: %s", (_, w, progress) => {
    expect(decide("auto", w.kind, facts(w))).toBe(
      `skip: ${w.kind}/${names[w.kind]} is mid-rollout (${progress}): left alone`,
    );
  });
});

describe("the plan: one decision per controller, carried by each of its pods", () => {
  const pod = (
    name: string,
    owner: ControllerRef,
    controller: { kind: string; name: string },
    action: PlanPod["action"] = "delete",
  ): PlanPod => ({
    namespace: "shop",
    name,
    uid: `uid-${name}`,
    node: "n1",
    owner,
    labels: {},
    terminating: false,
    ended: false,
    controller: { ...controller, uid: `uid-${controller.name}` },
    action,
    reason: action === "skip" ? "already terminating" : "",
    warnings:
      action === "delete"
        ? ["imagePullPolicy IfNotPresent on container app: the node may start its cached old image again"]
        : [],
    containers: [],
  });
  const web = { kind: "Deployment", name: "web" };
  const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
  const plan = {
    resolver: "registry" as const,
    pods: [
      pod("web-7d9c8b-a", web, rs),
      pod("web-7d9c8b-b", web, rs),
      pod("web-7d9c8b-c", web, rs, "skip"),
      pod(
        "legacy-x",
        { kind: "ReplicationController", name: "legacy" },
        { kind: "ReplicationController", name: "legacy" },
      ),
    ],
  };

  it("auto: the Deployment's pods carry its rollout, the ReplicationController's pod an eviction; skips stay", () => {
    const decided = decideRestarts(plan, {
      strategy: "auto",
      workloads: new Map([["shop/Deployment/web", workload("Deployment")]]),
      unreadable: new Map(),
      owners: noOwners,
    });
    expect(decided.strategy).toBe("auto");
    expect(decided.pods.map((p) => [p.name, p.action, p.restart?.strategy, p.restart?.controller])).toEqual([
      ["web-7d9c8b-a", "delete", "rollout", web],
      ["web-7d9c8b-b", "delete", "rollout", web],
      ["web-7d9c8b-c", "skip", undefined, undefined],
      ["legacy-x", "delete", "evict", { kind: "ReplicationController", name: "legacy" }],
    ]);
    // The pod's own warnings stay.
    expect(decided.pods[0]!.warnings).toHaveLength(1);
    // One restart for the controller's pods, not one each.
    expect(decided.pods[0]!.restart).toBe(decided.pods[1]!.restart);
  });

  it("where no count is read, the plan's own pods stand for it: of a DaemonSet, the nodes they are on", () => {
    const agent = { kind: "DaemonSet", name: "agent" };
    // Its update's surge: the old pod and the new one on the one node; and a ReplicationController's pods.
    const surging: Plan = {
      resolver: "registry",
      pods: [pod("agent-old", agent, agent), { ...pod("agent-new", agent, agent), action: "none" }],
    };
    const legacy = { kind: "ReplicationController", name: "legacy" };
    const two: Plan = {
      resolver: "registry",
      pods: [pod("legacy-a", legacy, legacy), pod("legacy-b", legacy, legacy)],
    };
    const counted = (plan: Plan) =>
      decideRestarts(plan, {
        strategy: "evict",
        workloads: new Map(),
        unreadable: new Map([["DaemonSet", "forbidden"]]),
        owners: noOwners,
      }).pods[0]!.restart?.replicas;
    expect(counted(surging)).toBe(1);
    expect(counted(two)).toBe(2);
  });

  it("where no count is read, a lone pod listed is warned of, unless a selector or --image left pods out", () => {
    const cache = { kind: "StatefulSet", name: "cache" };
    const agent = { kind: "DaemonSet", name: "agent" };
    const legacy = { kind: "ReplicationController", name: "legacy" };
    const warnings = (owner: { kind: string; name: string }, narrowing: object = {}) =>
      decideRestarts(
        { resolver: "registry", pods: [pod("only", owner, owner)] },
        {
          strategy: "auto",
          workloads: new Map(),
          unreadable: new Map([
            ["StatefulSet", "forbidden"],
            ["DaemonSet", "forbidden"],
          ]),
          owners: noOwners,
          ...narrowing,
        },
      ).pods[0]!.warnings;
    const down = "it is down until its replacement is Ready";
    expect(warnings(cache).at(-1)).toBe(`StatefulSet/cache has one pod running: ${down}`);
    expect(warnings(agent).at(-1)).toBe(`DaemonSet/agent runs on one node: ${down}`);
    expect(warnings(legacy).at(-1)).toBe(`ReplicationController/legacy has one pod running: ${down}`);
    expect(warnings(cache, { narrowed: true }).join("\n")).not.toContain(down);
    expect(warnings(cache, { podsLeftOut: true }).join("\n")).not.toContain(down);
  });

  it("a bare ReplicaSet's replica count comes from the ReplicaSets listed while gathering", () => {
    const solo = { kind: "ReplicaSet", name: "solo-8f" };
    const bare: Plan = { resolver: "registry", pods: [pod("solo-8f-a", solo, solo)] };
    const listed = (replicas: number) =>
      indexOwners([{ ...makeReplicaSet("solo-8f", null, "shop"), spec: { replicas } }]);
    const warningsWith = (owners: OwnerIndex) =>
      decideRestarts(bare, { strategy: "auto", workloads: new Map(), unreadable: new Map(), owners }).pods[0]!
        .warnings;
    expect(warningsWith(listed(1)).at(-1)).toBe(
      "ReplicaSet/solo-8f has one replica: it is down until its replacement is Ready",
    );
    expect(warningsWith(listed(2))).toHaveLength(1);
    // Not listed: its one pod listed stands for its count.
    expect(warningsWith(noOwners).at(-1)).toBe(
      "ReplicaSet/solo-8f has one pod running: it is down until its replacement is Ready",
    );
  });

  it("evicted or deleted, a Deployment of one pod (not read then) says so, by its ReplicaSets' counts", () => {
    const one: Plan = { resolver: "registry", pods: [pod("web-7d9c8b-a", web, rs)] };
    const listed = (replicas: number) =>
      indexOwners([{ ...makeReplicaSet("web-7d9c8b", "web", "shop"), spec: { replicas } }]);
    const warningsWith = (strategy: "evict" | "delete", owners: OwnerIndex) =>
      decideRestarts(one, { strategy, workloads: new Map(), unreadable: new Map(), owners }).pods[0]!
        .warnings;
    const down = "Deployment/web has one replica: it is down until its replacement is Ready";
    expect(warningsWith("evict", listed(1))).toContain(down);
    expect(warningsWith("delete", listed(1))).toContain(down);
    expect(warningsWith("evict", listed(3))).not.toContain(down);
    expect(warningsWith("evict", noOwners)).not.toContain(down);
  });

  it("a skipped controller's pods become skips with its reason, and lose their restart warnings", () => {
    const decided = decideRestarts(plan, {
      strategy: "rollout",
      workloads: new Map([["shop/Deployment/web", workload("Deployment", { spec: { paused: true } })]]),
      unreadable: new Map(),
      owners: noOwners,
    });
    expect(decided.pods.map((p) => [p.name, p.action, p.reason, p.warnings.length])).toEqual([
      [
        "web-7d9c8b-a",
        "skip",
        "Deployment/web is paused: `kubectl rollout resume` it, or use --strategy evict",
        0,
      ],
      [
        "web-7d9c8b-b",
        "skip",
        "Deployment/web is paused: `kubectl rollout resume` it, or use --strategy evict",
        0,
      ],
      ["web-7d9c8b-c", "skip", "already terminating", 0],
      ["legacy-x", "skip", "ReplicationController/legacy has no rollout: use --strategy evict", 0],
    ]);
  });

  it("another group's Deployment over a ReplicaSet is not the apps/v1 one of that name: its ReplicaSet evicts", () => {
    const customPlan = {
      ...plan,
      pods: [
        pod("web-7d9c8b-a", { ...web, apiVersion: "apps.example.io/v1" }, rs),
        pod(
          "api-5f-a",
          { kind: "Deployment", name: "api", apiVersion: "apps/v1" },
          { kind: "ReplicaSet", name: "api-5f" },
        ),
      ],
    };
    expect(workloadsToRead(customPlan, "auto")).toEqual(new Map([["Deployment", new Set(["shop/api"])]]));
    const decided = decideRestarts(customPlan, {
      strategy: "auto",
      workloads: new Map([
        ["shop/Deployment/web", workload("Deployment")],
        ["shop/Deployment/api", workload("Deployment", { metadata: { name: "api" } })],
      ]),
      unreadable: new Map(),
      owners: noOwners,
    });
    expect(decided.pods.map((p) => [p.name, p.restart?.strategy, p.restart?.reason])).toEqual([
      ["web-7d9c8b-a", "evict", "ReplicaSet/web-7d9c8b has no rollout: evicted one at a time"],
      ["api-5f-a", "rollout", "rolling update of Deployment/api's 3 pods, maxSurge 25%, maxUnavailable 25%"],
    ]);
  });

  it("a pod left until the tag moves keeps its controller from rolling (it would come back in vain again): auto evicts", () => {
    const held: PlanPod = {
      ...pod("web-7d9c8b-d", web, rs, "skip"),
      reason: "already restarted for sha256:… and back: left until the tag moves",
      heldByTemplate: true,
    };
    const workloads = new Map([["shop/Deployment/web", workload("Deployment")]]);
    const input = { workloads, unreadable: new Map(), owners: noOwners };
    const withHeld = { ...plan, pods: [...plan.pods, held] };
    const why =
      "Deployment/web's rollout would also replace web-7d9c8b-d, left until the tag moves (a rollout already brought them back on their digest)";
    const auto = decideRestarts(withHeld, { strategy: "auto", ...input });
    expect(auto.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason: `${why}: evicted one at a time`,
    });
    const rollout = decideRestarts(withHeld, { strategy: "rollout", ...input });
    expect(rollout.pods[0]).toMatchObject({ action: "skip", reason: `${why}: use --strategy evict` });
  });

  it("a pod left as its controller's eviction came back keeps it from rolling too: auto evicts", () => {
    const held: PlanPod = {
      ...pod("web-7d9c8b-d", web, rs, "skip"),
      reason: "ReplicaSet/web-7d9c8b restarted a pod for … 12m ago, which came back on the old digest",
      heldBy: { namespace: "shop", controller: { ...rs, uid: "uid-rs" }, restartedFor: "app=a>b", at: 0 },
    };
    const workloads = new Map([["shop/Deployment/web", workload("Deployment")]]);
    const auto = decideRestarts(
      { ...plan, pods: [...plan.pods, held] },
      { strategy: "auto", workloads, unreadable: new Map(), owners: noOwners },
    );
    expect(auto.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason:
        "Deployment/web's rollout would also replace web-7d9c8b-d, left until the tag moves (an eviction of their controller's pods came back on their digest): evicted one at a time",
    });
  });

  it("a pod opted out keeps its controller from rolling (the rollout would replace it too): auto evicts", () => {
    const optedOut: PlanPod = {
      ...pod("web-7d9c8b-d", web, rs, "skip"),
      reason: "opted out with label kubectl-autoupdate/ignore=true",
      optedOut: true,
    };
    const withOptedOut = { ...plan, pods: [...plan.pods, optedOut] };
    const workloads = new Map([["shop/Deployment/web", workload("Deployment")]]);
    const auto = decideRestarts(withOptedOut, {
      strategy: "auto",
      workloads,
      unreadable: new Map(),
      owners: noOwners,
    });
    const why =
      "Deployment/web's rollout would also replace web-7d9c8b-d, opted out with kubectl-autoupdate/ignore=true";
    expect(auto.pods.map((p) => [p.name, p.action, p.restart?.strategy, p.restart?.reason])).toEqual([
      ["web-7d9c8b-a", "delete", "evict", `${why}: evicted one at a time`],
      ["web-7d9c8b-b", "delete", "evict", `${why}: evicted one at a time`],
      ["web-7d9c8b-c", "skip", undefined, undefined],
      ["legacy-x", "delete", "evict", "ReplicationController/legacy has no rollout: evicted one at a time"],
      ["web-7d9c8b-d", "skip", undefined, undefined],
    ]);
    const rollout = decideRestarts(withOptedOut, {
      strategy: "rollout",
      workloads,
      unreadable: new Map(),
      owners: noOwners,
    });
    expect(rollout.pods[0]).toMatchObject({ action: "skip", reason: `${why}: use --strategy evict` });
    // Another controller's opted-out pod changes nothing here.
    const elsewhere = { ...optedOut, controller: { kind: "ReplicaSet", name: "api-5f", uid: "u" } };
    const other = decideRestarts(
      { ...plan, pods: [...plan.pods, { ...elsewhere, owner: { kind: "Deployment", name: "api" } }] },
      { strategy: "auto", workloads, unreadable: new Map(), owners: noOwners },
    );
    expect(other.pods[0]!.restart?.strategy).toBe("rollout");
    // Nor does one already terminating, as apply's check before the patch leaves it out too.
    const going = { ...optedOut, terminating: true };
    const past = decideRestarts(
      { ...plan, pods: [...plan.pods, going] },
      { strategy: "auto", workloads, unreadable: new Map(), owners: noOwners },
    );
    expect(past.pods[0]!.restart?.strategy).toBe("rollout");
  });

  it("a pod left for a container with no image to run keeps its controller from rolling: auto evicts the others", () => {
    const base = pod("web-7d9c8b-d", web, rs, "skip");
    const unstartable: PlanPod = {
      ...base,
      reason:
        "container side (side:main): the tag no longer has an image for linux/s390x, so a new pod could not start it",
      containers: [
        ...base.containers,
        { ...base.containers[0]!, name: "side", status: "unknown", noImageToRun: true },
      ],
    };
    const workloads = new Map([["shop/Deployment/web", workload("Deployment")]]);
    const input = { workloads, unreadable: new Map(), owners: noOwners };
    const withIt = { ...plan, pods: [...plan.pods, unstartable] };
    const why =
      "Deployment/web's rollout would also replace web-7d9c8b-d, whose new pods could not start (a container with no image to run)";
    const auto = decideRestarts(withIt, { strategy: "auto", ...input });
    expect(auto.pods[0]!.restart).toMatchObject({
      strategy: "evict",
      reason: `${why}: evicted one at a time`,
    });
    const rollout = decideRestarts(withIt, { strategy: "rollout", ...input });
    expect(rollout.pods[0]).toMatchObject({ action: "skip", reason: `${why}: use --strategy evict` });
  });
});
