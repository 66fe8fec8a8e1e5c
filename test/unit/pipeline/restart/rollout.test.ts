/**
 * The rollout strategy on an in-memory cluster and a fake clock: one patch per controller, followed as
 * `kubectl rollout status` follows it, its pods checked for the old digest; dry run, --no-wait, Ctrl-C.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../../src/adapters/kubectl-errors.js";
import type { Pod } from "../../../../src/core/k8s.js";
import { type PlanPod, staleLeftByWorkload } from "../../../../src/core/plan.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { makeChalk } from "../../../../src/output/color.js";
import { describeRollout, renderRestartSummary, runSummary } from "../../../../src/output/restart-report.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest, oldDigest } from "../../../support/in-memory-cluster.js";
import { decidedPlan, runRestart, surgingWeb } from "../../../support/restart.js";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

/** Deployment web of 2 pods, rolled, whose new pods start their node's cached old image (IfNotPresent). */
function onCachedOldImage(cluster: InMemoryCluster): PlanPod[] {
  return cluster.addController({
    kind: "Deployment",
    name: "web",
    replicas: 2,
    strategy: "rollout",
    replacementDigest: oldDigest,
    pullPolicy: "IfNotPresent",
  });
}

/** The workload is deleted 1 s from now (its pods are left to the test); when. */
function deletedSoon(clock: FakeClock, cluster: InMemoryCluster): number {
  const deletedAt = clock.now() + 1000;
  const get = cluster.getWorkload.bind(cluster);
  cluster.getWorkload = async (kind, namespace, name) =>
    clock.now() >= deletedAt ? null : get(kind, namespace, name);
  return deletedAt;
}

/** Deployment/web's rollout failed for `reason`, and each of its planned `pods` with it, none replaced. */
function expectNotReplaced(record: Awaited<ReturnType<typeof runRestart>>, pods: PlanPod[], reason: string) {
  expect(record.reported).toEqual([`Deployment/web failed: ${reason}`]);
  expect([...record.outcomes.values()]).toEqual(pods.map(() => ({ kind: "failed", reason })));
  expect(runSummary({ resolver: "registry", pods }, record, false)).toMatchObject({
    rolledOut: 0,
    failed: pods.length,
  });
}

/**
 * Once patched, the workload reads as written back and observed (one generation more, the old ReplicaSet
 * current again: its rollout done), as after a GitOps tool's sync or `kubectl rollout undo`. Whether patched.
 */
function writtenBackAfterPatch(cluster: InMemoryCluster): () => boolean {
  const patched = patchSeen(cluster);
  const get = cluster.getWorkload.bind(cluster);
  cluster.getWorkload = async (kind, namespace, name) => {
    const w = await get(kind, namespace, name);
    if (!w || !patched()) return w;
    const generation = (w.metadata.generation ?? 0) + 1;
    return {
      ...w,
      metadata: { ...w.metadata, generation },
      status: { ...w.status, observedGeneration: generation },
    };
  };
  return patched;
}

/**
 * Whether the cluster has been asked to patch a workload yet, for a fake that changes what it answers after.
 */
function patchSeen(cluster: InMemoryCluster): () => boolean {
  let patched = false;
  const patch = cluster.patchRestartedAt.bind(cluster);
  cluster.patchRestartedAt = async (...args) => {
    patched = true;
    return patch(...args);
  };
  return () => patched;
}

