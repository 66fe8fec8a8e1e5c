/**
 * The stale pods the plan left in a workload (one its kubelet evicted, held, terminating) count in a
 * restart's check and record only where they run the same image under the same container name: a left pod
 * of an older ReplicaSet on another image (the workload moved to a mirror of the same tag) says nothing of
 * what the new pods come back on.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../../src/core/k8s.js";
import { staleLeftByWorkload } from "../../../../src/core/plan.js";
import { alreadyRestartedFor, rolloutRestartedFor } from "../../../../src/core/restarted-for.js";
import { oldDigestAfterRollout, withStaleLeft } from "../../../../src/pipeline/restart/replacement.js";
import { planContainer, planPod } from "../../../support/plan-pods.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const [was, now, sidecarWas, sidecarNow] = [d("1"), d("2"), d("3"), d("4")];
const hub = "docker.io/library/nginx:1.27";
const mirror = "mirror.example.com/library/nginx:1.27";

// Planned: a pod of the current ReplicaSet, nginx from the mirror, which still names `was`; its sidecar moved.
const planned = planPod("web-new-1", {
  containers: [
    planContainer({
      name: "nginx",
      image: mirror,
      ref: mirror,
      runningDigest: was,
      latestDigest: was,
      status: "current",
    }),
    planContainer({ name: "side", runningDigest: sidecarWas, latestDigest: sidecarNow }),
  ],
});
// Left: an evicted pod of the old ReplicaSet, nginx from Docker Hub, whose tag names `now`.
const left = planPod("web-old-1", {
  action: "none",
  ended: true,
  controller: { kind: "ReplicaSet", name: "web-old", uid: "uid-rs-old" },
  containers: [
    planContainer({ name: "nginx", image: hub, ref: hub, runningDigest: was, latestDigest: now }),
    planContainer({ name: "side", runningDigest: sidecarWas, latestDigest: sidecarNow }),
  ],
});
const staleLeft = staleLeftByWorkload({ resolver: "registry", pods: [planned, left] });

describe("a left pod on another image under the same container name", () => {
  it("is not in the rollout's record: the next plan does not hold the new pods for its move", () => {
    const record = rolloutRestartedFor(withStaleLeft([planned], planned, { staleLeft }));
    expect(record).toBe(`side=${sidecarWas}>${sidecarNow}`);
    // The next run: the mirror names `now` too, the new pod runs `was`; a restart would bring `now`.
    const next = [
      planContainer({ name: "nginx", image: mirror, ref: mirror, runningDigest: was, latestDigest: now }),
      planContainer({ name: "side", runningDigest: sidecarNow, latestDigest: sidecarNow, status: "current" }),
    ];
    expect(alreadyRestartedFor(record!, next)).toBeNull();
  });

  it("does not fail the rollout: its digest is not the new pods' old one", () => {
    const newPod = {
      metadata: { name: "web-new-2", namespace: "shop", uid: "u2" },
      spec: {
        containers: [
          { name: "nginx", image: mirror },
          { name: "side", image: planned.containers[1]!.image },
        ],
      },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "nginx", image: mirror, imageID: `mirror.example.com/library/nginx@${was}` },
          {
            name: "side",
            image: planned.containers[1]!.image,
            imageID: `registry.example.com/shop/web@${sidecarNow}`,
          },
        ],
      },
    } as unknown as Pod;
    expect(oldDigestAfterRollout(withStaleLeft([planned], planned, { staleLeft }), [newPod])).toBeNull();
  });

  it("on the same image it counts: its move is recorded", () => {
    const older = d("5");
    const sameImage = {
      ...left,
      containers: [{ ...left.containers[1]!, runningDigest: older }],
    };
    const leftSame = staleLeftByWorkload({ resolver: "registry", pods: [planned, sameImage] });
    expect(rolloutRestartedFor(withStaleLeft([planned], planned, { staleLeft: leftSame }))).toBe(
      `side=${sidecarWas}>${sidecarNow},side=${older}>${sidecarNow}`,
    );
  });
});

it("a left pod naming the same reference otherwise written (`nginx:1.27`) counts: its move is recorded", () => {
  const written = (image: string, runningDigest: string) =>
    planContainer({ name: "nginx", image, ref: hub, runningDigest, latestDigest: now });
  const rolled = planPod("web-new-1", { containers: [written(hub, was)] });
  const older = d("5");
  const leftShort = planPod("web-old-1", {
    action: "none",
    ended: true,
    controller: { kind: "ReplicaSet", name: "web-old", uid: "uid-rs-old" },
    containers: [written("nginx:1.27", older)],
  });
  const staleLeftShort = staleLeftByWorkload({ resolver: "registry", pods: [rolled, leftShort] });
  expect(rolloutRestartedFor(withStaleLeft([rolled], rolled, { staleLeft: staleLeftShort }))).toBe(
    `nginx=${was}>${now},nginx=${older}>${now}`,
  );
});
