/**
 * A pod that ran to its end (Failed: evicted by its kubelet) was replaced by its controller already: it keeps
 * no workload from rolling, and serves no node in its DaemonSet's place.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import { terminatingPods } from "../../../src/core/readiness.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest as single } from "../../support/resolutions.js";

describe("the no-image-to-run rollout hold", () => {
  it("a Deployment's Failed (kubelet-evicted) pod, long replaced, does not keep the workload from rolling", () => {
    const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
    const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
    const [AMD_OLD, AMD_NEW, ARM_OLD] = [digestOf("amd64 v1"), digestOf("amd64 v2"), digestOf("arm64 v1")];
    // The tag was pushed again for amd64 only.
    const r: Resolution = {
      tag: { ok: true, tag: { digest: AMD_NEW, sameImageDigests: [], isIndex: false } },
      manifests: new Map([
        single(AMD_OLD, { platform: "linux/amd64" }),
        single(AMD_NEW, { platform: "linux/amd64" }),
        single(ARM_OLD, { platform: "linux/arm64/v8" }),
      ]),
    };
    const pod = (name: string, digest: string, phase?: "Failed") =>
      makePod({
        name,
        owner: rs,
        ...(phase ? { phase } : {}),
        containers: [{ name: "app", image: "nginx:latest", runningDigest: digest }],
      });
    const decided = decidePlan({
      resolver: "registry",
      pods: [
        pod("web-7d9c8b-a", AMD_OLD),
        pod("web-7d9c8b-b", AMD_OLD),
        pod("web-7d9c8b-old", ARM_OLD, "Failed"),
      ],
      owners,
      resolutions: new Map([["docker.io/library/nginx:latest", r]]),
    });
    expect(decided.pods.map((p) => p.action)).toEqual(["delete", "delete", "none"]);
    const web: Workload = {
      kind: "Deployment",
      metadata: { name: "web", namespace: "default", generation: 1 },
      spec: { replicas: 2, strategy: { type: "RollingUpdate" } },
      status: {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
      },
    };
    const restarts = decideRestarts(decided, {
      strategy: "rollout",
      workloads: new Map([["default/Deployment/web", web]]),
      unreadable: new Map(),
      owners,
    });
    // Not "its rollout would also replace web-7d9c8b-old": a rollout replaces no pod that has ended.
    expect(restarts.pods[0]!.reason).toBe("");
    expect(restarts.pods[0]!.restart?.strategy).toBe("rollout");
  });
});

describe("a DaemonSet's terminating pod under surge", () => {
  it("is missing while the only other pod of it on that node has ended (Failed): nothing serves that node", () => {
    const ds = { kind: "DaemonSet", name: "agent", uid: "ds-uid" };
    const NEW = digestOf("agent v2");
    const pods = [
      makePod({
        name: "agent-a",
        uid: "a",
        node: "n1",
        owner: ds,
        deletionTimestamp: "2026-11-20T11:00:00Z",
        containers: [{ name: "app", image: "agent", runningDigest: NEW }],
      }),
      // Its successor, made at once under maxSurge, then evicted by the kubelet (node pressure): Failed.
      makePod({
        name: "agent-b",
        uid: "b",
        node: "n1",
        owner: ds,
        phase: "Failed",
        containers: [{ name: "app", image: "agent", runningDigest: NEW }],
      }),
    ];
    // The ended pod is no live successor (and notReadyPods leaves ended pods out too).
    expect(terminatingPods(pods, "ds-uid", true)).toEqual(["agent-a"]);
  });
});