describe("one rollout per controller", () => {
  it("rolled again for the same digest from another old one: the record keeps the earlier move too", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    const other = `sha256:${"2".repeat(64)}`;
    // Pods an earlier rollout made for newDigest, come back on another node's cached digest.
    const carried = pods.map((p) => ({
      ...p,
      restartedBefore: `app=${oldDigest}>${newDigest}`,
      containers: p.containers.map((c) => ({ ...c, runningDigest: other })),
    }));
    for (const pod of pods) cluster.restartContainers(pod.name, other);
    await runRestart(clock, cluster, carried);
    expect(cluster.restartedFor.get("shop/web")).toBe(
      `app=${oldDigest}>${newDigest},app=${other}>${newDigest}`,
    );
  });

  it("a pod opted out since the plan, or outside its selection (-l): not rolled, it would replace that pod", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    const ignored = pods[2]!.name;
    cluster.labelPod(ignored, { "kubectl-autoupdate/ignore": "true" });
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2), { strategy: "auto" });
    expect(cluster.patches()).toEqual([]);
    expect(reported).toEqual([
      `Deployment/web not-started: changed since the plan: Deployment/web's rollout would also replace ${ignored}, opted out with kubectl-autoupdate/ignore=true; left for the next run`,
    ]);
  });

  it("a pod opted out that has ended (evicted by its kubelet, lingering): rolled, as the plan counts it", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    const ended = pods[2]!.name;
    cluster.labelPod(ended, { "kubectl-autoupdate/ignore": "true" });
    cluster.setFailed(ended);
    // Its controller's new pod is Ready, the workload whole again.
    await clock.advance(5000);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 2), { strategy: "auto" });
    expect(cluster.patches()).toHaveLength(1);
    expect(reported).toEqual([expect.stringMatching(/^Deployment\/web rolled-out/)]);
  });

  it("its planned pods all gone since the plan (someone rolled it meanwhile): not rolled again, and no failure", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    const gone = pods.map((p) => ({ ...p, name: `${p.name}-old`, uid: `${p.uid}-old` }));
    const { reported, outcomes, restarted } = await runRestart(clock, cluster, gone);
    expect(cluster.patches()).toEqual([]);
    expect(reported).toEqual(["Deployment/web replaced"]);
    // As an eviction's 404 says it: the pod is no longer there to restart.
    expect([...outcomes.values()]).toEqual([{ kind: "gone" }, { kind: "gone" }]);
    expect(restarted).toEqual([]);
  });

  it("a planned pod taken out of it since the plan (relabelled to debug it): not rolled with it, and not gone", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    const released = pods[0]!;
    cluster.releasePod(released.name);
    await clock.advance(5000);
    const record = await runRestart(clock, cluster, pods);
    // Still there under its UID, on the old digest, which the rollout does not replace.
    expect((await cluster.readPod("shop", released.name))?.metadata.uid).toBe(released.uid);
    expect(record.outcomes.get(released)).toEqual({
      kind: "not-started",
      reason: "no longer owned by ReplicaSet/web-r1 since the plan: nothing would recreate it",
    });
    const summary = runSummary({ resolver: "registry", pods }, record, false);
    expect(summary.gone).toBe(0);
    // Rolled, with a planned pod left on the old digest: failed, as an evicted workload's would be.
    expect(summary.controllers).toEqual([
      expect.objectContaining({
        outcome: "failed",
        reason: "web-r1-0: no longer owned by ReplicaSet/web-r1 since the plan: nothing would recreate it",
      }),
    ]);
    // Named in a line of its own: the rollout's line speaks for the pods it replaced.
    expect(record.reported).toContain(
      "web-r1-0 not-started: no longer owned by ReplicaSet/web-r1 since the plan: nothing would recreate it",
    );
  });

  it("a pod taken out of it, and the rollout cut short by Ctrl-C: failed, naming the pod beside the progress", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    cluster.releasePod(pods[0]!.name);
    await clock.advance(5000);
    const stop = new AbortController();
    clock.at(clock.now() + 2500, () => stop.abort());
    const record = await runRestart(clock, cluster, pods, { signal: stop.signal });
    expect(record.rollouts.map((r) => r.outcome.kind)).toEqual(["in-progress"]);
    expect(runSummary({ resolver: "registry", pods }, record, false).controllers).toEqual([
      expect.objectContaining({
        outcome: "failed",
        reason: expect.stringMatching(
          /^\d of 2 new replicas updated; web-r1-0: no longer owned by ReplicaSet\/web-r1 since the plan/,
        ),
      }),
    ]);
  });

  it("its only planned pod taken out of it since the plan: not rolled, and not said to be replaced", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.releasePod(pods[0]!.name);
    const { reported } = await runRestart(clock, cluster, pods.slice(0, 1));
    expect(cluster.patches()).toEqual([]);
    expect(reported).toEqual([
      "web-r1-0 not-started: no longer owned by ReplicaSet/web-r1 since the plan: nothing would recreate it",
      "Deployment/web not-started: its planned pod web-r1-0 is no longer its own",
    ]);
  });

  it("a StatefulSet's planned pods replaced under the same names: each replaced since the plan, as an eviction's 409 says", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 2, strategy: "rollout" });
    const older = pods.map((p) => ({ ...p, uid: `${p.uid}-older` }));
    const { outcomes, rollouts } = await runRestart(clock, cluster, older);
    expect(cluster.patches()).toEqual([]);
    expect([...outcomes.values()]).toEqual([{ kind: "replaced" }, { kind: "replaced" }]);
    expect(rollouts.map((r) => r.outcome)).toEqual([{ kind: "replaced", gone: [] }]);
  });

  it("patches the template once however many pods are stale, follows the rollout, checks the new pods", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 3,
      maxSurge: 1,
      maxUnavailable: 0,
      strategy: "rollout",
    });
    const { reported, problems, rollouts } = await runRestart(clock, cluster, pods);
    expect(cluster.patches()).toEqual(["0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z"]);
    // What it is for, in the template: the new pods carry it, and plan leaves them if they come back old.
    expect(cluster.restartedFor.get("shop/web")).toBe(`app=${oldDigest}>${newDigest}`);
    // Seen 0.5 s after the patch; three pods one after another, 3 s each; read every second while it moves,
    // then 2 s later while it stands still: its end is seen at 11 s.
    expect(clock.elapsed()).toBe(11_000);
    expect(reported).toEqual(["Deployment/web rolled-out 3"]);
    expect(problems).toEqual([]);
    expect(rollouts).toHaveLength(1);
    expect(Object.values(cluster.digests("web"))).toEqual([newDigest, newDigest, newDigest]);
    // Never fewer than 3 Ready: maxUnavailable 0.
    expect(cluster.lowestReady("web")).toBe(3);
  });

  it("waits for the controller to see the change before trusting its counters", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 1,
      maxSurge: 1,
      maxUnavailable: 0,
      strategy: "rollout",
      observeAfterMs: 2500,
    });
    await runRestart(clock, cluster, pods);
    // Before 2.5 s its status still shows the old, complete rollout; it is not taken for this one. While
    // nothing moves, each read waits twice as long as the one before.
    const gets = cluster.calls.filter((c) => c.includes("get Deployment"));
    expect(gets.map((c) => Number(c.split(" ")[0]))).toEqual([0, 0, 2000, 6000]);
    expect(clock.elapsed()).toBe(6000);
  });

  it("StatefulSets and DaemonSets roll too, one pod at a time", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3, strategy: "rollout" }),
      ...cluster.addController({ kind: "DaemonSet", name: "agent", replicas: 2, strategy: "rollout" }),
    ];
    const { reported } = await runRestart(clock, cluster, pods);
    expect(reported.sort()).toEqual(["DaemonSet/agent rolled-out 2", "StatefulSet/db rolled-out 3"]);
    expect(cluster.patches()).toHaveLength(2);
    expect(Object.values(cluster.digests("db"))).toEqual([newDigest, newDigest, newDigest]);
    expect(cluster.lowestReady("db")).toBe(2);
    expect(cluster.lowestReady("agent")).toBe(1);
  });
});

