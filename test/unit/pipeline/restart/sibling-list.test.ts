/**
 * A Deployment caught mid-rollout has pods in two ReplicaSets, and its evicted pods are counted against both.
 * When the first list of its ReplicaSets fails, its pods are left, as when its controller cannot be read:
 * without the other ReplicaSet, that one's pods not Ready (a rollout that never came up) could not hold them.
 */
import { expect, it } from "vitest";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

it("a first list of the ReplicaSets that fails leaves the workload's pods, saying why: another's could not hold them", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const spec = { kind: "Deployment", name: "web", replicas: 4, maxSurge: 1, maxUnavailable: 0 } as const;
  const planned = cluster.addController({ ...spec, strategy: "evict" });
  // Someone's rollout, paused once web-r2 has 2 pods: web-r1 keeps 3, web-r2 has 2, all Ready.
  const restart = { restartedAt: "2026-11-30T11:00:00Z", restartedFor: null };
  await clock.run(cluster.patchRestartedAt("Deployment", "shop", "web", "100", restart, false));
  clock.at(clock.now() + 3600, () => cluster.edit("web", { paused: true }));
  await clock.advance(10_000);
  const live = await cluster.listPodsBySelector("shop", "app=web");
  expect(live.map((pod) => pod.metadata.name)).toEqual([
    "web-r1-1",
    "web-r1-2",
    "web-r1-3",
    "web-r2-4",
    "web-r2-5",
  ]);
  cluster.failReplicaSetList(1);
  const stale = planned.filter((pod) => live.some((p) => p.metadata.uid === pod.uid)).slice(0, 2);
  const { reported } = await runRestart(clock, cluster, stale);
  expect(reported).toEqual(
    stale.map(
      (pod) => `${pod.name} not-started: kubectl get failed: the server was unable to return a response`,
    ),
  );
  expect(cluster.evictions()).toEqual([]);
});
