/**
 * After a rollout, the workload's pods are checked for the old digest. The check grows with the pods, not
 * with pods × planned pods: a 2,000-pod DaemonSet rolled out must not block the process for seconds.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../../src/core/k8s.js";
import { oldDigestAfterRollout } from "../../../../src/pipeline/restart/replacement.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { planContainer, planPod } from "../../../support/plan-pods.js";
import { digestOf } from "../../../support/pods.js";
import { runRestart } from "../../../support/restart.js";

/** `pod`, counting each read of its container statuses in `reads`. */
function counting(pod: Pod, reads: { n: number }): Pod {
  const status = { ...pod.status };
  const statuses = status.containerStatuses;
  Object.defineProperty(status, "containerStatuses", {
    get() {
      reads.n++;
      return statuses;
    },
    enumerable: true,
  });
  return { ...pod, status } as Pod;
}

/** Reads of the listed pods' container statuses while a Deployment of `n` stale pods is rolled out. */
async function statusReadsForRollout(n: number): Promise<number> {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const planned = cluster.addController({
    kind: "Deployment",
    name: "web",
    replicas: n,
    maxSurge: n,
    maxUnavailable: 0,
    strategy: "rollout",
  });
  // As in a real plan, the pods of one template share their containers' verdicts.
  const shared = planned.map((p) => ({ ...p, containers: planned[0]!.containers }));
  const reads = { n: 0 };
  const list = cluster.listPodsBySelector.bind(cluster);
  cluster.listPodsBySelector = async (namespace, selector) =>
    (await list(namespace, selector)).map((pod) => counting(pod, reads));
  const { reported } = await runRestart(clock, cluster, shared, { strategy: "rollout" });
  expect(reported).toEqual([`Deployment/web rolled-out ${n}`]);
  return reads.n;
}

describe("the check after a rollout reads each pod a bounded number of times", () => {
  it("a Deployment of 4× the pods costs at most 4× the reads", async () => {
    const small = await statusReadsForRollout(20);
    const large = await statusReadsForRollout(80);
    expect(large).toBeLessThanOrEqual(small * 4 + 80);
    expect(large).toBeLessThanOrEqual(2 * 80);
  });

  const containers = [planContainer()];
  /** A running pod of the workload, on `version`'s digest of the image. */
  const runningPod = (name: string, version: string) =>
    ({
      metadata: { name, uid: name },
      spec: { containers: [{ name: "app", image: containers[0]!.image }] },
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            image: containers[0]!.image,
            imageID: `registry.example.com/shop/web@${digestOf(version)}`,
          },
        ],
      },
    }) as unknown as Pod;

  it("200 planned pods and 200 new pods on the new digest: each new pod's statuses read once", () => {
    const n = 200;
    const planned = Array.from({ length: n }, (_, i) => planPod(`web-${i}`, { containers }));
    const reads = { n: 0 };
    const pods = Array.from({ length: n }, (_, i) => counting(runningPod(`web-new-${i}`, "v2"), reads));
    expect(oldDigestAfterRollout(planned, pods)).toBeNull();
    expect(reads.n).toBe(n);
  });

  it("still names the first new pod back on the old digest", () => {
    const planned = [planPod("web-0", { containers }), planPod("web-1", { containers })];
    const pods = [runningPod("web-a", "v2"), runningPod("web-b", "v1")];
    expect(oldDigestAfterRollout(planned, pods)).toMatch(/^pod web-b runs the old digest \(container app: /);
  });
});