describe("a rollout that does not end well is reported", () => {
  it("ProgressDeadlineExceeded: the controller gave up; reported as such, no wait for the timeout", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 2,
      strategy: "rollout",
      progressDeadlineMs: 6000,
    });
    const { reported, problems, outcomes } = await runRestart(clock, cluster, pods);
    const reason = 'Deployment/web: ProgressDeadlineExceeded: ReplicaSet "web-r2" has timed out progressing.';
    expect(reported).toEqual([`Deployment/web failed: ${reason}`]);
    expect(problems.map((p) => p.reason)).toEqual([reason]);
    // Not replaced: the controller is still at it.
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["in-progress", "in-progress"]);
    // Seen at the first read after the deadline (reads standing still back off).
    expect(clock.elapsed()).toBe(9000);
    // The old pods keep serving: the new ones never became Ready.
    expect(cluster.lowestReady("web")).toBe(2);
  });

  // Reads back off while nothing moves; the last one is still at the deadline, not a backed-off read past it.
  it.each([5000, 12_000, 300_000])(
    "a rollout still going at --wait-timeout (%i ms) is reported then with its progress, and what the kubelet says",
    async (waitTimeoutMs) => {
      const { clock, cluster } = setup();
      const pods = cluster.addController({
        kind: "Deployment",
        name: "web",
        replicas: 1,
        maxSurge: 1,
        maxUnavailable: 0,
        strategy: "rollout",
        readyAfterMs: Number.POSITIVE_INFINITY,
        waitingReason: "ImagePullBackOff",
      });
      const { reported, outcomes } = await runRestart(clock, cluster, pods, { waitTimeoutMs });
      expect(reported).toEqual([
        "Deployment/web failed: the rollout did not finish within the wait timeout (1 old replicas pending termination) (web-r2-1's app ImagePullBackOff)",
      ]);
      expect([...outcomes.values()].map((o) => o.kind)).toEqual(["in-progress"]);
      expect(clock.elapsed()).toBe(waitTimeoutMs);
    },
  );

  it("new pods on the old digest after the rollout (a node's cached image) are reported", async () => {
    const { clock, cluster } = setup();
    const pods = onCachedOldImage(cluster);
    const { reported, problems, outcomes } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual([
      "Deployment/web failed: pod web-r2-2 runs the old digest (container app: the node started its cached image (imagePullPolicy IfNotPresent))",
    ]);
    expect(problems).toHaveLength(1);
    // The pods were replaced, just not as planned.
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["rolled", "rolled"]);
  });

  it("a new pod on the old digest a pod the plan left runs (held, opted out) is reported, and held next time", async () => {
    const { clock, cluster } = setup();
    const [left, planned] = onCachedOldImage(cluster);
    // The planned pod runs an older image still; the one left runs the digest the new pods start.
    const older = `sha256:${"4".repeat(64)}`;
    const onOlder = {
      ...planned!,
      containers: planned!.containers.map((container) => ({ ...container, runningDigest: older })),
    };
    cluster.restartContainers(planned!.name, older);
    const staleLeft = staleLeftByWorkload({ resolver: "registry", pods: [{ ...left!, action: "skip" }] });
    const { reported } = await runRestart(clock, cluster, [onOlder], { staleLeft });
    expect(reported).toEqual([
      expect.stringMatching(/^Deployment\/web failed: pod web-r2-\d runs the old digest/),
    ]);
    // The template names that move too, so the next plan holds such a pod rather than rolling again.
    expect([...cluster.restartedFor.values()].map((value) => value?.split(","))).toEqual([
      [`app=${oldDigest}>${newDigest}`, `app=${older}>${newDigest}`],
    ]);
  });
});

describe("the list of its pods after a rollout that is done, for the old-digest check", () => {
  /** surgingWeb, whose pod lists after the patch fail with `error`, `times` times. */
  function failingAfterPatch(error: Error, times: number) {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    const patched = patchSeen(cluster);
    const list = cluster.listPodsBySelector.bind(cluster);
    let failed = 0;
    cluster.listPodsBySelector = async (namespace, selector, onVersion) => {
      if (patched() && failed < times) {
        failed++;
        throw error;
      }
      return list(namespace, selector, onVersion);
    };
    return { clock, cluster, pods };
  }

  it("failed once (an API server's timeout), is asked again at the next poll: the rollout is checked, not failed", async () => {
    const timedOut = new ToolFailedError("kubectl get failed: etcdserver: request timed out");
    const { clock, cluster, pods } = failingAfterPatch(timedOut, 1);
    const { reported, problems, restarted } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual(["Deployment/web rolled-out 2"]);
    expect(problems).toEqual([]);
    expect(restarted.map((r) => r.replacement)).toEqual([{ kind: "up" }]);
  });

  it("failing until the rollout's wait ends: rolled out, not checked, within that one wait", async () => {
    const timedOut = new ToolFailedError("kubectl get failed: etcdserver: request timed out");
    const { clock, cluster, pods } = failingAfterPatch(timedOut, Number.POSITIVE_INFINITY);
    const { problems, restarted } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 20_000 });
    expect(problems).toEqual([]);
    expect(restarted.map((r) => r.replacement)).toEqual([
      { kind: "unchecked", why: `its pods could not be listed: ${timedOut.message}` },
    ]);
    expect(clock.elapsed()).toBeLessThanOrEqual(21_000);
  });

  it("the cluster out of reach for a moment (an API server restarting): ridden out, as the rollout's reads are", async () => {
    const refused = new ClusterAccessError(
      "the connection to the server was refused",
      { kind: "refused", server: "https://127.0.0.1:6443" },
      "",
    );
    const { clock, cluster, pods } = failingAfterPatch(refused, 2);
    expect((await runRestart(clock, cluster, pods)).reported).toEqual(["Deployment/web rolled-out 2"]);
  });

  it("the cluster lost for the rest of the wait (a login expired): the rollout's check fails on it", async () => {
    const expired = new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
    const { clock, cluster, pods } = failingAfterPatch(expired, Number.POSITIVE_INFINITY);
    const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 20_000 });
    expect(reported).toEqual([
      "Deployment/web failed: its pods could not be checked for the old digest: the login expired",
    ]);
  });
});

