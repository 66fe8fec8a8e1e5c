import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/core/k8s.js";
import {
  indexOwners,
  ownerResourceOf,
  ownerResourcesToList,
  ownersOf,
  replicasOf,
} from "../../../src/core/owners.js";
import { digestOf, makePod, makeReplicaSet, type PodSpec, type Runtime } from "../../support/pods.js";

const OLD = digestOf("web v1");
const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };

function webPod(overrides: Partial<PodSpec> = {}, runtime: Runtime = "containerd"): Pod {
  return makePod({
    name: "web-7d9c8b-x2x9q",
    runtime,
    owner: rs,
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    ...overrides,
  });
}

describe("ownerResourcesToList", () => {
  it("lists ReplicaSets and Jobs only when some pod is directly controlled by one", () => {
    expect(ownerResourcesToList([webPod()])).toEqual(["replicasets.apps"]);
    expect(ownerResourcesToList([webPod({ owner: { kind: "Job", name: "j" } }), webPod()])).toEqual([
      "replicasets.apps",
      "jobs.batch",
    ]);
    expect(
      ownerResourcesToList([webPod({ owner: { kind: "StatefulSet", name: "db" } }), webPod({ owner: null })]),
    ).toEqual([]);
  });

  it("names each pod's own: what gather starts listing as the pod streams in", () => {
    expect(ownerResourceOf(webPod())).toBe("replicasets.apps");
    expect(ownerResourceOf(webPod({ owner: { kind: "Job", name: "j" } }))).toBe("jobs.batch");
    expect(ownerResourceOf(webPod({ owner: { kind: "StatefulSet", name: "db" } }))).toBeNull();
    expect(ownerResourceOf(webPod({ owner: { kind: "toString", name: "x" } }))).toBeNull();
    expect(ownerResourceOf(webPod({ owner: null }))).toBeNull();
  });

  it("lists nothing for another group's kind of the same name (Volcano's Job, a custom ReplicaSet)", () => {
    const volcano = webPod({
      owner: { kind: "Job", name: "train", apiVersion: "batch.volcano.sh/v1alpha1" },
    });
    const custom = webPod({ owner: { ...rs, apiVersion: "example.io/v1" } });
    expect(ownerResourceOf(volcano)).toBeNull();
    expect(ownerResourceOf(custom)).toBeNull();
    expect(ownerResourcesToList([volcano, custom])).toEqual([]);
  });
});

describe("indexOwners", () => {
  const bare = { ...makeReplicaSet("legacy-5c", null), spec: { replicas: 1 } };
  const custom = makeReplicaSet("canary-6d", "canary");
  custom.metadata.ownerReferences![0]!.apiVersion = "apps.example.io/v1";
  const index = indexOwners([makeReplicaSet("web-7d9c8b", "web"), bare, custom]);

  it("follows a ReplicaSet to its Deployment", () => {
    expect(ownersOf(webPod(), index).top).toEqual({ kind: "Deployment", name: "web", apiVersion: "apps/v1" });
  });

  it("keeps every listed ReplicaSet's replica count: bare, under another group's kind, or a Deployment's", () => {
    expect(replicasOf(index, "default", { kind: "ReplicaSet", name: "legacy-5c" })).toBe(1);
    expect(replicasOf(index, "default", { kind: "ReplicaSet", name: "canary-6d" })).toBe(3);
    // A Deployment's: its count when evict or delete do not read the Deployment.
    expect(replicasOf(index, "default", { kind: "ReplicaSet", name: "web-7d9c8b" })).toBe(3);
    expect(replicasOf(index, "other", { kind: "ReplicaSet", name: "legacy-5c" })).toBeUndefined();
  });
});
