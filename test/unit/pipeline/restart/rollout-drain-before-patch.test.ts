/**
 * A partitioned StatefulSet, settled (every pod on a revision), is planned for a rollout. Between apply's
 * list of its pods and its patch, a drain starts on db-0: the controller's status write (db-0 off its
 * revision) makes the patch a Conflict. The retry that patches again at once, on a status-only change, must
 * not decide on the count of pods terminating its list made before the drain.
 */
import { expect, it } from "vitest";
import type { Workload } from "../../../../src/core/workload.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { decidedPlan, runRestart } from "../../../support/restart.js";

it("a drain that starts before the patch (a status-only Conflict) stops the rollout", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const planned = cluster.addController({
    kind: "StatefulSet",
    name: "db",
    replicas: 3,
    partition: 2,
    strategy: "rollout",
  });
  let rv = 100;
  let drained = false;
  // db-0 and db-1 below the partition on the current revision, db-2 on the update revision.
  const workload = (): Workload => ({
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "shop", uid: "uid-db", generation: 1, resourceVersion: String(rv) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "db" } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
    },
    status: {
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentRevision: "db-a",
      updateRevision: "db-b",
      // A terminating pod counts on no revision (the controller's status).
      currentReplicas: drained ? 1 : 2,
      updatedReplicas: 1,
    },
  });
  const patches: string[] = [];
  const api = new Proxy(cluster, {
    get(target, prop) {
      if (prop === "getWorkload") return async () => workload();
      if (prop === "listWorkloads") return async () => [workload()];
      if (prop === "patchRestartedAt")
        return async (_k: string, _ns: string, _name: string, resourceVersion: string) => {
          patches.push(resourceVersion);
          if (patches.length === 1) {
            // The drain began after the pods were listed: db-0 terminating, the status written.
            cluster.setTerminating("db-0");
            drained = true;
            rv++;
            return { kind: "conflict", reason: "Error from server (Conflict): the object has been modified" };
          }
          return { kind: "patched", generation: 2 };
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as InMemoryCluster;

  const plan = await decidedPlan(
    api,
    planned.filter((p) => p.name === "db-2"),
    "rollout",
  );
  const db2 = plan.pods.find((p) => p.name === "db-2")!;
  expect(db2.restart?.strategy).toBe("rollout");
  const { reported } = await runRestart(clock, api, [db2], { strategy: "rollout", wait: false });
  // Not patched while db-0 terminates: one patch (the Conflict) only, and left as mid-rollout.
  expect({ patches, reported }).toEqual({
    patches: ["100"],
    reported: expect.arrayContaining([expect.stringMatching(/mid-rollout/)]),
  });
});