describe("another workload's pods its selector matches too (a canary beside the stable Deployment)", () => {
  const stableAndCanary = () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    // The canary's pods carry app=web too; they are on the old digest, and not part of this restart.
    const canary = { app: "web", track: "canary" };
    cluster.addController({ kind: "Deployment", name: "web-canary", replicas: 1, podLabels: canary });
    return { clock, cluster, pods };
  };

  it("the canary's pods on the old digest are not taken for the rolled workload's", async () => {
    const { clock, cluster, pods } = stableAndCanary();
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual(["Deployment/web rolled-out 2"]);
    expect(problems).toEqual([]);
    expect(Object.values(cluster.digests("web-canary"))).toEqual([oldDigest]);
  });

  it("an opted-out canary pod does not hold back the rollout, which would not replace it", async () => {
    const { clock, cluster, pods } = stableAndCanary();
    cluster.labelPod("web-canary-r1-0", { "kubectl-autoupdate/ignore": "true" });
    const { reported } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual(["Deployment/web rolled-out 2"]);
    expect(cluster.patches()).toEqual(["0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z"]);
  });
});

describe("read again right before the patch", () => {
  it("a workload paused since the plan is not rolled", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.edit("web", { paused: true });
    const { reported, outcomes } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
    const reason = "Deployment/web is paused: `kubectl rollout resume` it, or use --strategy evict";
    expect(reported).toEqual([`Deployment/web not-started: ${reason}`]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["not-started", "not-started"]);
    expect(cluster.patches()).toEqual([]);
  });

  /** The plan of Deployment web, 4 pods rolled one at a time with a surge (maxSurge 1, maxUnavailable 0). */
  const surgingPlan = (cluster: InMemoryCluster) => {
    const web = { kind: "Deployment", name: "web", replicas: 4, maxSurge: 1, maxUnavailable: 0 } as const;
    return decidedPlan(cluster, cluster.addController({ ...web, strategy: "rollout" }), "auto");
  };

  it("a rollout whose pace changed since the plan (maxUnavailable 0, then 3 of 4) is left: the plan printed the other", async () => {
    const { clock, cluster } = setup();
    const plan = await surgingPlan(cluster);
    expect(plan.pods[0]!.restart!.reason).toBe(
      "rolling update of Deployment/web's 4 pods, maxSurge 1, maxUnavailable 0",
    );
    cluster.edit("web", { maxSurge: 0, maxUnavailable: 3 });
    const { reported } = await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    expect(reported).toEqual([
      "Deployment/web not-started: changed since the plan: rolling update of Deployment/web's 4 pods, maxSurge 0, maxUnavailable 3",
    ]);
    expect(cluster.lowestReady("web")).toBe(4);
  });

  it("a Recreate Deployment an autoscaler took from 1 pod to 2 since the plan still rolls under rollout", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" });
    cluster.edit("web", { updateStrategy: "Recreate" });
    const plan = await decidedPlan(cluster, pods, "rollout");
    expect(plan.pods[0]!.restart).toMatchObject({ strategy: "rollout", pace: "Recreate", takesDown: 1 });
    cluster.scaleTo("web", 2, 0);
    await clock.advance(5000);
    const { reported } = await runRestart(clock, cluster, plan.pods, { strategy: "rollout" });
    expect(reported.join("\n")).not.toContain("changed since the plan");
    expect(cluster.patches()).toHaveLength(1);
  });

  it("a workload scaled to 0 during its rollout: its pods gone, each saying so, its replacement not checked", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 2, strategy: "rollout" });
    // 1 s after the patch (the controller is replacing db-1), an autoscaler scales the set to 0.
    clock.at(clock.now() + 1000, () => cluster.scaleTo("db", 0, 3000));
    const { outcomes, restarted, reported } = await runRestart(clock, cluster, pods);
    const reason = "the workload was scaled down during its rollout";
    expect([...outcomes.values()]).toEqual([
      { kind: "gone", reason },
      { kind: "gone", reason },
    ]);
    // Each pod's line says why, which the rollout's line alone does not.
    expect(reported.filter((line) => line.startsWith("db-"))).toEqual([
      `db-0 gone: ${reason}`,
      `db-1 gone: ${reason}`,
    ]);
    // Not counted as replaced since the plan: nothing replaced them.
    expect(renderRestartSummary(outcomes, 0, false)).toBe(
      "0 replaced by rollout, 2 gone during the restart (of 2 planned)\n",
    );
    expect(restarted.map((r) => r.replacement)).toEqual([
      { kind: "unchecked", why: "the workload was scaled down during its rollout" },
    ]);
  });

  it("scaled to 0 after its rollout replaced one pod: that pod is gone too, not said to be not rolled", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 2, strategy: "rollout" });
    // db-1's replacement is Ready on the new digest by 4.5 s; the autoscaler scales the set to 0 at 5 s.
    let db1: string | undefined;
    clock.at(clock.now() + 4500, () => (db1 = cluster.digests("db")["db-1"]));
    clock.at(clock.now() + 5000, () => cluster.scaleTo("db", 0, 3000));
    const { reported } = await runRestart(clock, cluster, pods);
    expect(db1).toBe(newDigest);
    expect(reported.filter((line) => line.startsWith("db-"))).toEqual([
      "db-0 gone: the workload was scaled down during its rollout",
      "db-1 gone: the workload was scaled down during its rollout",
    ]);
  });

  it("a Deployment paused during its rollout: failed at once, its pods not replaced yet not rolled nor in progress", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    // `kubectl rollout pause deployment/web` 1 s in: the first surge pod made, no old pod let go yet.
    clock.at(clock.now() + 1000, () => cluster.edit("web", { paused: true }));
    const { reported, outcomes } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
    const why =
      "Deployment/web: paused during its rollout (1 of 2 new replicas updated): kubectl rollout resume it to go on";
    expect(reported).toEqual([`Deployment/web failed: ${why}`]);
    expect([...outcomes.values()]).toEqual(pods.map(() => ({ kind: "failed", reason: why })));
  });

  it("a rollout whose replicas an autoscaler changed since the plan still goes: its pace is the plan's", async () => {
    const { clock, cluster } = setup();
    const plan = await surgingPlan(cluster);
    cluster.scaleTo("web", 5, 0);
    await clock.advance(5000);
    const { reported } = await runRestart(clock, cluster, plan.pods, { strategy: "auto" });
    expect(reported.join("\n")).not.toContain("changed since the plan");
    expect(cluster.patches()).toHaveLength(1);
  });

  it("under auto, a workload that became Recreate since the plan is left, not evicted behind the plan's back", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.edit("web", { updateStrategy: "Recreate" });
    const { reported } = await runRestart(clock, cluster, pods, { strategy: "auto" });
    expect(reported).toEqual([
      "Deployment/web not-started: changed since the plan: Deployment/web uses Recreate (a rollout stops every pod at once); left for the next run",
    ]);
    expect(cluster.patches()).toEqual([]);
  });

  describe("under rollout, a warning the plan did not print", () => {
    const recreate =
      "Deployment/web uses the Recreate strategy: its rollout stops every pod before the new ones start";
    /** Planned as a rolling update; Recreate by the time apply reads it again. */
    const becameRecreate = (cluster: InMemoryCluster) => {
      const pods = cluster.addController({
        kind: "Deployment",
        name: "web",
        replicas: 2,
        strategy: "rollout",
      });
      cluster.edit("web", { updateStrategy: "Recreate" });
      return pods;
    };

    it("a workload that became Recreate since the plan is left: the plan promised a rolling update", async () => {
      const { clock, cluster } = setup();
      const pods = becameRecreate(cluster);
      const { reported } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
      expect(reported).toEqual([`Deployment/web not-started: changed since the plan: ${recreate}`]);
      expect(cluster.patches()).toEqual([]);
      expect(cluster.lowestReady("web")).toBe(2);
    });

    it("a rollout that now stops every pod at once is left", async () => {
      const { clock, cluster } = setup();
      const pods = surgingWeb(cluster);
      cluster.edit("web", { maxSurge: 0, maxUnavailable: 2 });
      const { reported } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
      expect(reported).toEqual([
        "Deployment/web not-started: changed since the plan: Deployment/web's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 2 of 2 replicas)",
      ]);
      expect(cluster.patches()).toEqual([]);
    });

    it.each([
      [
        "a Deployment, after an autoscaler added a replica (1 replica, then 2)",
        { kind: "Deployment", name: "web", replicas: 1, maxUnavailable: 4, scaledTo: 2 },
        "Deployment/web's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 4 of 1 replica)",
      ],
      [
        "a DaemonSet, after nodes left, down to one",
        { kind: "DaemonSet", name: "agent", replicas: 3, maxUnavailable: 3, scaledTo: 1 },
        "DaemonSet/agent's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 3 of 3 nodes)",
      ],
    ] as const)("the rollout the plan warned stops every pod is rolled: %s", async (_, w, warned) => {
      const { clock, cluster } = setup();
      const { scaledTo, ...controller } = w;
      const planned = cluster.addController({ ...controller, maxSurge: 0, strategy: "rollout" });
      cluster.scaleTo(w.name, scaledTo, 0);
      await clock.advance(5000);
      const pods = planned.map((p) => ({ ...p, warnings: [warned] }));
      const { reported } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
      expect(reported.join("\n")).not.toContain("changed since the plan");
      expect(cluster.patches()).toEqual([
        `5000 patch ${w.kind} shop/${w.name} restartedAt=2026-11-30T12:00:05Z`,
      ]);
    });

    it("the Recreate rollout the plan warned of is rolled", async () => {
      const { clock, cluster } = setup();
      const pods = becameRecreate(cluster).map((p) => ({ ...p, warnings: [recreate] }));
      await runRestart(clock, cluster, pods, { strategy: "rollout" });
      expect(cluster.patches()).toEqual(["0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z"]);
    });
  });

  it("a StatefulSet with a pod not Ready since the plan is not rolled: its controller could delete a Ready one", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "StatefulSet", name: "db", replicas: 3, strategy: "rollout" });
    cluster.setUnready(pods[0]!.name);
    const { reported } = await runRestart(clock, cluster, pods, { strategy: "auto" });
    expect(reported).toEqual([
      "StatefulSet/db not-started: StatefulSet/db is mid-rollout (3 of 3 on revision db-r1, 2 ready): left alone",
    ]);
    expect(cluster.patches()).toEqual([]);
  });

  /**
   * The workload written once (`change`) while its pods are listed after its read, as its controller does.
   */
  const writtenWhileListed = (
    cluster: InMemoryCluster,
    name: string,
    change: Parameters<InMemoryCluster["edit"]>[1],
    before: () => void = () => {},
  ) => {
    const list = cluster.listPodsBySelector.bind(cluster);
    let written = false;
    cluster.listPodsBySelector = async (...args: Parameters<typeof list>) => {
      const listed = await list(...args);
      if (!written) {
        before();
        cluster.edit(name, change);
      }
      written = true;
      return listed;
    };
  };

  it.each([
    ["StatefulSet", "auto"],
    ["Deployment", "rollout"],
  ] as const)(
    "%s: a pod gone not Ready between the read and the patch (its status's Conflict) is decided again: not rolled",
    async (kind, strategy) => {
      const { clock, cluster } = setup();
      const pace = kind === "Deployment" ? { maxSurge: 1, maxUnavailable: 0 } : {};
      const pods = cluster.addController({ kind, name: "db", replicas: 3, ...pace, strategy: "rollout" });
      writtenWhileListed(cluster, "db", {}, () => cluster.setUnready(pods[0]!.name));
      const { reported } = await runRestart(clock, cluster, pods, { strategy });
      expect(reported).toEqual([expect.stringMatching(new RegExp(`^${kind}/db not-started: .*mid-rollout`))]);
      expect(cluster.patches()).toHaveLength(1);
    },
  );

  it("a status write between the read and the patch (a Conflict): read again, decided again, rolled out", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "DaemonSet",
      name: "agent",
      replicas: 4,
      strategy: "rollout",
    });
    // Nothing but its resourceVersion moves, as when a node joins or one of its pods turns Ready.
    writtenWhileListed(cluster, "agent", {});
    const { reported } = await runRestart(clock, cluster, pods, { concurrency: 1 });
    expect(reported).toEqual(["DaemonSet/agent rolled-out 4"]);
    expect(cluster.patches()).toHaveLength(2);
  });

  it("a change the plan did not show, made between the read and the patch: found when read again", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    writtenWhileListed(cluster, "web", { paused: true });
    const { reported } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual([expect.stringMatching(/^Deployment\/web not-started: .*paused/)]);
    expect(cluster.patches()).toHaveLength(1);
  });

  it("written again before every patch: three reads, each patched again three times at once, then reported", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.conflictsOnPatch = 100;
    const { reported } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual([
      'Deployment/web failed: Deployment/web changed while being patched: Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    ]);
    expect(cluster.patches()).toHaveLength(12);
  });

  it("a status written every second while its pods take 2 s to list: patched again at once, rolled out", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "DaemonSet",
      name: "agent",
      replicas: 3,
      strategy: "rollout",
    });
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (...args) => {
      await clock.sleep(2000, new AbortController().signal);
      return list(...args);
    };
    for (let t = 1000; t <= 120_000; t += 1000) clock.at(clock.now() + t, () => cluster.edit("agent", {}));
    const { reported } = await runRestart(clock, cluster, pods, { strategy: "rollout" });
    expect(reported).toEqual([expect.stringMatching(/^DaemonSet\/agent rolled-out/)]);
  });
});

