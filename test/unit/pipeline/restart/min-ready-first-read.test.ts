/**
 * Under minReadySeconds, pods already Ready when the run starts are timed by their Ready conditions, the
 * API server's clock, checked against their controllers' statuses (Ready but not yet available): with this
 * machine's clock ahead of the cluster's, such a pod must still hold the next one until it has been Ready
 * for minReadySeconds, whichever of a Deployment's ReplicaSets it belongs to, and whatever pods terminate.
 */
import { describe, expect, it } from "vitest";
import { FakeClock, serverClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

describe.each(["evict", "delete"] as const)(
  "--strategy %s, Deployment mid-rollout, minReadySeconds 60",
  (strategy) => {
    it.each([0, 120_000])(
      "clock %i ms ahead: the new ReplicaSet's pod, Ready 10 s before the run, holds the old ReplicaSet's pods",
      async (skewMs) => {
        const clock = new FakeClock();
        const cluster = new InMemoryCluster(serverClock(clock, skewMs));
        const pods = cluster.addController({
          kind: "Deployment",
          name: "web",
          replicas: 3,
          maxSurge: 1,
          maxUnavailable: 0,
          strategy,
          minReadySeconds: 60,
          readyAfterMs: 1000,
        });
        // Someone's rollout: its first new pod is made at 0.5 s and Ready at 1.5 s. The Deployment controller
        // waits for it to be available (60 s) before it takes an old pod down: held here by a pause.
        await cluster.rollOutElsewhere("web");
        await clock.advance(1200);
        cluster.edit("web", { paused: true });
        await clock.advance(10_300);
        const names = (await cluster.listPodsBySelector("shop", "app=web")).map((p) => p.metadata.name);
        expect(names).toHaveLength(4);
        expect(cluster.readyPods("web")).toBe(4);
        const started = clock.now();
        await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
        const [first] = (strategy === "evict" ? cluster.evictions() : cluster.deletions()).map(
          (line) => Number(line.split(" ")[0]) + Date.parse("2026-11-30T12:00:00Z") - started,
        );
        // The new pod is available only ~50 s after the run starts: no old pod goes before.
        expect(first).toBeGreaterThanOrEqual(49_000);
      },
    );
  },
);

describe.each(["evict", "delete"] as const)("--strategy %s, minReadySeconds 60", (strategy) => {
  it.each([0, 120_000])(
    "clock %i ms ahead: a pod Ready 10 s before the run holds the next one, though a newer Ready pod is terminating",
    async (skewMs) => {
      const clock = new FakeClock();
      const cluster = new InMemoryCluster(serverClock(clock, skewMs));
      const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 60 });
      // An autoscaler adds web-3 (Ready at 1 s), then web-4 (Ready at 6 s), then scales back down to 4: the
      // ReplicaSet deletes its newest pod, web-4, which terminates (still Ready) through its grace period.
      cluster.scaleTo("web", 4, 1000);
      await clock.advance(5000);
      cluster.scaleTo("web", 5, 1000);
      await clock.advance(6000);
      cluster.edit("web", { replicas: 4 });
      cluster.setTerminating("web-4");
      const started = clock.now();
      await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
      const [first] = (strategy === "evict" ? cluster.evictions() : cluster.deletions()).map(
        (line) => Number(line.split(" ")[0]) + Date.parse("2026-11-30T12:00:00Z") - started,
      );
      // web-3 is available (Ready 60 s) only ~50 s after the run starts: web-0 must not go before.
      expect(first).toBeGreaterThanOrEqual(49_000);
    },
  );
});
