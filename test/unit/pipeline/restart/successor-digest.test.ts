/**
 * A StatefulSet's or DaemonSet's successor of an evicted pod is known exactly (its name, its node): only it
 * says what the restart came back on. A pod the controller made meanwhile for another reason (a scale-up, a
 * node that joined) that starts a node's cached old image is no verdict on this restart, nor a reason to hold
 * the controller's other stale pods until the tag moves.
 */
import { expect, it } from "vitest";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, oldDigest } from "../../../support/in-memory-cluster.js";
import { restartLine, runRestart } from "../../../support/restart.js";

it.each(["StatefulSet", "DaemonSet"] as const)(
  "%s: its pod's successor up on the new digest is up, whatever another new pod on the old image runs",
  async (kind) => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const spec = { kind, name: "db", replicas: 2, strategy: "evict", updateStrategy: "OnDelete" } as const;
    const pods = cluster.addController({ ...spec, pullPolicy: "IfNotPresent" });
    // While db-0's successor starts, one more pod (db-2; the DaemonSet's on node-2, which joined), which
    // starts its node's cached old image.
    clock.at(clock.now() + 500, () => cluster.scaleTo("db", 3, 100));
    clock.at(clock.now() + 550, async () => {
      const pods = await cluster.listPodsBySelector("shop", "app=db");
      const added = pods.find((pod) =>
        kind === "StatefulSet" ? pod.metadata.name === "db-2" : pod.spec?.nodeName === "node-2",
      );
      cluster.restartContainers(added!.metadata.name, oldDigest);
    });
    const { reported, restarted } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(reported).toEqual(["db-0 evicted"]);
    expect(restarted.map(restartLine)).toEqual([`evict db-0 on ${kind}/db (uid-db): up`]);
  },
);