describe("pods gone since the plan", () => {
  /**
   * The plan's pods as they were for `name`, a workload deleted since: its pods and all, or (orphaned) not.
   */
  const plannedFor = (pods: readonly PlanPod[], name: string, podsToo: boolean): PlanPod[] =>
    pods.map((p, i) => ({
      ...p,
      ...(podsToo ? { name: `${name}-x${i}`, uid: `uid-${name}-x${i}` } : {}),
      owner: { kind: p.owner!.kind, name },
      restart: { ...p.restart!, controller: { ...p.restart!.controller, name } },
    }));

  it("a workload deleted with its pods: they are already gone, as an eviction would find, and nothing fails", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    const { outcomes, rollouts } = await runRestart(clock, cluster, plannedFor(pods, "old-web", true));
    expect(cluster.patches()).toEqual([]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["gone", "gone"]);
    expect(rollouts.map((r) => r.outcome.kind)).toEqual(["replaced"]);
    // Its line says what the counts say.
    expect(describeRollout(rollouts[0]!, false, makeChalk(false))).toBe(
      "deployment.apps shop/old-web not restarted: its planned pods are already gone",
    );
  });

  it("a workload deleted leaving its pods (orphaned): they are not restarted, and that is said", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    const { reported } = await runRestart(clock, cluster, plannedFor(pods, "old-web", false));
    expect(cluster.patches()).toEqual([]);
    expect(reported).toEqual(["Deployment/old-web not-started: Deployment/old-web was not found"]);
  });

  it("a workload deleted leaving its pods, one of which ended since (its kubelet evicted it): that one is gone", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 2, strategy: "rollout" });
    cluster.setFailed(pods[0]!.name);
    const { outcomes } = await runRestart(clock, cluster, plannedFor(pods, "old-web", false));
    expect(cluster.patches()).toEqual([]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["gone", "not-started"]);
  });

  it("one planned pod deleted by someone else: it is already gone, the other rolled", async () => {
    const { clock, cluster } = setup();
    const [kept, gone] = surgingWeb(cluster);
    // The ReplicaSet replaced it under another name between the plan and the answer.
    const planned = [kept!, { ...gone!, name: "web-r1-9", uid: "uid-web-r1-9" }];
    const { outcomes, rollouts } = await runRestart(clock, cluster, planned);
    expect(rollouts.map((r) => r.outcome.kind)).toEqual(["rolled-out"]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["rolled", "gone"]);
  });
});

