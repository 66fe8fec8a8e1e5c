/**
 * The lists the checks around a restart read: a controller's pods, at every poll while a replacement
 * starts, and a Deployment's ReplicaSets. Page by page with `kubectl get --raw`, as the plan's lists are,
 * each item cut to what the checks read; and read to the end when the run is stopping, as they check
 * restarts already made.
 */
import { describe, expect, it } from "vitest";
import { kubectlListing } from "../../support/listing-kubectl.js";

const digest = `sha256:${"a".repeat(64)}`;
const owner = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  name: "web-7d9c8b",
  uid: "uid-rs",
  controller: true,
};

const pod = (n: number) => ({
  metadata: {
    name: `web-7d9c8b-${n}`,
    namespace: "shop",
    uid: `uid-${n}`,
    labels: { app: "web" },
    annotations: { "cni.example/ip": `10.0.0.${n}` },
    ownerReferences: [owner],
    managedFields: [{ manager: "kubelet", operation: "Update" }],
  },
  spec: {
    nodeName: `node-${n}`,
    containers: [
      { name: "app", image: "web:main", imagePullPolicy: "Always", env: [{ name: "A", value: "1" }] },
    ],
  },
  status: {
    phase: "Running",
    podIP: `10.0.0.${n}`,
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-12-01T11:00:00Z" }],
    containerStatuses: [
      { name: "app", image: "web:main", imageID: `web@${digest}`, ready: true, state: { running: {} } },
    ],
  },
});

describe("the lists the checks around a restart read", () => {
  it("a controller's pods: every page of its selector's pods in the namespace, each cut to what is checked", async () => {
    const { calls, stopped, kubectl } = kubectlListing([[pod(1), pod(2)], [pod(3)]], AbortSignal.abort());
    const pods = await kubectl.listPodsBySelector("shop", "app=web,tier in (front)");
    expect(pods.map((p) => p.metadata.name)).toEqual(["web-7d9c8b-1", "web-7d9c8b-2", "web-7d9c8b-3"]);
    expect(pods[0]).toEqual({
      metadata: {
        name: "web-7d9c8b-1",
        namespace: "shop",
        uid: "uid-1",
        labels: { app: "web" },
        ownerReferences: [owner],
      },
      spec: {
        nodeName: "node-1",
        containers: [{ name: "app", image: "web:main", imagePullPolicy: "Always" }],
      },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-12-01T11:00:00Z" }],
        // Of its state, only why it waits (none: it runs).
        containerStatuses: [{ name: "app", image: "web:main", imageID: `web@${digest}`, state: {} }],
      },
    });
    const uri = "/api/v1/namespaces/shop/pods?limit=2000&labelSelector=app%3Dweb%2Ctier+in+%28front%29";
    expect(calls).toEqual([
      ["--context=prod", "get", "--raw", uri],
      ["--context=prod", "get", "--raw", `${uri}&continue=page-1`],
    ]);
    // The run is stopping (its signal aborted): these are still read to the end, the plan's are not.
    expect(stopped).toEqual([false, false]);
    await kubectl.listPodCreationTimes("shop", "app=web");
    expect(stopped.slice(2)).toEqual([true, true]);
  });

  it("one pod before it goes: a list by its name (the `list` right), cut as a controller's pods are", async () => {
    const { calls, kubectl } = kubectlListing([[pod(2)]]);
    const read = await kubectl.readPod("shop", "web-7d9c8b-2");
    expect(read).toMatchObject({
      metadata: { uid: "uid-2", ownerReferences: [owner], labels: { app: "web" } },
    });
    expect(JSON.stringify(read)).not.toMatch(/managedFields|podIP|"env"/);
    expect(calls).toEqual([
      [
        "--context=prod",
        "get",
        "--raw",
        "/api/v1/namespaces/shop/pods?limit=2000&fieldSelector=metadata.name%3Dweb-7d9c8b-2",
      ],
    ]);
    expect(await kubectlListing([[]]).kubectl.readPod("shop", "gone")).toBeNull();
  });

  it("a Deployment's ReplicaSets: paged too, each cut to its name, UID, owners, replica count and Ready and available pods", async () => {
    const replicaSet = {
      metadata: { name: "web-7d9c8b", namespace: "shop", uid: "uid-rs", ownerReferences: [owner] },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "app", image: "web:main" }] } } },
      status: { replicas: 3, readyReplicas: 3, availableReplicas: 2, fullyLabeledReplicas: 3 },
    };
    const { calls, stopped, kubectl } = kubectlListing([[replicaSet]]);
    expect(await kubectl.listReplicaSets("shop", "app=web")).toEqual([
      {
        metadata: replicaSet.metadata,
        spec: { replicas: 3 },
        status: { readyReplicas: 3, availableReplicas: 2 },
      },
    ]);
    expect(calls).toEqual([
      [
        "--context=prod",
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/shop/replicasets?limit=2000&labelSelector=app%3Dweb",
      ],
    ]);
    expect(stopped).toEqual([false]);
  });
});
