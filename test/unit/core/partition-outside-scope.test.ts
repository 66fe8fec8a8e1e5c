/**
 * A StatefulSet with a partition, under -l: a selected pod below the partition, which its rollout leaves
 * alone, does not count as one the rollout covers, or a pod above it outside the selection, never judged,
 * would be rolled.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { digestOf, makePod } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const resolution: Resolution = {
  tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
  manifests: new Map([singleManifest(OLD), singleManifest(NEW)]),
};

it("auto evicts db-2 when db-3 (above the partition, outside -l) would be rolled unjudged", () => {
  // 4 replicas, partition 2: db-0 and db-1 kept back, db-2 and db-3 roll. -l selected db-0 and db-2.
  const db: Workload = {
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "default", generation: 3 },
    spec: { replicas: 4, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
    status: {
      observedGeneration: 3,
      replicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
      currentReplicas: 2,
      updatedReplicas: 2,
      currentRevision: "db-6f7c9",
      updateRevision: "db-8d2e1",
    },
  };
  const pod = (name: string, digest: string) =>
    makePod({
      name,
      owner: { kind: "StatefulSet", name: "db" },
      containers: [{ name: "db", image: "nginx:latest", runningDigest: digest }],
    });
  const owners = indexOwners([]);
  const decided = decidePlan({
    resolver: "registry",
    pods: [pod("db-0", NEW), pod("db-2", OLD)],
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  const plan = decideRestarts(decided, {
    strategy: "auto",
    owners,
    workloads: new Map([["default/StatefulSet/db", db]]),
    unreadable: new Map(),
    narrowed: true,
  });
  const db2 = plan.pods.find((p) => p.name === "db-2")!;
  expect(db2.action).toBe("delete");
  expect(db2.restart).toMatchObject({
    strategy: "evict",
    reason:
      "StatefulSet/db's rollout would also replace its 1 pod outside the selection, which this plan did not judge: evicted one at a time",
  });
});