describe("a workload deleted during its rollout", () => {
  it("and created again under its name (kubectl replace --force): said at once, not waited for till the timeout", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    // 2 s after the patch: another object, another UID, at generation 1 (the patched one was at 2).
    const recreatedAt = clock.now() + 2000;
    const get = cluster.getWorkload.bind(cluster);
    cluster.getWorkload = async (kind, namespace, name) => {
      const w = await get(kind, namespace, name);
      if (!w || clock.now() < recreatedAt) return w;
      return {
        ...w,
        metadata: { ...w.metadata, uid: "uid-web-again", generation: 1 },
        status: { ...w.status, observedGeneration: 1 },
      };
    };
    const record = await runRestart(clock, cluster, pods, { waitTimeoutMs: 300_000 });
    expect(record.reported).toEqual([
      "Deployment/web failed: Deployment/web was deleted and created again during its rollout",
    ]);
    expect(clock.elapsed()).toBeLessThan(10_000);
  });

  it("its planned pods, gone with it before any replacement was Ready, count as gone, not as replaced", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    // `kubectl delete deployment web` 1 s after the patch: the workload and, by cascade, its pods are gone.
    const deletedAt = deletedSoon(clock, cluster);
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (namespace, selector) =>
      clock.now() >= deletedAt ? [] : list(namespace, selector);
    const record = await runRestart(clock, cluster, pods);
    expect(record.reported).toEqual(["Deployment/web failed: Deployment/web was deleted during its rollout"]);
    expect([...record.outcomes.values()].map((o) => o.kind)).toEqual(["gone", "gone"]);
    expect(runSummary({ resolver: "registry", pods }, record, false)).toMatchObject({
      rolledOut: 0,
      gone: 2,
    });
  });

  it("its planned pods still there, the garbage collector not yet at them, were not replaced", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    deletedSoon(clock, cluster);
    const record = await runRestart(clock, cluster, pods);
    expectNotReplaced(record, pods, "Deployment/web was deleted during its rollout");
  });
});

