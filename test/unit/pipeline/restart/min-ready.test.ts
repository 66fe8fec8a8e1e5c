/**
 * A controller's minReadySeconds under evict and delete: a replacement counts once it has been Ready that
 * long, as the controller itself counts it available, so a new image that passes its probe and crashes
 * soon after does not take the next pod down.
 */
import { describe, expect, it } from "vitest";
import { FakeClock, serverClock } from "../../../support/fake-clock.js";
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

  it("local clock 2 min ahead of the cluster: a pod an autoscaler made Ready 10 s before the run still holds the next one", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(serverClock(clock, 120_000));
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 60 });
    // web-3: Ready at 1 s by the cluster's clock; its condition reads 2 min old here.
    cluster.scaleTo("web", 4, 1000);
    await clock.advance(11_000);
    const started = clock.now();
    await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
    const [first] = (strategy === "evict" ? cluster.evictions() : cluster.deletions()).map(
      (line) => Number(line.split(" ")[0]) + Date.parse("2026-11-30T12:00:00Z") - started,
    );
    // The cluster's status counts it Ready but not yet available: it is timed from the run's start.
    expect(first).toBeGreaterThanOrEqual(50_000);
  });

  it("the same, where no read saw the replacement not Ready (no watch, a list behind): it stops the run", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(serverClock(clock, 120_000));
    // Every read lists (no `watch` right), and a list shows the replacement only a poll after it is made.
    cluster.watchable = false;
    cluster.listLagMs = 1000;
    const pods = cluster.addController({
      name: "web",
      replicas: 3,
      strategy,
      minReadySeconds: 30,
      readyAfterMs: 500,
    });
    // web-3 (web-0's replacement) is Ready at 0.5 s, first read Ready, and crashes at 10 s.
    clock.at(clock.now() + 10_000, () => cluster.setUnready("web-3"));
    await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    const calls = strategy === "evict" ? cluster.evictions() : cluster.deletions();
    expect(calls).toHaveLength(1);
  });

  it("--wait-timeout 60s under minReadySeconds 120: a pod an autoscaler made Ready 10 s ago is waited for too", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 120 });
    // web-3, Ready at 1 s, settles at ~121 s: after --wait-timeout, within the minReadySeconds it adds.
    cluster.scaleTo("web", 4, 1000);
    await clock.advance(11_000);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 60_000 });
    expect(reported).toEqual([`web-0 ${strategy === "evict" ? "evicted" : "deleted"}`]);
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

/** What a wait for settling pods, a budget's refusal or a sibling's restart between two reads leaves true. */
describe.each(["evict", "delete"] as const)("--strategy %s", (strategy) => {
  it("a pod opted out while apply waits for a settling sibling is left", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 60 });
    // An autoscaler adds web-3 (Ready 1 s later); apply starts 10 s after: web-3 settles at ~61 s.
    cluster.scaleTo("web", 4, 1000);
    await clock.advance(10_000);
    // 20 s into the wait for web-3 to settle, web-0 is opted out.
    clock.at(clock.now() + 20_000, () => cluster.labelPod("web-0", { "kubectl-autoupdate/ignore": "true" }));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
    expect(reported[0]).toBe("web-0 not-started: opted out since the plan (kubectl-autoupdate/ignore=true)");
  });
});

describe("--strategy delete", () => {
  it("a budget that allows no disruption by the time the settle wait ends is honoured", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "delete", minReadySeconds: 60 });
    cluster.setBudget("web-pdb", "web", 1);
    cluster.scaleTo("web", 4, 1000);
    await clock.advance(10_000);
    // While apply waits for web-3 to settle, the budget stops allowing disruptions (another disruption
    // elsewhere under the same budget, an admin tightening it).
    clock.at(clock.now() + 20_000, () => cluster.setBudget("web-pdb", "web", 0));
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
    expect(cluster.deletions()).toEqual([]);
    expect(reported[0]).toMatch(/web-0 not-started: PodDisruptionBudget web-pdb allows no disruption now/);
  });
});

describe.each(["evict", "delete"] as const)("--strategy %s", (strategy) => {
  it("the pod itself settling is not waited for: a sibling settling within --wait-timeout is", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 60 });
    // An autoscaler adds web-3 (Ready at 1 s, available at 61 s).
    cluster.scaleTo("web", 4, 1000);
    // web-0 restarts in place: Ready again at 50 s, available at 110 s.
    await clock.advance(49_000);
    cluster.setUnready("web-0");
    await clock.advance(1_000);
    cluster.setReady("web-0");
    await clock.advance(5_000);
    // At 55 s, --wait-timeout 30 s: web-3 settles at 61 s, well within it; web-0 itself holds nothing.
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 30_000 });
    expect(reported[0]).toMatch(/^web-0 (evicted|deleted)$/);
  });

  it("a pod settling itself is still moved behind a later crash-looping pod", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy, minReadySeconds: 30 });
    // web-2 crash-loops (the new image fixes it); web-0 restarted in place 5 s ago and is Ready again.
    cluster.setUnready("web-2");
    cluster.setUnready("web-0");
    await clock.advance(1_000);
    cluster.setReady("web-0");
    await clock.advance(5_000);
    const { reported } = await runRestart(clock, cluster, [pods[0]!, pods[2]!], { waitTimeoutMs: 300_000 });
    expect(reported.filter((l) => l.includes("not-started"))).toEqual([]);
  });
});

