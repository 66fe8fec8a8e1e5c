/**
 * The waits after a restart, where the list lags the cluster: a successor not listed yet is no replacement
 * checked, and an old pod still terminating after a rollout is no verdict on it.
 */
import { describe, expect, it } from "vitest";
import type { PodWithConditions } from "../../../../src/core/readiness.js";
import { oldDigestAfterRollout } from "../../../../src/pipeline/restart/replacement.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest, oldDigest } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

describe("the wait for a replacement needs a new Ready pod", () => {
  it("a not-Ready pod whose successor is not listed yet: its replacement is still checked on the new digest", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
    });
    cluster.setUnready("web-0");
    // The successor shows up in lists 2 s after the deletion (a StatefulSet's comes only once the old pod
    // is gone; a ReplicaSet's controller lags): before that the list holds no new pod at all.
    const list = cluster.listPodsBySelector.bind(cluster);
    let deletedAt: number | null = null;
    const del = cluster.deletePod.bind(cluster);
    cluster.deletePod = async (...args) => {
      deletedAt ??= clock.now();
      return del(...args);
    };
    cluster.listPodsBySelector = async (ns, selector) => {
      const all = await list(ns, selector);
      if (deletedAt === null || clock.now() - deletedAt >= 2000) return all;
      return all.filter((p) => p.metadata.name === "web-1");
    };
    const { problems } = await runRestart(clock, cluster, pods.slice(0, 1), { strategy: "delete" });
    expect(problems.map((p) => p.reason)).toEqual([
      expect.stringContaining("the replacement of web-0 runs the old digest again"),
    ]);
  });
});

describe("after a rollout, terminating pods are no verdict", () => {
  it("an old pod still terminating on the old digest does not fail the rollout", () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const planned = cluster.addController({ name: "web", replicas: 1 });
    const terminating: PodWithConditions = {
      metadata: { name: "web-old", uid: "u1", deletionTimestamp: "2026-11-30T12:00:00Z" },
      spec: { containers: [{ name: "app", image: "registry.test/shop/web:main" }] },
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            image: "registry.test/shop/web:main",
            imageID: `registry.test/shop/web@${oldDigest}`,
          },
        ],
      },
    };
    const fresh = structuredClone(terminating);
    fresh.metadata = { name: "web-new", uid: "u2" };
    fresh.status!.containerStatuses![0]!.imageID = `registry.test/shop/web@${newDigest}`;
    expect(oldDigestAfterRollout(planned, [terminating, fresh])).toBeNull();
  });
});
