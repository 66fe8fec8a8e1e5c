/**
 * gather (pipeline/gather.ts): the owner and ServiceAccount lists start at the first pod that needs them,
 * while the rest of the pods still stream in; never for pods --image leaves out, and the ServiceAccount
 * list only when a pod names no pull secret of its own.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl, PodScope } from "../../../src/adapters/kubectl.js";
import type { KubeObject, Pod, ServiceAccount } from "../../../src/core/k8s.js";
import { ToolFailedError } from "../../../src/errors.js";
import { gather } from "../../../src/pipeline/gather.js";
import { digestOf, makePod } from "../../support/pods.js";

const OLD = digestOf("v1");
const scope: PodScope = { allNamespaces: true };
const web = (name: string, extra: { imagePullSecrets?: string[]; image?: string } = {}) =>
  makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-1" },
    imagePullSecrets: extra.imagePullSecrets,
    containers: [{ name: "app", image: extra.image ?? "nginx:latest", runningDigest: OLD }],
  });
const job = (name: string) =>
  makePod({
    name,
    owner: { kind: "Job", name: "batch-1" },
    containers: [{ name: "c", image: "busybox:1", runningDigest: OLD }],
  });

/** A kubectl whose pod list streams `pods` and records, in order, what was asked and when the list ended. */
function fakeKubectl(pods: Pod[], options: { accountsFail?: boolean } = {}) {
  const events: string[] = [];
  const kubectl = {
    async listPods(_scope: PodScope, _warn?: unknown, onPod?: (pod: Pod) => void) {
      for (const pod of pods) {
        await Promise.resolve();
        onPod?.(pod);
      }
      events.push("pods listed");
      return pods;
    },
    async listObjects(resources: readonly string[]): Promise<KubeObject[]> {
      events.push(`list ${resources.join(",")}`);
      return [];
    },
    async listServiceAccounts(): Promise<ServiceAccount[]> {
      events.push("list serviceaccounts");
      if (options.accountsFail) throw new ToolFailedError("kubectl get serviceaccounts: forbidden");
      return [
        { metadata: { name: "default", namespace: "default" }, imagePullSecrets: [{ name: "regcred" }] },
      ];
    },
    async getSecrets(): Promise<never[]> {
      return [];
    },
  };
  return { kubectl: kubectl as unknown as Kubectl, events };
}

describe("gather", () => {
  it("starts the owner and ServiceAccount lists at the first pod that needs them, before the pods end", async () => {
    const { kubectl, events } = fakeKubectl([web("web-a"), job("job-a"), web("web-b")]);
    const inventory = await gather(kubectl, scope, 4);
    expect(events).toEqual([
      "list replicasets.apps",
      "list serviceaccounts",
      "list jobs.batch",
      "pods listed",
    ]);
    expect(inventory.accountSecrets.get("docker.io/library/nginx:latest")).toEqual([
      { namespace: "default", name: "regcred" },
    ]);
  });

  it("lists no ServiceAccounts when every pod names its own pull secrets", async () => {
    const { kubectl, events } = fakeKubectl([web("web-a", { imagePullSecrets: ["own"] })]);
    await gather(kubectl, scope, 4);
    expect(events).toEqual(["list replicasets.apps", "pods listed"]);
  });

  it("starts nothing for pods --image leaves out", async () => {
    const { kubectl, events } = fakeKubectl([job("job-a"), web("web-a", { image: "app:1" })]);
    const inventory = await gather(kubectl, scope, 4, new Set(["docker.io/library/app:1"]));
    expect(events).toEqual(["list replicasets.apps", "list serviceaccounts", "pods listed"]);
    expect(inventory.pods.map((p) => p.metadata.name)).toEqual(["web-a"]);
  });

  it("tells how many pods have been listed so far, every thousand, while they stream in", async () => {
    const pods = Array.from({ length: 2500 }, (_, i) => web(`web-${i}`));
    const { kubectl, events } = fakeKubectl(pods);
    await gather(kubectl, scope, 4, undefined, (listed) => events.push(`${listed} listed`));
    expect(events.filter((e) => e.endsWith("listed"))).toEqual(["1000 listed", "2000 listed", "pods listed"]);
  });

  it("keeps a refused ServiceAccount list a warning, though it failed before the pods ended", async () => {
    const { kubectl } = fakeKubectl([web("web-a"), web("web-b")], { accountsFail: true });
    const inventory = await gather(kubectl, scope, 4);
    expect(inventory.warnings).toEqual([
      "kubectl get serviceaccounts: forbidden (ServiceAccounts' pull secrets not used)",
    ]);
  });
});
