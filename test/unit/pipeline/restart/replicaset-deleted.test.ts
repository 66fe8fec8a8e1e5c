/**
 * An evicted Deployment pod's ReplicaSet deleted while apply waits for its replacement: someone else's
 * rollout left it at 0, and with `revisionHistoryLimit: 0` the controller deletes it. It wants no pod then,
 * as one scaled to 0: the wait ends as for a scale-down, not in a timeout.
 */
import { expect, it } from "vitest";
import type { Workload } from "../../../../src/core/workload.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

/** ReplicaSet `replicaSet` of Deployment `name` is not found once the Deployment's second rollout is done. */
function deletedOnceRolled(cluster: InMemoryCluster, name: string, replicaSet: string): void {
  const getWorkload = cluster.getWorkload.bind(cluster);
  const rolled = async () => {
    const w = (await getWorkload("Deployment", "shop", name)) as Workload;
    const s = w.status ?? {};
    const replicas = w.spec.replicas ?? 1;
    return (
      (w.metadata.generation ?? 0) >= 2 &&
      (s.observedGeneration ?? 0) >= (w.metadata.generation ?? 0) &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.availableReplicas === replicas
    );
  };
  const getObject = cluster.getObject.bind(cluster);
  cluster.getObject = async <T>(resource: string, object: string, namespace: string) =>
    object === replicaSet && (await rolled()) ? null : getObject<T>(resource, object, namespace);
  const listReplicaSets = cluster.listReplicaSets.bind(cluster);
  cluster.listReplicaSets = async (namespace, selector) => {
    const all = await listReplicaSets(namespace, selector);
    return (await rolled()) ? all.filter((rs) => rs.metadata.name !== replicaSet) : all;
  };
}

it("the wait for its replacement ends as with the ReplicaSet scaled to 0: no timeout, no problem, no pod left", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "evict" });
  deletedOnceRolled(cluster, "web", "web-r1");
  // 1 s after the first eviction someone rolls the Deployment out (kubectl set image, a GitOps sync).
  clock.at(clock.now() + 1000, () => void cluster.rollOutElsewhere("web"));
  const { reported, problems } = await runRestart(clock, cluster, pods, { strategy: "evict" });
  expect(problems).toEqual([]);
  expect(reported).toEqual(["web-r1-0 evicted", "web-r1-1 gone"]);
});