describe("Ctrl-C just as a rollout is done, while its pods are listed for the check", () => {
  it("leaves the check undone, not failed: no problem, an unchecked replacement", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    const ctrlC = new AbortController();
    const patched = patchSeen(cluster);
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (namespace, selector) => {
      if (!patched()) return list(namespace, selector);
      // The terminal's Ctrl-C stops the run and kills the kubectl listing the pods.
      ctrlC.abort(new Error("received SIGINT"));
      throw new ToolFailedError("kubectl get failed: killed by SIGINT");
    };
    const { reported, problems, restarted } = await runRestart(clock, cluster, pods, {
      signal: ctrlC.signal,
    });
    expect(reported).toEqual(["Deployment/web rolled-out 2"]);
    expect(problems).toEqual([]);
    expect(restarted.map((r) => r.replacement)).toEqual([{ kind: "unchecked", why: "interrupted" }]);
  });
});

describe("a rollout whose template was written back before the controller replaced the pods", () => {
  it("its planned pods, still there, are not replaced by it, and no pull is blamed", async () => {
    const { clock, cluster } = setup();
    // The controller never acts on the patch: the template is written back first (a GitOps tool's sync).
    const pods = surgingWeb(cluster, { observeAfterMs: Number.POSITIVE_INFINITY });
    writtenBackAfterPatch(cluster);
    const record = await runRestart(clock, cluster, pods);
    expectNotReplaced(
      record,
      pods,
      "the rollout did not replace web-r1-0, web-r1-1: the workload's template was changed back since the patch (a GitOps tool, an operator, kubectl rollout undo)",
    );
  });
});

describe("a rollout written back after it replaced some of the planned pods", () => {
  it("those it replaced are rolled, those still there failed", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster, { observeAfterMs: Number.POSITIVE_INFINITY });
    // After the patch: the rollout took web-r1-0 down, then the template was written back and observed.
    const patched = writtenBackAfterPatch(cluster);
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (namespace, selector) => {
      const listed = await list(namespace, selector);
      return patched() ? listed.filter((p) => p.metadata.name !== "web-r1-0") : listed;
    };
    const { outcomes } = await runRestart(clock, cluster, pods);
    expect(pods.map((pod) => outcomes.get(pod))).toEqual([
      { kind: "rolled" },
      { kind: "failed", reason: expect.stringMatching(/^the rollout did not replace web-r1-1: /) },
    ]);
  });
});

describe("the pods after a rollout that are no replacements", () => {
  it("a pod of the old ReplicaSet that ended (evicted by its kubelet) and lingers: the rollout succeeded", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    const ended: Pod = {
      metadata: {
        name: "web-r1-evicted",
        namespace: "shop",
        uid: "uid-web-r1-evicted",
        labels: { ...pods[0]!.labels },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-r1", uid: "uid-web-r1", controller: true },
        ],
      },
      spec: { containers: [{ name: "app", image: "registry.test/shop/web:main" }], nodeName: "node-9" },
      status: {
        phase: "Failed",
        containerStatuses: [
          {
            name: "app",
            image: "registry.test/shop/web:main",
            imageID: `registry.test/shop/web@${oldDigest}`,
          },
        ],
      },
    };
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (namespace, selector) => [...(await list(namespace, selector)), ended];
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual(["Deployment/web rolled-out 2"]);
    expect(problems).toEqual([]);
  });

  it("a StatefulSet's pods below its partition, which the rollout never replaces: no failure", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({
      kind: "StatefulSet",
      name: "db",
      replicas: 3,
      partition: 2,
      strategy: "rollout",
    });
    // Only db-2 planned (-l, or a canary tag that moved where the stable one did not).
    const { reported, problems } = await runRestart(clock, cluster, pods.slice(2));
    expect(reported).toEqual(["StatefulSet/db rolled-out 1"]);
    expect(problems).toEqual([]);
    expect(cluster.digests("db")).toMatchObject({ "db-0": oldDigest, "db-1": oldDigest });
  });
});

