/**
 * A controller's minReadySeconds under evict and delete: a replacement counts once it has been Ready that
 * long, as the controller itself counts it available, so a new image that passes its probe and crashes
 * soon after does not take the next pod down.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, oldDigest } from "../../../support/in-memory-cluster.js";
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

/** web-2 alone serving (web-0 crash-looping, web-1 lost and replaced by web-2 a moment ago), web-2 stale. */
async function scenario(strategy: "evict" | "delete", minReadySeconds: number) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const planned = cluster.addController({
    name: "web",
    replicas: 2,
    strategy,
    minReadySeconds,
    // its replacement starts the node's cached old image: stale too
    replacementDigest: oldDigest,
    pullPolicy: "IfNotPresent",
  });
  // web-1 is lost (its kubelet evicted it): web-2 is made, Ready 3 s later.
  cluster.setFailed("web-1");
  await clock.advance(5_000);
  // web-0 starts crash-looping: web-2 is the only pod serving.
  cluster.setUnready("web-0");
  await clock.advance(5_000);
  expect(cluster.readyPods("web")).toBe(1);
  const template = planned[0]!;
  const web2 = { ...template, name: "web-2", uid: "uid-web-2-2", node: "node-2" };
  const result = await runRestart(clock, cluster, [web2], { waitTimeoutMs: 60_000 });
  return { cluster, ...result };
}

describe.each(["evict", "delete"] as const)(
  "--strategy %s: a pod Ready for less than minReadySeconds is serving",
  (strategy) => {
    it("without minReadySeconds the only serving pod is held while web-0 is not Ready", async () => {
      const { cluster, reported } = await scenario(strategy, 0);
      expect(reported[0]).toMatch(/web-2 not-started: ReplicaSet\/web has 1 pod not Ready \(web-0\)/);
      expect(cluster.lowestReady("web")).toBe(1);
    });

    it("with minReadySeconds 60 the only serving pod (Ready for 7 s) must still be held", async () => {
      const { cluster, reported } = await scenario(strategy, 60);
      expect(cluster.lowestReady("web")).toBe(1);
      expect(reported[0]).toMatch(/web-2 not-started/);
    });
  },
);

describe("pods Ready for less than minReadySeconds", () => {
  it("a pod crash-looping for an hour is not described as 'not Ready for 30 s'", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict", minReadySeconds: 30 });
    cluster.setUnready("web-2");
    await clock.advance(3_600_000);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(reported[0]).toBe(
      "web-0 not-started: ReplicaSet/web has 1 pod not Ready (web-2): restarting a Ready one now would leave it shorter",
    );
  });

  it("a pod an autoscaler added 10 s ago (Ready, not yet 60 s) is waited for, not a reason to leave the workload", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict", minReadySeconds: 60 });
    cluster.scaleTo("web", 4, 1000);
    await clock.advance(10_000);
    const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 300_000 });
    expect(reported.filter((l) => l.includes("not-started"))).toEqual([]);
  });
});

/** The cluster's clock, `skewMs` behind the one apply reads. */
function serverClock(clock: FakeClock, skewMs: number): FakeClock {
  return {
    now: () => clock.now() - skewMs,
    at: (at: number, run: () => void) => clock.at(at + skewMs, run),
    elapsed: () => clock.elapsed(),
    sleep: (ms: number, signal: AbortSignal) => clock.sleep(ms, signal),
  } as unknown as FakeClock;
}

describe.each(["evict", "delete"] as const)("--strategy %s, minReadySeconds 30", (strategy) => {
  it("local clock 2 min ahead of the cluster: a replacement that crashes 10 s after Ready still stops the run", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(serverClock(clock, 120_000));
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 30 });
    // web-3 (web-0's replacement) is Ready at 3 s and crashes at 13 s.
    clock.at(clock.now() + 13_000, () => cluster.setUnready("web-3"));
    await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    const calls = strategy === "evict" ? cluster.evictions() : cluster.deletions();
    expect(calls).toHaveLength(1);
  });

  it("--wait-timeout 60s under minReadySeconds 120: a healthy replacement is not reported as a problem", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 120 });
    const { problems, reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    expect(problems.map((p) => p.reason)).toEqual([]);
    expect(reported.filter((l) => l.includes("not-started"))).toEqual([]);
  });
});
