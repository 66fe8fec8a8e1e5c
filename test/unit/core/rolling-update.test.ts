/**
 * Whether a rolling update stops every pod (core/rolling-update.ts), its settings resolved as each
 * controller resolves them: a Deployment's maxSurge rounded up and maxUnavailable down, a DaemonSet's both
 * up, a StatefulSet's maxUnavailable down but at least 1.
 */
import { describe, expect, it } from "vitest";
import {
  rollingUpdateStopsEveryPod,
  rolloutSurges,
  rolloutTakesDown,
} from "../../../src/core/rolling-update.js";
import type { IntOrPercent, Workload } from "../../../src/core/workload.js";

type Settings = { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };

const deployment = (
  replicas: number | undefined,
  rollingUpdate?: Settings,
  type = "RollingUpdate",
): Workload => ({
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { replicas, strategy: { type, ...(rollingUpdate ? { rollingUpdate } : {}) } },
});
const statefulSet = (
  replicas: number,
  rollingUpdate: { partition?: number; maxUnavailable?: IntOrPercent } = {},
  type = "RollingUpdate",
): Workload => ({
  kind: "StatefulSet",
  metadata: { name: "db" },
  spec: { replicas, updateStrategy: { type, rollingUpdate } },
});
const daemonSet = (nodes: number, rollingUpdate?: Settings): Workload => ({
  kind: "DaemonSet",
  metadata: { name: "agent" },
  spec: { updateStrategy: { type: "RollingUpdate", ...(rollingUpdate ? { rollingUpdate } : {}) } },
  status: { desiredNumberScheduled: nodes },
});

describe("rollingUpdateStopsEveryPod", () => {
  it.each<[string, Workload, string | null]>([
    ["Deployment, defaults (25%, 25%) and one replica: surges first", deployment(1), null],
    ["Deployment, the replica count left to its default of 1", deployment(undefined), null],
    [
      "Deployment, one replica, maxSurge 0 (a ReadWriteOnce volume)",
      deployment(1, { maxSurge: 0, maxUnavailable: 1 }),
      "maxSurge 0, maxUnavailable 1 of 1 replica",
    ],
    [
      "Deployment, maxSurge 0, maxUnavailable 100%",
      deployment(3, { maxSurge: 0, maxUnavailable: "100%" }),
      "maxSurge 0, maxUnavailable 100% of 3 replicas",
    ],
    [
      "Deployment, maxUnavailable 99% of 3 rounds down to 2",
      deployment(3, { maxSurge: 0, maxUnavailable: "99%" }),
      null,
    ],
    [
      "Deployment, maxUnavailable above the replicas",
      deployment(2, { maxSurge: 0, maxUnavailable: 5 }),
      "maxSurge 0, maxUnavailable 5 of 2 replicas",
    ],
    [
      "Deployment, a surge: the old pods go before the new one is Ready",
      deployment(3, { maxSurge: 1, maxUnavailable: 3 }),
      "maxSurge 1, maxUnavailable 3 of 3 replicas",
    ],
    [
      "Deployment, both resolved to 0: its controller takes one unavailable",
      deployment(1, { maxSurge: 0, maxUnavailable: "10%" }),
      "maxSurge 0, maxUnavailable 10% of 1 replica",
    ],
    ["Deployment, maxSurge 1% rounds up to 1", deployment(1, { maxSurge: "1%", maxUnavailable: 0 }), null],
    ["Deployment, half of two unavailable", deployment(2, { maxSurge: 0, maxUnavailable: "50%" }), null],
    ["Recreate, judged on its own", deployment(1, undefined, "Recreate"), null],
    [
      "StatefulSet of one replica: deleted before its replacement is made",
      statefulSet(1),
      "its one replica is deleted before its replacement is made",
    ],
    [
      "StatefulSet of one replica, maxUnavailable 1 as newer API servers fill in",
      statefulSet(1, { maxUnavailable: 1 }),
      "its one replica is deleted before its replacement is made",
    ],
    ["StatefulSet of three, one at a time", statefulSet(3), null],
    [
      "StatefulSet, maxUnavailable 100%",
      statefulSet(3, { maxUnavailable: "100%" }),
      "maxUnavailable 100% of 3 replicas",
    ],
    [
      "StatefulSet, maxUnavailable 50% of 3 rounds down to 1",
      statefulSet(3, { maxUnavailable: "50%" }),
      null,
    ],
    [
      "StatefulSet, a partition keeps the pods below it",
      statefulSet(2, { partition: 1, maxUnavailable: 2 }),
      null,
    ],
    ["StatefulSet, OnDelete", statefulSet(1, {}, "OnDelete"), null],
    [
      "DaemonSet on one node: its only pod stops before its replacement is made",
      daemonSet(1),
      "maxSurge 0, maxUnavailable 1 of 1 node",
    ],
    [
      "DaemonSet on one node with a surge: the new pod starts first",
      daemonSet(1, { maxSurge: 1, maxUnavailable: 0 }),
      null,
    ],
    ["DaemonSet on no node: nothing to stop", daemonSet(0), null],
    ["DaemonSet, defaults (maxUnavailable 1) on three nodes", daemonSet(3), null],
    [
      "DaemonSet, maxUnavailable 100% on three nodes",
      daemonSet(3, { maxUnavailable: "100%" }),
      "maxSurge 0, maxUnavailable 100% of 3 nodes",
    ],
    [
      "DaemonSet, maxUnavailable 67% of 3 rounds up to 3",
      daemonSet(3, { maxSurge: 0, maxUnavailable: "67%" }),
      "maxSurge 0, maxUnavailable 67% of 3 nodes",
    ],
    ["DaemonSet, maxUnavailable 34% of 3 rounds up to 2", daemonSet(3, { maxUnavailable: "34%" }), null],
    [
      "DaemonSet, a surge starts each node's new pod first",
      daemonSet(3, { maxSurge: "10%", maxUnavailable: 0 }),
      null,
    ],
  ])("%s", (_, w, expected) => {
    expect(rollingUpdateStopsEveryPod(w)).toBe(expected);
  });
});

