/**
 * Pods whose new pod would start a node's cached old image are left, with why: under imagePullPolicy Never
 * the kubelet never pulls; a DaemonSet's new pod runs on the same node, which under IfNotPresent starts the
 * old image it holds under the tag.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import type { Pod } from "../../../src/core/k8s.js";
import { indexOwners } from "../../../src/core/owners.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { tagAt } from "../../support/resolutions.js";

const OLD = digestOf("agent 2.1 build 1");
const NEW = digestOf("agent 2.1 build 2");
const image = "registry.example.com/ops/agent:2.1";
const ds = { kind: "DaemonSet", name: "agent" };
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
const agent: Workload = {
  kind: "DaemonSet",
  metadata: { name: "agent", namespace: "default", uid: "ds-uid", generation: 1 },
  spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } },
  status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
};

/** A pod of the DaemonSet on `node` running `digest`, under the API server's default policy for a tag. */
const agentPod = (node: string, digest: string, pullPolicy?: "Always") =>
  makePod({
    name: `agent-${node}`,
    node,
    owner: ds,
    containers: [
      { name: "agent", image, runningDigest: digest, ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}) },
    ],
  });

function restarts(pods: Pod[]) {
  const plan = decidePlan({
    resolver: "registry",
    pods,
    owners,
    resolutions: new Map([[image, tagAt(NEW, OLD)]]),
  });
  return decideRestarts(plan, {
    strategy: "auto",
    owners,
    workloads: new Map([["default/DaemonSet/agent", agent]]),
    unreadable: new Map(),
  }).pods.map((p) => ({ name: p.name, action: p.action, restart: p.restart?.strategy, reason: p.reason }));
}

describe("a DaemonSet's stale pod under IfNotPresent", () => {
  it("is left with why: its new pod would start the node's cached old image, so nothing is rolled", () => {
    expect(agentPod("n1", OLD).spec.containers[0]!.imagePullPolicy).toBe("IfNotPresent");
    expect(restarts([agentPod("n1", OLD), agentPod("n2", OLD)])).toEqual(
      ["n1", "n2"].map((node) => ({
        name: `agent-${node}`,
        action: "skip",
        restart: undefined,
        reason:
          "imagePullPolicy IfNotPresent on container agent: a DaemonSet's new pod runs on this node, which would start its cached old image again; set imagePullPolicy: Always",
      })),
    );
  });

  it("is left whatever other pods the run lists on its node: the decision does not depend on the scope", () => {
    // n2's other pod pulled the tag under Always; a run scoped to the DaemonSet's namespace would not
    // list it.
    const other = makePod({
      name: "puller",
      node: "n2",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "pull", image, runningDigest: NEW, imagePullPolicy: "Always" }],
    });
    const scoped = restarts([agentPod("n1", OLD), agentPod("n2", OLD)]);
    expect(restarts([agentPod("n1", OLD), agentPod("n2", OLD), other]).slice(0, 2)).toEqual(scoped);
  });

  it("goes when the pod itself shows its node will start the new image: a sibling container pulls or runs it", () => {
    const withSibling = (sibling: {
      init?: boolean;
      runningDigest: string;
      imagePullPolicy: "Always" | "IfNotPresent";
    }) =>
      makePod({
        name: "agent-n1",
        node: "n1",
        owner: ds,
        containers: [
          { name: "sibling", image, ...sibling },
          { name: "agent", image, runningDigest: OLD },
        ],
      });
    const plan = (pod: Pod) =>
      decidePlan({
        resolver: "registry",
        pods: [pod],
        owners,
        resolutions: new Map([[image, tagAt(NEW, OLD)]]),
      }).pods[0]!;
    // Runs the new image on this node: the node's tag names it.
    expect(plan(withSibling({ runningDigest: NEW, imagePullPolicy: "IfNotPresent" })).action).toBe("delete");
    // An init container of the tag under Always pulls it before the agent starts.
    expect(plan(withSibling({ init: true, runningDigest: OLD, imagePullPolicy: "Always" })).action).toBe(
      "delete",
    );
    // A sibling on the old image under IfNotPresent proves nothing: left.
    expect(plan(withSibling({ runningDigest: OLD, imagePullPolicy: "IfNotPresent" })).reason).toMatch(
      /would start its cached old image again/,
    );
  });

  it("counts a sibling's pull of the same tag spelled another way (`busybox` and `docker.io/library/busybox`)", () => {
    const pod = makePod({
      name: "agent-n1",
      node: "n1",
      owner: ds,
      containers: [
        {
          name: "prep",
          image: "docker.io/library/busybox:1.36",
          init: true,
          runningDigest: OLD,
          imagePullPolicy: "Always",
        },
        { name: "agent", image: "busybox:1.36", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
      ],
    });
    const resolutions = new Map([["docker.io/library/busybox:1.36", tagAt(NEW, OLD)]]);
    const [planned] = decidePlan({ resolver: "registry", pods: [pod], owners, resolutions }).pods;
    expect(planned).toMatchObject({ action: "delete", reason: "" });
  });

  it("beside a pod of its DaemonSet under Always (a template changed mid-rollout): that one is evicted, not rolled", () => {
    const [left, evicted] = restarts([agentPod("n1", OLD), agentPod("n2", OLD, "Always")]);
    expect(left).toMatchObject({ action: "skip", restart: undefined });
    // Rolling the DaemonSet would replace agent-n1 too, in vain.
    expect(evicted).toMatchObject({ action: "delete", restart: "evict" });
  });

  it("under Always is rolled out as before", () => {
    expect(restarts([agentPod("n1", OLD, "Always"), agentPod("n2", OLD, "Always")])).toMatchObject([
      { action: "delete", restart: "rollout" },
      { action: "delete", restart: "rollout" },
    ]);
  });
});

describe("a stale container under imagePullPolicy Never", () => {
  it("leaves its pod, whatever its controller: the kubelet never pulls the new image", () => {
    const pod = makePod({
      name: "web-7d9c8b-x2x9q",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image, runningDigest: OLD, imagePullPolicy: "Never" }],
    });
    const [planned] = decidePlan({
      resolver: "registry",
      pods: [pod],
      owners,
      resolutions: new Map([[image, tagAt(NEW, OLD)]]),
    }).pods;
    expect(planned).toMatchObject({
      action: "skip",
      reason:
        "imagePullPolicy Never on container app: the kubelet never pulls, so a new pod would start a node's old image; set imagePullPolicy: Always",
      warnings: [],
    });
    expect(planned!.containers[0]!.status).toBe("stale");
  });
});