describe("dry run, --no-wait, Ctrl-C", () => {
  it("a dry run sends the patch as a server dry run and waits for nothing", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "rollout" });
    const { reported } = await runRestart(clock, cluster, pods, { dryRun: true });
    expect(cluster.calls).toEqual([
      "0 get Deployment shop/web",
      "0 list pods shop app=web",
      "0 list replicasets shop app=web",
      "0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z (dry run)",
    ]);
    expect(reported).toEqual(["Deployment/web started"]);
    expect(clock.elapsed()).toBe(0);
    expect(Object.values(cluster.digests("web"))).toEqual([oldDigest, oldDigest, oldDigest]);
  });

  it("--no-wait patches and does not follow: its pods are still being replaced on the server", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" });
    const { reported, outcomes } = await runRestart(clock, cluster, pods, { wait: false });
    expect(reported).toEqual(["Deployment/web started"]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["in-progress"]);
    expect(cluster.calls.filter((c) => c.includes("get Deployment"))).toEqual(["0 get Deployment shop/web"]);
  });

  it("Ctrl-C after the patch: the rollout is reported as still in progress on the server, nothing new starts", async () => {
    const { clock, cluster } = setup();
    const abort = new AbortController();
    clock.at(clock.now() + 2500, () => abort.abort());
    const pods = [
      ...surgingWeb(cluster),
      ...cluster.addController({ kind: "Deployment", name: "api", replicas: 1, strategy: "rollout" }),
    ];
    const { reported, outcomes } = await runRestart(clock, cluster, pods, {
      signal: abort.signal,
      concurrency: 1,
    });
    expect(reported).toEqual([
      "Deployment/web in-progress (1 of 2 new replicas updated)",
      "Deployment/api not-started: interrupted",
    ]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["in-progress", "in-progress", "not-started"]);
    expect(cluster.patches()).toEqual(["0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z"]);
    expect(clock.elapsed()).toBe(2500);
  });

  it("a stop while the workload is read again before the patch: no rollout starts", async () => {
    const { clock, cluster } = setup();
    const pods = surgingWeb(cluster);
    const abort = new AbortController();
    const get = cluster.getWorkload.bind(cluster);
    cluster.getWorkload = async (kind, namespace, name) => {
      // SIGTERM reaches this process only: the read goes on, and answers.
      abort.abort();
      return get(kind, namespace, name);
    };
    const { reported, outcomes } = await runRestart(clock, cluster, pods, { signal: abort.signal });
    expect(cluster.patches()).toEqual([]);
    expect(reported).toEqual(["Deployment/web not-started: interrupted"]);
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["not-started", "not-started"]);
  });
});

describe("a kubectl call that fails", () => {
  it("while following a rollout: asked again at the next poll", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" });
    const get = cluster.getWorkload.bind(cluster);
    let calls = 0;
    cluster.getWorkload = async (kind, namespace, name) => {
      if (++calls === 3) throw new ToolFailedError("kubectl get failed: etcdserver: request timed out");
      return get(kind, namespace, name);
    };
    const { reported, problems } = await runRestart(clock, cluster, pods);
    expect(reported).toEqual(["Deployment/web rolled-out 1"]);
    expect(problems).toEqual([]);
  });

  it("the cluster out of reach is not one workload's trouble: it stops the run, and is the run's error", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" });
    const expired = new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
    cluster.getWorkload = async () => {
      throw expired;
    };
    const { stoppedBy, reported } = await runRestart(clock, cluster, pods);
    expect(stoppedBy).toBe(expired);
    expect(reported).toEqual(["Deployment/web not-started: stopped on losing access to the cluster"]);
  });

  it("before the patch: that workload is not rolled, the others go on, and each is reported", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ kind: "Deployment", name: "web", replicas: 1, strategy: "rollout" }),
      ...cluster.addController({ name: "api", replicas: 2, strategy: "evict" }),
      ...cluster.addController({ name: "db", replicas: 2, strategy: "delete" }),
    ];
    const get = cluster.getWorkload.bind(cluster);
    cluster.getWorkload = async (kind, namespace, name) => {
      if (name === "web") throw new ToolFailedError("kubectl get failed: etcdserver: request timed out");
      return get(kind, namespace, name);
    };
    const list = cluster.listPodsBySelector.bind(cluster);
    cluster.listPodsBySelector = async (namespace, selector) => {
      if (selector === "app=api") throw new ToolFailedError("kubectl get failed: connection refused");
      return list(namespace, selector);
    };
    const { reported } = await runRestart(clock, cluster, pods);
    expect(reported.sort()).toEqual([
      "Deployment/web not-started: kubectl get failed: etcdserver: request timed out",
      "api-0 not-started: kubectl get failed: connection refused",
      "api-1 not-started: kubectl get failed: connection refused",
      "db-0 deleted",
      "db-1 deleted",
    ]);
    expect(cluster.evictions()).toEqual([]);
    expect(cluster.patches()).toEqual([]);
  });
});

describe("following a rollout", () => {
  it("reads its workload less often while its progress stands still: a kubectl each, not one a second", async () => {
    const { clock, cluster } = setup();
    // 20 pods one after another, each Ready 30 s after it starts: a rollout of ten minutes.
    const pods = cluster.addController({
      kind: "Deployment",
      name: "web",
      replicas: 20,
      strategy: "rollout",
      readyAfterMs: 30_000,
      maxSurge: 1,
      maxUnavailable: 0,
    });
    const { reported } = await runRestart(clock, cluster, pods, { waitTimeoutMs: 3_600_000 });
    expect(reported).toEqual(["Deployment/web rolled-out 20"]);
    const gets = cluster.calls.filter((c) => c.includes(" get Deployment ")).length;
    // A read a second was 603; at most 10 s apart while nothing moves, with each step's change read at
    // once: 113, under 6 a step.
    expect(gets).toBeLessThanOrEqual(6 * 20);
    expect(clock.elapsed()).toBeLessThan(20 * 30_000 + 10_000 + 1000);
  });
});