it("--strategy evict: a pod scaled up during the budget wait is waited for, not a reason to leave", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict", minReadySeconds: 30 });
  cluster.setBudget("web-pdb", "web", 0);
  clock.at(clock.now() + 2_000, () => cluster.scaleTo("web", 4, 1000));
  clock.at(clock.now() + 5_000, () => cluster.setBudget("web-pdb", "web", 1));
  const { reported } = await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
  expect(reported[0]).toBe("web-0 evicted");
});

it("--strategy evict: a sibling that flapped during the budget backoff holds the pod for minReadySeconds", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict", minReadySeconds: 30 });
  // The budget refuses at first; apply retries at 1, 3, 7, 15, 25 s.
  cluster.setBudget("web-pdb", "web", 0);
  clock.at(clock.now() + 20_000, () => cluster.setBudget("web-pdb", "web", 1));
  // web-1 restarts (liveness) between the reads at 7 s and 15 s: NotReady at 8 s, Ready again at 9 s.
  clock.at(clock.now() + 8_000, () => cluster.setUnready("web-1"));
  clock.at(clock.now() + 9_000, () => cluster.setReady("web-1"));
  await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 300_000 });
  const evicted = cluster
    .evictions()
    .filter((l) => l.endsWith("201"))
    .map((l) => Number(l.split(" ")[0]));
  // web-1 is available again from 39 s: web-0 must not go before.
  expect(evicted.every((t) => t >= 39_000)).toBe(true);
});

it("--strategy delete: a sibling that flapped while apply waited on the budget gate holds the pod", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ name: "web", replicas: 3, strategy: "delete", minReadySeconds: 30 });
  // web-0 goes first (replaced by web-3, available at ~33 s); then web-1 waits on the gate until 60 s.
  clock.at(clock.now() + 20_000, () => cluster.setBudget("web-pdb", "web", 0));
  clock.at(clock.now() + 60_000, () => cluster.setBudget("web-pdb", "web", 1));
  // web-2 restarts during that wait: Ready again at 41 s, available from 71 s.
  clock.at(clock.now() + 40_000, () => cluster.setUnready("web-2"));
  clock.at(clock.now() + 41_000, () => cluster.setReady("web-2"));
  await runRestart(clock, cluster, pods.slice(0, 2), { waitTimeoutMs: 300_000 });
  const deleted = cluster.deletions().map((l) => [Number(l.split(" ")[0]), l.split(" ")[2]]);
  expect(deleted[0]).toEqual([0, "shop/web-0"]);
  // Not while web-2 has been Ready for less than 30 s.
  expect(deleted.slice(1).every(([t]) => (t as number) >= 71_000)).toBe(true);
});

describe("a watch that holds its stream back once the replacement is Ready (a proxy)", () => {
  it("its verdict is read again by a list: a replacement that crashed meanwhile stops the run", async () => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 3, strategy: "evict", minReadySeconds: 5 });
    // The watch brings changes until the replacement is Ready (3 s), then stays open and silent.
    const start = clock.now();
    const watch = cluster.watchPodsBySelector.bind(cluster);
    cluster.watchPodsBySelector = (query, onChange, signal) =>
      watch(query, (change) => (clock.now() - start <= 3000 ? onChange(change) : undefined), signal);
    // The replacement crashes at 6 s, before its minReadySeconds are up, and stays not Ready.
    clock.at(start + 6000, () => cluster.setUnready("web-3"));
    const { problems } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 120_000 });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(problems).toHaveLength(1);
    expect(cluster.lowestReady("web")).toBe(2);
    // Overturned, the wait goes back to its watch: a list every 10 quiet polls, not one at each of ~120.
    expect(cluster.calls.filter((call) => / list pods /.test(call)).length).toBeLessThan(20);
  });

  /** ReplicaSet web of 2 under evict, its watch open from the start and bringing nothing. */
  const silencedWeb = (readyAfterMs: number, minReadySeconds: number) => {
    const clock = new FakeClock();
    const cluster = new InMemoryCluster(clock);
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      readyAfterMs,
      minReadySeconds,
    });
    const watch = cluster.watchPodsBySelector.bind(cluster);
    cluster.watchPodsBySelector = (query, _onChange, signal) => watch(query, () => {}, signal);
    return { clock, cluster, pods };
  };

  it("the first read after the list that started it is no fresher: a replacement crashed since holds the next pod", async () => {
    const { clock, cluster, pods } = silencedWeb(3000, 12);
    // web-0's replacement crashes at 21.5 s, just after a list (the watch quiet for 10 polls) and before
    // its minReadySeconds are up at 22 s.
    clock.at(clock.now() + 21_500, () => cluster.setUnready("web-2"));
    const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 60_000 });
    expect(cluster.evictions()).toEqual(["0 evict shop/web-0 → 201"]);
    expect(cluster.lowestReady("web")).toBe(1);
    expect(reported).toContain("web-0 evicted");
  });

  it("a pod waited for until it settles is read by a list after the wait: one that crashed meanwhile holds the pod", async () => {
    const { clock, cluster, pods } = silencedWeb(1000, 20);
    // An autoscaler added web-2 just before the run: Ready, for 20 s more not available.
    cluster.scaleTo("web", 3, 0);
    await clock.advance(1000);
    clock.at(clock.now() + 10_000, () => cluster.setUnready("web-2"));
    await runRestart(clock, cluster, pods.slice(0, 1), { waitTimeoutMs: 60_000 });
    expect(cluster.evictions()).toEqual([]);
  });
});