describe("rolloutTakesDown: the Ready pods a rollout may take out of service at once", () => {
  it.each<[string, Workload, number]>([
    ["Deployment, defaults, 4 replicas: 25% rounded down", deployment(4), 1],
    ["Deployment, defaults, 3 replicas: none (a surge of 1)", deployment(3), 0],
    [
      "Deployment, maxSurge 0 and maxUnavailable 0: the controller takes one",
      deployment(3, { maxSurge: 0, maxUnavailable: 0 }),
      1,
    ],
    ["Deployment, maxUnavailable 50% of 10", deployment(10, { maxUnavailable: "50%" }), 5],
    ["Deployment, Recreate: every replica", deployment(5, undefined, "Recreate"), 5],
    ["Deployment, a value the API would refuse: every replica", deployment(5, { maxUnavailable: "x" }), 5],
    ["StatefulSet, one at a time", statefulSet(3), 1],
    ["StatefulSet, maxUnavailable 2", statefulSet(5, { maxUnavailable: 2 }), 2],
    [
      "StatefulSet, maxUnavailable 2, partition 4 of 5: only the last pod rolls",
      statefulSet(5, { maxUnavailable: 2, partition: 4 }),
      1,
    ],
    ["DaemonSet, defaults: one node at a time", daemonSet(10), 1],
    ["DaemonSet, maxSurge 1: none", daemonSet(10, { maxSurge: 1, maxUnavailable: 0 }), 0],
  ])("%s", (_, workload, down) => {
    expect(rolloutTakesDown(workload)).toBe(down);
  });
});

describe("rolloutSurges: the pods a rollout may run beside the old ones", () => {
  it.each<[string, Workload, number]>([
    ["Deployment, defaults, 3 replicas: 25% rounded up", deployment(3), 1],
    ["Deployment, maxSurge 50% of 10", deployment(10, { maxSurge: "50%" }), 5],
    ["Deployment, maxSurge 0", deployment(4, { maxSurge: 0, maxUnavailable: 1 }), 0],
    ["Deployment, Recreate: none", deployment(5, undefined, "Recreate"), 0],
    ["Deployment, a value the API would refuse: every replica", deployment(5, { maxSurge: "x" }), 5],
    ["StatefulSet: none", statefulSet(3), 0],
    ["DaemonSet, defaults: none", daemonSet(10), 0],
    ["DaemonSet, maxSurge 20% of 10 nodes", daemonSet(10, { maxSurge: "20%", maxUnavailable: 0 }), 2],
  ])("%s", (_, workload, surges) => {
    expect(rolloutSurges(workload)).toBe(surges);
  });
});
