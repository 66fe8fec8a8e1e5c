/**
 * A controller's minReadySeconds under evict and delete: a replacement counts once it has been Ready that
 * long, as the controller itself counts it available, so a new image that passes its probe and crashes
 * soon after does not take the next pod down.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

function web(strategy: "evict" | "delete") {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 30 });
  const calls = () => (strategy === "evict" ? cluster.evictions() : cluster.deletions());
  return { clock, cluster, pods, calls };
}

const at = (call: string | undefined) => Number(call?.split(" ")[0]);

describe.each(["evict", "delete"] as const)("--strategy %s, minReadySeconds 30", (strategy) => {
  it("the next pod goes once the last replacement has been Ready for 30 s, not when it turns Ready", async () => {
    const { clock, cluster, pods, calls } = web(strategy);
    const { problems } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 300_000 });
    expect(problems).toEqual([]);
    const [first, second, third] = calls().map(at);
    // Ready 3 s after it was made, available 30 s later.
    expect(first).toBe(0);
    expect(second).toBeGreaterThanOrEqual(33_000);
    expect(second).toBeLessThan(35_000);
    expect(third! - second!).toBeGreaterThanOrEqual(33_000);
    expect(cluster.lowestReady("web")).toBe(2);
  });

  it("a replacement that turns Ready and fails 10 s later stops the run: one pod gone, not all three", async () => {
    const { clock, cluster, pods, calls } = web(strategy);
    // The first replacement (web-3) is Ready at 3 s and crashes at 13 s.
    clock.at(clock.now() + 13_000, () => cluster.setUnready("web-3"));
    const { problems, reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    expect(calls()).toHaveLength(1);
    expect(problems.map((p) => p.reason)).toEqual([
      "ReplicaSet/web did not have 3 pods Ready for 30 s (minReadySeconds) within the wait timeout",
    ]);
    expect(reported.filter((line) => line.includes("not-started"))).toHaveLength(2);
    expect(cluster.readyPods("web")).toBe(2);
  });
});
