/**
 * What each strategy reports as restarted — the record an Event is made from: one per evicted or deleted pod,
 * on the controller that recreates it; one per patched workload, on the workload with its UID; each after its
 * replacement was checked (or why it was not); nothing for what was not restarted, nor in a dry run.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest, oldDigest } from "../../../support/in-memory-cluster.js";
import { restartLine, runRestart } from "../../../support/restart.js";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

describe("evictions and deletions: one record per pod, on the controller that recreates it", () => {
  it("each evicted pod, once its replacement is Ready on the new image", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 2, strategy: "evict" });
    const { restarted } = await runRestart(clock, cluster, pods);
    expect(restarted.map(restartLine)).toEqual([
      "evict db-0 on StatefulSet/db (uid-db): up",
      "evict db-1 on StatefulSet/db (uid-db): up",
    ]);
    expect(restarted.map((r) => r.pods.map((p) => p.name))).toEqual([["db-0"], ["db-1"]]);
  });

  it("a Deployment's evicted pod is recorded on its ReplicaSet, which recreates it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "evict" });
    const { restarted } = await runRestart(clock, cluster, pods);
    expect(restarted.map(restartLine)).toEqual(["evict web-r1-0 on ReplicaSet/web-r1 (uid-web-r1): up"]);
  });

  it("a replacement back on the old digest: a problem on that pod's record, and the spared pod has none", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 2,
      strategy: "evict",
      replacementDigest: oldDigest,
      pullPolicy: "IfNotPresent",
    });
    const { restarted } = await runRestart(clock, cluster, pods);
    expect(restarted.map(restartLine)).toEqual([
      "evict web-0 on ReplicaSet/web (uid-web): problem: the replacement of web-0 runs the old digest again (container app: the node started its cached image (imagePullPolicy IfNotPresent))",
    ]);
    // What the eviction was for, for its Event: the next runs leave the ReplicaSet's stale pods.
    expect(restarted[0]!.replacement).toMatchObject({ restartedFor: `app=${oldDigest}>${newDigest}` });
  });

  it("the last pod's replacement not Ready in time: a problem", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      name: "web",
      replicas: 1,
      strategy: "delete",
      readyAfterMs: Number.POSITIVE_INFINITY,
    });
    const startedAt = clock.now();
    const { restarted } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 5000 });
    expect(restarted.map(restartLine)).toEqual([
      "delete web-0 on ReplicaSet/web (uid-web): problem: ReplicaSet/web did not have 1 ready pod within the wait timeout",
    ]);
    // What it was for, for the pods made since, as for one not checked: a replacement that comes up on the
    // old digest after the run is held by the next; one on the new digest is current, and older pods go on.
    expect(restarted[0]!.replacement).toMatchObject({ restartedFor: `app=${oldDigest}>${newDigest}` });
    expect(restarted[0]!.replacement).toHaveProperty("restartedAt", startedAt);
  });

  it("--no-wait: recorded as not checked", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "delete" });
    const { restarted, unchecked } = await runRestart(clock, cluster, pods, { wait: false });
    expect(restarted.map(restartLine)).toEqual([
      "delete web-0 on ReplicaSet/web (uid-web): unchecked (--no-wait)",
      "delete web-1 on ReplicaSet/web (uid-web): unchecked (--no-wait)",
    ]);
    // So the run's summary says they only started.
    expect([...unchecked].map(([p, why]) => `${p.name}: ${why}`)).toEqual([
      "web-0: --no-wait",
      "web-1: --no-wait",
    ]);
    // What each was for, and when: the next runs tell a replacement back on the old digest by it.
    expect(restarted[0]!.replacement).toEqual({
      kind: "unchecked",
      why: "--no-wait",
      restartedFor: `app=${oldDigest}>${newDigest}`,
      restartedAt: Date.parse("2026-11-30T12:00:00Z"),
    });
  });

  it("interrupted while waiting for the replacement: unchecked, with when the pod went (before the wait)", async () => {
    const { clock, cluster } = setup();
    const abort = new AbortController();
    clock.at(clock.now() + 2500, () => abort.abort());
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict", readyAfterMs: 10_000 });
    const { restarted } = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(restarted.map((r) => r.replacement)).toEqual([
      {
        kind: "unchecked",
        why: "interrupted",
        restartedFor: `app=${oldDigest}>${newDigest}`,
        restartedAt: Date.parse("2026-11-30T12:00:00Z"),
      },
    ]);
  });

  it("a pod a budget kept from being evicted is no restart: no record", async () => {
    const { clock, cluster } = setup();
    cluster.setBudget("guard", "web", 0);
    const pods = cluster.addController({ name: "web", replicas: 1, strategy: "evict" });
    const { restarted, reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 3000 });
    expect(reported[0]).toMatch(/^web-0 not-started: PodDisruptionBudget guard allows no disruption now/);
    expect(restarted).toEqual([]);
  });
});

describe("rollouts: one record per patched workload, with the workload's UID", () => {
  it("followed to the end: up, naming every planned pod", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    const { restarted } = await runRestart(clock, cluster, pods);
    expect(restarted.map(restartLine)).toEqual(["rollout 3 pods on Deployment/web (uid-web): up"]);
    expect(restarted[0]!.pod).toBeUndefined();
  });

  it("patched, then the controller gave up (ProgressDeadlineExceeded): a problem", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 2,
      strategy: "rollout",
      progressDeadlineMs: 6000,
    });
    const { restarted } = await runRestart(clock, cluster, pods);
    expect(restarted.map(restartLine)).toEqual([
      'rollout 2 pods on Deployment/web (uid-web): problem: Deployment/web: ProgressDeadlineExceeded: ReplicaSet "web-r2" has timed out progressing.',
    ]);
  });

  it("--no-wait and Ctrl-C after the patch: not checked", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" });
    const { restarted } = await runRestart(clock, cluster, pods, { wait: false });
    expect(restarted.map(restartLine)).toEqual([
      "rollout 1 pods on Deployment/web (uid-web): unchecked (--no-wait)",
    ]);

    const second = setup();
    const abort = new AbortController();
    second.clock.at(second.clock.now() + 2500, () => abort.abort());
    const more = second.cluster.addController({
      kind: "Deployment",
      name: "api",
      replicas: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      strategy: "rollout",
    });
    const interrupted = await runRestart(second.clock, second.cluster, more, { signal: abort.signal });
    expect(interrupted.restarted.map(restartLine)).toEqual([
      "rollout 2 pods on Deployment/api (uid-api): unchecked (interrupted while the rollout was in progress)",
    ]);
  });

  it("nothing patched (paused since the plan, a Conflict): no record", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.edit("web", { paused: true });
    expect((await runRestart(clock, cluster, pods, { strategy: "rollout" })).restarted).toEqual([]);

    const second = setup();
    const api = second.cluster.addController({
      kind: "Deployment",
      name: "api",
      replicas: 1,
      strategy: "rollout",
    });
    second.cluster.conflictsOnPatch = 100;
    expect((await runRestart(second.clock, second.cluster, api)).restarted).toEqual([]);
  });
});

describe("a dry run restarts nothing", () => {
  it.each(["rollout", "evict", "delete"] as const)("%s: no record", async (strategy) => {
    const { clock, cluster } = setup();
    const kind = strategy === "rollout" ? "Deployment" : "StatefulSet";
    const pods = cluster.addController({ kind, name: "web", replicas: 2, strategy });
    const { restarted, outcomes } = await runRestart(clock, cluster, pods, { dryRun: true });
    expect([...outcomes.values()].length).toBe(2);
    expect(restarted).toEqual([]);
  });
});
