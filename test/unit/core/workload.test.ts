/**
 * Following a rollout as `kubectl rollout status` does (core/workload.ts rolloutStatus); which of the pods
 * its selector matches a workload owns (ownedPods).
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/core/k8s.js";
import { ownedPods, rolloutStatus, type Workload } from "../../../src/core/workload.js";

const deployment = (status: NonNullable<Workload["status"]>): Workload => ({
  kind: "Deployment",
  metadata: { name: "web", generation: 5 },
  spec: { replicas: 3 },
  status,
});
const statefulSet = (status: NonNullable<Workload["status"]>, partition = 0): Workload => ({
  kind: "StatefulSet",
  metadata: { name: "db", generation: 5 },
  spec: { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition } } },
  status,
});
const daemonSet = (status: NonNullable<Workload["status"]>): Workload => ({
  kind: "DaemonSet",
  metadata: { name: "agent", generation: 5 },
  spec: {},
  status,
});
const settled = {
  observedGeneration: 5,
  replicas: 3,
  updatedReplicas: 3,
  readyReplicas: 3,
  availableReplicas: 3,
};

describe("rolloutStatus, as kubectl rollout status judges", () => {
  it.each<[string, Workload, string]>([
    [
      "the controller has not seen the patch",
      deployment({ ...settled, observedGeneration: 4 }),
      "waiting: waiting for the controller to see the change",
    ],
    [
      "new replicas being created",
      deployment({ ...settled, updatedReplicas: 1, replicas: 4 }),
      "waiting: 1 of 3 new replicas updated",
    ],
    [
      "old replicas still terminating",
      deployment({ ...settled, replicas: 4 }),
      "waiting: 1 old replicas pending termination",
    ],
    [
      "new replicas not yet available",
      deployment({ ...settled, availableReplicas: 2 }),
      "waiting: 2 of 3 updated replicas available",
    ],
    [
      "past its progress deadline",
      deployment({
        ...settled,
        updatedReplicas: 1,
        conditions: [
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: 'ReplicaSet "web-5d" has timed out progressing.',
          },
        ],
      }),
      'failed: ProgressDeadlineExceeded: ReplicaSet "web-5d" has timed out progressing.',
    ],
    ["Deployment done", deployment(settled), "done"],
    [
      "paused during its rollout (kubectl rollout pause)",
      { ...deployment({ ...settled, updatedReplicas: 1, replicas: 4 }), spec: { replicas: 3, paused: true } },
      "failed: paused during its rollout (1 of 3 new replicas updated): kubectl rollout resume it to go on",
    ],
    ["paused once done", { ...deployment(settled), spec: { replicas: 3, paused: true } }, "done"],
    [
      "paused with only its new pods' availability to come (no step of the controller's left)",
      { ...deployment({ ...settled, availableReplicas: 2 }), spec: { replicas: 3, paused: true } },
      "waiting: 2 of 3 updated replicas available",
    ],
    [
      "StatefulSet pods not ready",
      statefulSet({ ...settled, readyReplicas: 2, currentRevision: "a", updateRevision: "b" }),
      "waiting: 2 of 3 pods ready",
    ],
    [
      "StatefulSet revisions apart",
      statefulSet({ ...settled, updatedReplicas: 2, currentRevision: "a", updateRevision: "b" }),
      "waiting: 2 of 3 pods on revision b",
    ],
    [
      "StatefulSet partitioned, its share rolled",
      statefulSet({ ...settled, updatedReplicas: 1, currentRevision: "a", updateRevision: "b" }, 2),
      "done",
    ],
    [
      "StatefulSet partitioned, its share not yet",
      statefulSet({ ...settled, updatedReplicas: 0, currentRevision: "a", updateRevision: "b" }, 2),
      "waiting: 0 of 1 pods updated",
    ],
    ["StatefulSet done", statefulSet({ ...settled, currentRevision: "b", updateRevision: "b" }), "done"],
    [
      "StatefulSet on one revision, every pod Ready, the last not yet for minReadySeconds (kubernetes#136831)",
      statefulSet({ ...settled, availableReplicas: 2, currentRevision: "b", updateRevision: "b" }),
      "waiting: 2 of 3 pods available",
    ],
    [
      "DaemonSet pods not yet updated",
      daemonSet({
        observedGeneration: 5,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 1,
        numberAvailable: 2,
      }),
      "waiting: 1 of 2 updated pods scheduled",
    ],
    [
      "DaemonSet pods not yet available",
      daemonSet({
        observedGeneration: 5,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: 1,
      }),
      "waiting: 1 of 2 updated pods available",
    ],
    [
      "DaemonSet done",
      daemonSet({
        observedGeneration: 5,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: 2,
      }),
      "done",
    ],
  ])("%s", (_, w, expected) => {
    const status = rolloutStatus(w, 5);
    const text =
      status.state === "done"
        ? "done"
        : status.state === "waiting"
          ? `waiting: ${status.progress}`
          : `failed: ${status.reason}`;
    expect(text).toBe(expected);
  });
});

describe("ownedPods: what the selector matched, less another workload's pods", () => {
  const controlledBy = (uid: string) => [{ kind: "", name: "", uid, controller: true }];
  const pod = (name: string, controllerUid: string) =>
    ({ metadata: { name, ownerReferences: controlledBy(controllerUid) }, spec: { containers: [] } }) as Pod;
  const replicaSet = (uid: string, deploymentUid: string) => ({
    metadata: { name: uid, uid, ownerReferences: controlledBy(deploymentUid) },
  });
  const names = (pods: Pod[]) => pods.map((p) => p.metadata.name);

  it("a Deployment's, through the ReplicaSets it controls, old and new", () => {
    const web: Workload = { kind: "Deployment", metadata: { name: "web", uid: "web" }, spec: {} };
    const pods = [pod("web-a", "rs-1"), pod("web-b", "rs-2"), pod("canary", "rs-canary"), pod("bare", "web")];
    const replicaSets = [
      replicaSet("rs-1", "web"),
      replicaSet("rs-2", "web"),
      replicaSet("rs-canary", "canary"),
    ];
    expect(names(ownedPods(web, pods, replicaSets))).toEqual(["web-a", "web-b"]);
  });

  it("a StatefulSet's or DaemonSet's, controlled by it", () => {
    const db: Workload = { kind: "StatefulSet", metadata: { name: "db", uid: "db" }, spec: {} };
    expect(names(ownedPods(db, [pod("db-0", "db"), pod("db-legacy-x", "rs-legacy")], []))).toEqual(["db-0"]);
  });

  it("all of them when the workload's UID is not known", () => {
    const agent: Workload = { kind: "DaemonSet", metadata: { name: "agent" }, spec: {} };
    expect(names(ownedPods(agent, [pod("agent-a", "x"), pod("other", "y")], []))).toEqual([
      "agent-a",
      "other",
    ]);
  });
});
